"""The source interface every tick source implements.

A source yields, per trading day, tick frames in the one schema (``ghtrader.schema``) keyed by
contract symbol, plus optional sidecars (e.g. the sim's latent state) that never enter tick columns.
Sources do no validation beyond parsing: the ingest gate (``ghtrader.quality.rules``) decides what
reaches the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd


@dataclass(frozen=True)
class DayBatch:
    """One trading day of ticks from a source."""

    trading_day: dt.date
    ticks: dict[str, pd.DataFrame]  # symbol -> tick-schema frame sorted by datetime_ns
    sidecars: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)  # name -> symbol -> frame
    requested: tuple[str, ...] = ()  # symbols asked for; those absent from ``ticks`` had no data


class DaySource(Protocol):
    """A source that can produce whole trading days on demand (sim, tqsdk)."""

    name: str

    def list_symbols(self, var: str, trading_day: dt.date) -> list[str]:
        """Contracts of ``var`` trading on ``trading_day``."""
        ...

    def fetch_day(self, symbols: Sequence[str], trading_day: dt.date) -> DayBatch:
        """Ticks of ``symbols`` for one trading day (night session of the previous evening included)."""
        ...
