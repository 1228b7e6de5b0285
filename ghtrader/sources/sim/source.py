"""``SimSource``: the deterministic synthetic SHFE market behind the DaySource protocol.

Output for (seed, symbol, trading day) never depends on which other symbols or days were asked
for: every contract-day draws from its own RNG stream and day-level state (price level, each
contract's OI, liquidity) is a pure function of the date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook, ContractSpec
from ghtrader.market.reporting import volume_divisor
from ghtrader.sources.base import DayBatch
from ghtrader.sources.sim.config import SimConfig
from ghtrader.sources.sim.day import DayInputs, generate_contract_day
from ghtrader.sources.sim.market import (
    contract_open_price,
    eod_open_interest,
    is_listed,
    level_path,
    liquidity,
)

LATENT_SIDECAR = "sim_latent"


class SimSource:
    """Seeded synthetic market: every listed contract's L5 snapshots at ~2 Hz in real sessions."""

    name = "sim"

    def __init__(
        self, calendar: TradingCalendar, book: ContractBook, config: SimConfig | None = None
    ) -> None:
        self.calendar = calendar
        self.book = book
        self.config = config or SimConfig()
        self._levels: dict[str, np.ndarray] = {}  # per-variety daily level walk (pure cache)

    # -- DaySource ---------------------------------------------------------------------------
    def list_symbols(self, var: str, trading_day: dt.date) -> list[str]:
        """The 12 listed months of ``var`` (none on a non-trading day)."""
        if not self.calendar.is_trading_day(trading_day):
            return []
        return [s.symbol for s in self.book.listed(var, trading_day)]

    def fetch_day(self, symbols: Sequence[str], trading_day: dt.date) -> DayBatch:
        """Ticks of ``symbols`` on ``trading_day`` (previous evening's night session included)."""
        ticks: dict[str, pd.DataFrame] = {}
        latent: dict[str, pd.DataFrame] = {}
        if self.calendar.is_trading_day(trading_day):
            for symbol in dict.fromkeys(symbols):
                out = self.contract_day(symbol, trading_day)
                if out is not None:
                    ticks[symbol], latent[symbol] = out
        return DayBatch(trading_day, ticks, {LATENT_SIDECAR: latent}, tuple(symbols))

    # -- helpers ------------------------------------------------------------------------------
    def contract_day(self, symbol: str, trading_day: dt.date) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """(ticks, latent) of one contract-day, or None if it does not trade that day."""
        spec = self.book.get(symbol)
        if not is_listed(self.calendar, spec, trading_day):
            return None
        inp = self.day_inputs(spec, trading_day)
        return generate_contract_day(self.config, self.calendar, spec, trading_day, inp)

    def day_inputs(self, spec: ContractSpec, trading_day: dt.date) -> DayInputs:
        """Day-level state of one contract: open price, OI share, yesterday's and today's OI."""
        eod = self._eod_oi(spec.symbol, trading_day)
        biggest = max(
            self._eod_oi(s.symbol, trading_day) for s in self.book.listed(spec.variety, trading_day)
        )
        share = eod / max(biggest, 1)
        delivery = trading_day >= spec.delivery_month_start
        levels = self._level(spec.variety)
        try:
            prev_oi = self._eod_oi(spec.symbol, self.calendar.prev_trading_day(trading_day))
        except ValueError:  # first day of the holiday list: no yesterday to open from
            prev_oi = eod
        return DayInputs(
            open_price=contract_open_price(self.config, levels, spec, trading_day),
            close_target=contract_open_price(self.config, levels, spec, self._next_day(trading_day)),
            share=share,
            delivery=delivery,
            prev_oi=prev_oi,
            eod_oi=eod,
            liquidity=liquidity(self.config, spec, share, delivery),
        )

    def eod_open_interest(self, symbol: str, trading_day: dt.date) -> int:
        """End-of-day OI of a contract as reported (equals its last tick's ``open_interest``: doubled
        before 2020 on SHFE, like real snapshots; 0 if not listed)."""
        return self._eod_oi(symbol, trading_day) * volume_divisor(symbol, trading_day)

    def _eod_oi(self, symbol: str, trading_day: dt.date) -> int:
        """One-sided end-of-day OI (the sim's internal state)."""
        return eod_open_interest(self.config, self.calendar, self.book.get(symbol), trading_day)

    def eod_oi_table(self, var: str, days: Iterable[dt.date]) -> pd.DataFrame:
        """End-of-day OI of every listed contract: columns trading_day, symbol, open_interest."""
        rows = [
            (d, s.symbol, self.eod_open_interest(s.symbol, d))
            for d in days
            if self.calendar.is_trading_day(d)
            for s in self.book.listed(var, d)
        ]
        return pd.DataFrame(rows, columns=["trading_day", "symbol", "open_interest"])

    def _next_day(self, trading_day: dt.date) -> dt.date:
        try:
            return self.calendar.next_trading_day(trading_day)
        except ValueError:  # end of the holiday list: aim at tomorrow's calendar date
            return trading_day + dt.timedelta(days=1)

    def _level(self, var: str) -> np.ndarray:
        if var not in self._levels:
            self._levels[var] = level_path(self.config, var)
        return self._levels[var]
