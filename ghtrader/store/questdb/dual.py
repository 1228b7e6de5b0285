"""``DualStore``: QuestDB canonical, the Parquet lake as its mirror (production, SPEC §4.4).

Writes go to QuestDB first, then to the lake; if QuestDB is down the write fails in one line
(``QuestDbUnavailable``) *before* the lake is touched, so the mirror never gets ahead of the
canonical store silently. Coverage (``days``, ``has_partition``, no-data) is QuestDB's: a day only the
lake has is therefore "missing" and a resumable ingest re-sends it (the lake write is then a no-op),
while ``ghtrader db sync`` repairs either side without refetching. Reads prefer QuestDB and fall
back to the lake for days QuestDB does not hold. Sidecars (sim latent state) live in the lake only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa

from ghtrader.store.base import PartitionInfo, WriteMode, dataset_schema
from ghtrader.store.lake import ParquetLake
from ghtrader.store.questdb.backend import QuestDbStore


class DualStore:
    """Tick store writing QuestDB then the lake, reading QuestDB first."""

    def __init__(self, questdb: QuestDbStore, lake: ParquetLake) -> None:
        self.questdb = questdb
        self.lake = lake

    @property
    def root(self) -> Path:
        """The lake root (the ingest checks that the quarantine lies outside it)."""
        return self.lake.root

    def close(self) -> None:
        self.questdb.close()

    def write_partition(
        self,
        dataset: str,
        symbol: str,
        trading_day: dt.date,
        table: pa.Table,
        *,
        mode: WriteMode = "skip_existing",
    ) -> PartitionInfo:
        q = self.questdb.write_partition(dataset, symbol, trading_day, table, mode=mode)
        lk = self.lake.write_partition(dataset, symbol, trading_day, table, mode=mode)
        changed = q.changed or lk.changed
        status = "written" if changed else q.status
        return PartitionInfo(
            dataset, symbol, trading_day, q.rows, q.files + lk.files, lk.sha256, changed, status
        )

    def read_day(
        self, dataset: str, symbol: str, day: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table:
        if self.questdb.has_partition(dataset, symbol, day):
            return self.questdb.read_day(dataset, symbol, day, columns)
        return self.lake.read_day(dataset, symbol, day, columns)

    def read_range(
        self, dataset: str, symbol: str, start: dt.date, end: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table:
        in_q = {d for d in self.questdb.days(dataset, symbol) if start <= d <= end}
        in_lake = {d for d in self.lake.days(dataset, symbol) if start <= d <= end} - in_q
        tables = [
            (self.questdb if d in in_q else self.lake).read_day(dataset, symbol, d, columns)
            for d in sorted(in_q | in_lake)
        ]
        if not tables:
            empty = dataset_schema(dataset).empty_table()
            return empty.select(list(columns)) if columns is not None else empty
        return pa.concat_tables(tables)

    def days(self, dataset: str, symbol: str) -> list[dt.date]:
        return self.questdb.days(dataset, symbol)

    def symbols(self, dataset: str) -> list[str]:
        return self.questdb.symbols(dataset)

    def has_partition(self, dataset: str, symbol: str, day: dt.date) -> bool:
        return self.questdb.has_partition(dataset, symbol, day)

    def mark_no_data(self, dataset: str, symbol: str, days: Iterable[dt.date]) -> list[dt.date]:
        wanted = list(days)
        new = self.questdb.mark_no_data(dataset, symbol, wanted)
        self.lake.mark_no_data(dataset, symbol, wanted)
        return new

    def no_data_days(self, dataset: str, symbol: str) -> list[dt.date]:
        return self.questdb.no_data_days(dataset, symbol)

    def missing_days(self, dataset: str, symbol: str, wanted_days: Iterable[dt.date]) -> list[dt.date]:
        return self.questdb.missing_days(dataset, symbol, wanted_days)

    def write_sidecar(
        self, name: str, symbol: str, day: dt.date, table: pa.Table, *, mode: WriteMode = "skip_existing"
    ) -> PartitionInfo:
        return self.lake.write_sidecar(name, symbol, day, table, mode=mode)

    def read_sidecar(
        self, name: str, symbol: str, day: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table | None:
        return self.lake.read_sidecar(name, symbol, day, columns)
