"""Live feed batches -> the runner's event stream: ``MarketTick`` of the day's main contract, and
``AuxTick`` of the next contract when the feature set has cross-contract factors against it.

Trap (aux alignment): a main tick's cross factors see the aux quotes stamped *strictly before* it, in
batch and online alike, so the order of an aux and a main quote with the same timestamp does not
change a value; ``merge_events`` still puts the aux first, as the research parity tests feed them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from ghtrader.features.aux import contract_segment, next_after
from ghtrader.features.build import per_row_spec
from ghtrader.features.engine import AuxTicks, tick_inputs
from ghtrader.market.clock import SessionClock
from ghtrader.market.contracts import ContractBook
from ghtrader.trade.account import AuxTick, MarketTick

Event = MarketTick | AuxTick
LIVE_ROLES = ("next",)  # aux roles the runner can feed from its own variety's feed


def unsupported_roles(roles: Iterable[str]) -> list[str]:
    """The cross roles of a feature set that the runner cannot feed (``pair`` needs another variety's feed)."""
    return [r for r in roles if r not in LIVE_ROLES]


def merge_events(market: Iterable[MarketTick], aux: Iterable[AuxTick]) -> list[Event]:
    """Both streams in time order (each already is); an aux quote before a main tick of the same ns."""
    keyed: list[tuple[int, int, int, Event]] = [(a.datetime_ns, 0, i, a) for i, a in enumerate(aux)]
    keyed += [(t.datetime_ns, 1, i, t) for i, t in enumerate(market)]
    keyed.sort(key=lambda k: k[:3])
    return [k[3] for k in keyed]


def aux_events(aux: dict[str, AuxTicks]) -> Iterator[AuxTick]:
    """Stored aux streams (``features.aux.range_aux``) as runner events, role by role."""
    for role, (ts, mid, seg) in aux.items():
        for i in range(len(ts)):
            yield AuxTick(role, int(ts[i]), float(mid[i]), int(seg[i]))


class TickAdapter:
    """Feed rows of the day's main contract -> ``MarketTick`` (research input conversion, runner segments).

    The continuous alias resolves per trading day: the lake's roll schedule when it has the day, else
    the listed contract with the largest open interest in the day's first batch. A change of contract is
    a roll: the segment id moves on, which resets the factor windows, as in research.

    With ``roles=("next",)`` the rows of the next contract become ``AuxTick``: the research rule
    (``features.aux.next_after``: the first later delivery month with ticks that day), asked of the
    contracts the feed has delivered so far that day. Trap: research sees the whole day, so if a
    farther month ticked before the nearer one did, live would pick the farther one until the day
    changes; the main's neighbour month trades from the open in practice.
    """

    def __init__(
        self,
        var: str,
        book: ContractBook,
        clock: SessionClock,
        schedule: dict[str, str],
        lead_s: float,
        roles: tuple[str, ...] = (),
    ):
        bad = unsupported_roles(roles)
        if bad:
            raise ValueError(f"the live feed has no aux stream for cross role(s) {', '.join(bad)}")
        self.var, self.book, self.clock, self.schedule, self.lead_s = var, book, clock, schedule, lead_s
        self.roles = roles
        self.day: str | None = None
        self.main: str | None = None
        self.next: str | None = None
        self.seen: set[str] = set()
        self.segment = 0
        self.index = 0

    def resolve(self, batch: pd.DataFrame, day: str) -> str:
        if day in self.schedule:
            return self.schedule[day]
        last = batch.sort_values("datetime_ns").groupby("symbol")["open_interest"].last()
        return str(last.idxmax())

    def convert(self, batch: pd.DataFrame) -> list[Event]:
        out: list[Event] = []
        for day, rows in batch.groupby("trading_day", sort=True):
            iso = day.isoformat() if hasattr(day, "isoformat") else str(day)
            if iso != self.day:
                main = self.resolve(rows, iso)
                if self.main is not None and main != self.main:
                    self.segment += 1
                self.day, self.main, self.next = iso, main, None
                self.seen = set()
            main = self.main or ""
            aux: list[AuxTick] = []
            if self.roles:
                self.seen.update(rows["symbol"].astype(str).unique())
                if self.next is None:
                    self.next = next_after(
                        self.book, main, dt.date.fromisoformat(iso), self.seen.__contains__
                    )
                if self.next is not None:
                    aux = self._aux(rows[rows["symbol"] == self.next])
            mine = rows[rows["symbol"] == self.main].sort_values("datetime_ns", kind="stable")
            out += merge_events(self._market(mine, iso, main), aux)
        return out

    def _aux(self, rows: pd.DataFrame) -> list[AuxTick]:
        rows = rows.sort_values("datetime_ns", kind="stable")
        ts = rows["datetime_ns"].to_numpy(np.int64)
        mid = 0.5 * (rows["bid_price1"].to_numpy(np.float64) + rows["ask_price1"].to_numpy(np.float64))
        seg = contract_segment(str(self.next))
        return [AuxTick("next", int(ts[i]), float(mid[i]), seg) for i in range(len(ts))]

    def _market(self, mine: pd.DataFrame, iso: str, main: str) -> list[MarketTick]:
        if mine.empty:
            return []
        mine = mine.assign(underlying_contract=main, segment_id=self.segment)
        pt, vm = per_row_spec(mine, self.book)
        xs, ts, dk, seg = tick_inputs(mine, pt, vm)
        bid, ask = mine["bid_price1"].to_numpy(np.float64), mine["ask_price1"].to_numpy(np.float64)
        lp = mine["last_price"].to_numpy(np.float64)
        out = []
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
