"""Live feed batches -> the runner's ``MarketTick`` stream (the day's main contract only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ghtrader.features.build import per_row_spec
from ghtrader.features.engine import tick_inputs
from ghtrader.market.clock import SessionClock
from ghtrader.market.contracts import ContractBook
from ghtrader.trade.account import MarketTick


class TickAdapter:
    """Feed rows of the day's main contract -> ``MarketTick`` (research input conversion, runner segments).

    The continuous alias resolves per trading day: the lake's roll schedule when it has the day, else
    the listed contract with the largest open interest in the day's first batch. A change of contract is
    a roll: the segment id moves on, which resets the factor windows, as in research."""

    def __init__(
        self, var: str, book: ContractBook, clock: SessionClock, schedule: dict[str, str], lead_s: float
    ):
        self.var, self.book, self.clock, self.schedule, self.lead_s = var, book, clock, schedule, lead_s
        self.day: str | None = None
        self.main: str | None = None
        self.segment = 0
        self.index = 0

    def resolve(self, batch: pd.DataFrame, day: str) -> str:
        if day in self.schedule:
            return self.schedule[day]
        last = batch.sort_values("datetime_ns").groupby("symbol")["open_interest"].last()
        return str(last.idxmax())

    def convert(self, batch: pd.DataFrame) -> list[MarketTick]:
        out: list[MarketTick] = []
        for day, rows in batch.groupby("trading_day", sort=True):
            iso = day.isoformat() if hasattr(day, "isoformat") else str(day)
            if iso != self.day:
                main = self.resolve(rows, iso)
                if self.main is not None and main != self.main:
                    self.segment += 1
                self.day, self.main = iso, main
            mine = rows[rows["symbol"] == self.main].sort_values("datetime_ns", kind="stable")
            if mine.empty:
                continue
            main = self.main or ""
            mine = mine.assign(underlying_contract=main, segment_id=self.segment)
            pt, vm = per_row_spec(mine, self.book)
            xs, ts, dk, seg = tick_inputs(mine, pt, vm)
            bid, ask = mine["bid_price1"].to_numpy(np.float64), mine["ask_price1"].to_numpy(np.float64)
            lp = mine["last_price"].to_numpy(np.float64)
            for i in range(len(mine)):
                close = self.clock.day_close_ns(int(ts[i]))
                closing = close is not None and close - int(ts[i]) <= self.lead_s * 1e9
                out.append(
                    MarketTick(
                        self.index,
                        int(ts[i]),
                        iso,
                        int(dk[i]),
                        main,
                        int(seg[i]),
                        float(bid[i]),
                        float(ask[i]),
                        float(lp[i]),
                        xs[i],
                        False,
                        closing,
                    )  # fmt: skip
                )
                self.index += 1
        return out
