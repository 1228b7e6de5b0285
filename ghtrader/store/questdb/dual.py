"""``DualStore``: QuestDB canonical, the Parquet lake as its mirror (production, SPEC §4.4).

Writes go to QuestDB first, then to the lake; if QuestDB is down the write fails in one line
(``QuestDbUnavailable``) *before* the lake is touched, so the mirror never gets ahead of the
canonical store silently. Inside a ``batch`` (the ingest's ``write_frame``) QuestDB commits the
frame's partitions together at the end, so a server lost mid-batch leaves the lake ahead for that
frame — loudly (the batch raises), and QuestDB's coverage index still calls those days missing, so
the resumable ingest (or ``db sync``) re-sends them. Coverage (``days``, ``has_partition``, no-data) is QuestDB's: a day only the
lake has is therefore "missing" and a resumable ingest re-sends it (the lake write is then a no-op),
while ``ghtrader db sync`` repairs either side without refetching. Reads prefer QuestDB and fall
back to the lake for days QuestDB does not hold. Sidecars (sim latent state) live in the lake only.

Trap: never a silent partial day. A QuestDB answer whose row count differs from the coverage index
(``IncompleteDay``) is replaced by the lake's copy only when that copy has the index's row count and
content digest (logged as a warning); otherwise the read fails with one error naming both sides.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import pyarrow as pa

from ghtrader.store.base import PartitionInfo, WriteMode, dataset_schema
from ghtrader.store.lake import ParquetLake
from ghtrader.store.questdb.backend import QuestDbStore
from ghtrader.store.questdb.digest import table_digest
from ghtrader.store.questdb.entry import CoverageEntry
from ghtrader.store.questdb.reads import IncompleteDay

log = logging.getLogger(__name__)


class DayUnavailable(RuntimeError):
    """Neither QuestDB nor the lake holds the complete committed day."""


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

    def batch(self) -> AbstractContextManager[None]:
        """Group QuestDB writes (see ``QuestDbStore.batch``); lake writes stay immediate."""
        return self.questdb.batch()

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
        e = self.questdb.entry(dataset, symbol, day)
        if e is None:
            return self.lake.read_day(dataset, symbol, day, columns)
        return self._read_entry(e, columns)

    def read_range(
        self, dataset: str, symbol: str, start: dt.date, end: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table:
        in_q = {
            e.trading_day: e for e in self.questdb.coverage(dataset, symbol) if start <= e.trading_day <= end
        }
        in_lake = {d for d in self.lake.days(dataset, symbol) if start <= d <= end} - set(in_q)
        tables = [
            self._read_entry(in_q[d], columns)
            if d in in_q
            else self.lake.read_day(dataset, symbol, d, columns)
            for d in sorted(set(in_q) | in_lake)
        ]
        if not tables:
            empty = dataset_schema(dataset).empty_table()
            return empty.select(list(columns)) if columns is not None else empty
        return pa.concat_tables(tables)

    def _read_entry(self, e: CoverageEntry, columns: Sequence[str] | None) -> pa.Table:
        try:
            return self.questdb.read_entry(e, columns)
        except IncompleteDay as exc:
            table, why = self._lake_copy(e)
            if table is None:
                raise DayUnavailable(
                    f"{e.symbol} {e.trading_day} ({e.dataset}): neither store holds the committed "
                    f"{e.rows} rows: QuestDB returned {exc.held}, the lake {why}; repair with "
                    f"`ghtrader db sync --symbol {e.symbol} --start {e.trading_day} --end {e.trading_day}` "
                    "or re-ingest the day"
                ) from None
            log.warning("%s; served the lake's verified copy instead", exc)
            return table.select(list(columns)) if columns is not None else table

    def _lake_copy(self, e: CoverageEntry) -> tuple[pa.Table | None, str]:
        """The lake's copy of ``e``'s day if it matches the index's row count and digest."""
        try:
            table = self.lake.read_day(e.dataset, e.symbol, e.trading_day)
        except (OSError, ValueError) as exc:
            return None, f"could not be read ({exc})"
        if table.num_rows != e.rows:
            return None, f"holds {table.num_rows}"
        if table_digest(table) != e.row_hash:
            return None, f"holds {table.num_rows} rows whose content differs from the index digest"
        return table, "ok"

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
