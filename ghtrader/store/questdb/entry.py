"""Coverage-index rows and the write batch's pending partitions (plain data, no IO)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ghtrader.store.questdb.ddl import TableSpec


@dataclass(frozen=True)
class CoverageEntry:
    """One coverage-index row: what QuestDB holds for (dataset, symbol, trading_day)."""

    dataset: str
    symbol: str
    trading_day: dt.date
    rows: int
    first_datetime_ns: int
    last_datetime_ns: int
    row_hash: str
    schema_hash: str

    @property
    def key(self) -> tuple[str, str, dt.date]:
        return (self.dataset, self.symbol, self.trading_day)


@dataclass(frozen=True)
class Pending:
    """A partition queued in a write batch: its ILP frame and the index row to commit after it."""

    entry: CoverageEntry
    frame: pd.DataFrame
    spec: TableSpec
    unmark_no_data: bool
    old: CoverageEntry | None
