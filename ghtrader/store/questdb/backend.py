"""``QuestDbStore``: the tick-store interface on QuestDB (ILP writes, PGWire reads).

Traps: the coverage index row is the commit record — it is sent after the ticks' request has been
committed to the WAL, and readers trust only it (a crash between the two leaves ticks without an
index row; the re-ingest re-sends them and dedup makes that harmless). WAL tables apply writes
asynchronously; a write waits only for its (small) index rows to be applied, not for the ticks
(``wal.WalTracker``): reads of a tick table this store wrote wait first, and a day read checks the
index's row count, waiting for a lagging WAL before calling a day incomplete (``reads.IncompleteDay``).
Partitions written inside ``batch()`` share ILP requests (see there).
The write path's own look-ups (is this day indexed? marked no-data?) use what this store wrote
plus the server's answer, so they never wait. QuestDB cannot delete rows: a ``replace`` that sends
fewer rows than a partition already holds is refused after the upsert with the row counts (ticks
are append-only there; see ``ghtrader db sync``). Sidecars live in the lake.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa

from ghtrader.schema import schema_hash
from ghtrader.store.base import PartitionInfo, WriteMode, check_mode, check_partition_table, dataset_schema
from ghtrader.store.questdb import ilp
from ghtrader.store.questdb.conn import QuestDbConfig, QuestDbUnavailable, probe_tcp
from ghtrader.store.questdb.ddl import (
    TableSpec,
    all_tables,
    coverage_table,
    create_table_sql,
    drop_table_sql,
    no_data_table,
    schedule_table,
    tick_table,
)
from ghtrader.store.questdb.digest import table_digest
from ghtrader.store.questdb.entry import CoverageEntry, Pending
from ghtrader.store.questdb.pg import PgClient
from ghtrader.store.questdb.reads import DayReader
from ghtrader.store.questdb.store_index import StoreIndex
from ghtrader.store.questdb.store_reads import StoreReads
from ghtrader.store.questdb.wal import WalTracker
from ghtrader.store.questdb.writes import PendingWrites, send_batch


class QuestDbStore(StoreIndex, StoreReads):
    """Tick store on a QuestDB server; see the module docstring for the commit protocol."""

    def __init__(self, config: QuestDbConfig) -> None:
        self.config = config
        self.pg = PgClient(config)
        self.reader = DayReader(config)
        self.wire = self.reader.wire
        self.wal = WalTracker(self.pg, config.wal_wait_s)
        self.coverage_spec = coverage_table(config.table_prefix)
        self.no_data_spec = no_data_table(config.table_prefix)
        self.schedule_spec = schedule_table(config.table_prefix)
        self._index = (self.coverage_spec.name, self.no_data_spec.name)
        self._written: dict[tuple[str, str, dt.date], CoverageEntry] = {}
        self._no_data_local: dict[tuple[str, str, dt.date], bool] = {}
        self._server_view: dict[
            tuple[str, str], tuple[float, dict[dt.date, CoverageEntry], set[dt.date]]
        ] = {}
        self._lock = threading.Lock()
        self._pending = PendingWrites(config.batch_rows)

    def __enter__(self) -> QuestDbStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._commit_pending()
        self.pg.close()
        self.reader.close()

    def tick_spec(self, dataset: str) -> TableSpec:
        dataset_schema(dataset)
        return tick_table(dataset, self.config.table_prefix)

    # ----------------------------------------------------------------- DDL
    def init_tables(self) -> list[str]:
        """Create every table if absent (idempotent); return their names."""
        specs = all_tables(self.config.table_prefix)
        for spec in specs:
            self.pg.execute(create_table_sql(spec))
        return [s.name for s in specs]

    def drop_tables(self) -> None:
        for spec in all_tables(self.config.table_prefix):
            self.pg.execute(drop_table_sql(spec))

    # ----------------------------------------------------------------- ILP
    def send(self, frames: Sequence[tuple[pd.DataFrame, TableSpec]]) -> int:
        """Send frames over ILP/HTTP, one transactional request per batch; return once they are applied."""
        from questdb import QuestDBError, Sender

        probe_tcp(self.config.host, self.config.ilp_port, "ILP/HTTP", self.config.connect_timeout_s)
        sent = 0
        try:
            with Sender.from_conf(self.config.ilp_conf(), **self.config.sender_kwargs()) as sender:
                for frame, spec in frames:
                    sent += ilp.send_frame(sender, frame, spec, self.config.batch_rows)
                    self.wal.wrote([spec.name])
        except QuestDBError as exc:
            raise QuestDbUnavailable(f"QuestDB ILP at {self.config.ilp_addr} failed: {exc}") from None
        self.wal.settle([spec.name for _, spec in frames])  # small index writes: visible on return
        return sent

    def wait_applied(self, names: Sequence[str]) -> None:
        """Block until the WAL of ``names`` is applied (writes visible to queries)."""
        self.wal.wait_applied(names)

    # ----------------------------------------------------------------- writes
    def write_partition(
        self,
        dataset: str,
        symbol: str,
        trading_day: dt.date,
        table: pa.Table,
        *,
        mode: WriteMode = "skip_existing",
        resend: bool = False,
    ) -> PartitionInfo:
        """Upsert one (symbol, trading_day) partition, then its coverage row (the commit record).

        An index row with the same digest means ``unchanged`` unless ``resend`` (repair: the index
        may claim rows that were lost since, e.g. a dropped partition).
        """
        check_mode(mode)
        table = check_partition_table(table, dataset_schema(dataset), symbol, trading_day)
        ts = table["datetime_ns"].to_numpy()
        if np.any(ts[1:] == ts[:-1]):
            raise ValueError(
                f"{symbol} {trading_day}: duplicate datetime_ns would be merged by QuestDB dedup"
            )
        digest, spec = table_digest(table), self.tick_spec(dataset)
        files = (spec.name,)
        key = (dataset, symbol, trading_day)
        with self._lock:
            old = self._written.get(key)
        if old is None:
            old = self._server(dataset, symbol)[0].get(trading_day)
        if old is not None and old.row_hash == digest and not resend:
            return PartitionInfo(dataset, symbol, trading_day, old.rows, files, digest, False, "unchanged")
        if old is not None and mode == "skip_existing" and not resend:
            return PartitionInfo(
                dataset, symbol, trading_day, old.rows, files, old.row_hash, False, "kept_existing"
            )
        first, last = int(ts[0]), int(ts[-1])
        new = CoverageEntry(*key, table.num_rows, first, last, digest, schema_hash(table.schema))
        item = Pending(new, ilp.tick_frame(table, spec), spec, self._marked_no_data(key), old)
        with self.batch():
            with self._lock:
                self._written[key] = new
                self._no_data_local[key] = False
            if self._pending.add(item):
                self._commit_pending(settle=False)
        return PartitionInfo(dataset, symbol, trading_day, table.num_rows, files, digest, True, "written")

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group the partitions written inside into few ILP requests, committed at exit.

        Ticks go out in transactional requests of up to ``config.batch_rows`` rows (several
        partitions per request), then one request with their coverage rows (the commit records),
        whenever the pending rows reach ``batch_rows`` and when the outermost ``batch`` exits; a write
        outside any batch commits at once. Reads commit pending writes first.
        """
        self._pending.enter()
        try:
            yield
        finally:
            if self._pending.leave():
                self._commit_pending()

    def _commit_pending(self, settle: bool = True) -> None:
        """Send the pending partitions; ``settle``: also wait until every index row sent is visible."""
        items = self._pending.take()
        if not items:
            if settle:
                self.wal.settle(self._index)
            return
        try:
            send_batch(self.config, self.wal, self.coverage_spec, self.no_data_spec, items, settle)
        except BaseException:
            with self._lock:  # nothing of the failed batch is known to be committed
                for p in items:
                    self._written.pop(p.entry.key, None)
                    self._no_data_local.pop(p.entry.key, None)
            raise
        for p in items:
            if p.old is not None:
                self._check_replaced(p)

    def _check_replaced(self, p: Pending) -> None:
        """After a ``replace``, the day must hold exactly the new rows (QuestDB cannot delete)."""
        assert p.old is not None
        e, spec = p.entry, p.spec
        lo, hi = (
            min(e.first_datetime_ns, p.old.first_datetime_ns),
            max(e.last_datetime_ns, p.old.last_datetime_ns),
        )
        held = self.count_between(spec, e.symbol, lo, hi)
        if held != e.rows:
            raise ValueError(
                f"{spec.name} holds {held} rows for {e.symbol} {e.trading_day} after replacing with "
                f"{e.rows}: QuestDB cannot delete the stale rows"
            )

    def _visible(self, names: Iterable[str]) -> None:
        """Commit this store's pending writes, then wait until its writes to ``names`` are applied."""
        self._commit_pending()
        self.wal.settle(names)

    def write_sidecar(
        self, name: str, symbol: str, day: dt.date, table: pa.Table, *, mode: WriteMode = "skip_existing"
    ) -> PartitionInfo:
        raise NotImplementedError("sidecars are stored in the Parquet lake only")

    def read_sidecar(
        self, name: str, symbol: str, day: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table | None:
        raise NotImplementedError("sidecars are stored in the Parquet lake only")
