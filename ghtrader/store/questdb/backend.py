"""``QuestDbStore``: the tick-store interface on QuestDB (ILP writes, PGWire reads).

Traps: the coverage index row is the commit record — it is written after the ticks, and readers
trust only it (a crash between the two leaves ticks without an index row; the re-ingest re-sends
them and dedup makes that harmless). WAL tables apply writes asynchronously, so after a write the
store waits until ``wal_tables()`` reports the tables applied. QuestDB cannot delete rows: a
``replace`` that sends fewer rows than a partition already holds is refused after the upsert with
the row counts (ticks are append-only there; see ``ghtrader db sync``). Sidecars live in the lake.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

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
from ghtrader.store.questdb.pg import PgClient, as_date, ts_literal
from ghtrader.store.questdb.reads import IncompleteDay, assemble, day_sql, fetched_columns
from ghtrader.store.questdb.wire import WireConnection, to_table

NIGHT_LEAD_NS = 7 * ilp.NS_PER_DAY  # a trading day's first tick is at most a long weekend earlier


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


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class QuestDbStore:
    """Tick store on a QuestDB server; see the module docstring for the commit protocol."""

    def __init__(self, config: QuestDbConfig, *, wait_visible: bool = True) -> None:
        self.config = config
        self.pg = PgClient(config)
        self.wire = WireConnection(config)
        self.wait_visible = wait_visible
        self.coverage_spec = coverage_table(config.table_prefix)
        self.no_data_spec = no_data_table(config.table_prefix)
        self.schedule_spec = schedule_table(config.table_prefix)

    def __enter__(self) -> QuestDbStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.pg.close()
        self.wire.close()

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
        """Send frames over ILP/HTTP (one transactional request per batch), then wait for WAL apply."""
        from questdb import QuestDBError, Sender

        probe_tcp(self.config.host, self.config.ilp_port, "ILP/HTTP", self.config.connect_timeout_s)
        sent = 0
        try:
            with Sender.from_conf(self.config.ilp_conf(), **self.config.sender_kwargs()) as sender:
                for frame, spec in frames:
                    sent += ilp.send_frame(sender, frame, spec, self.config.batch_rows)
        except QuestDBError as exc:
            raise QuestDbUnavailable(f"QuestDB ILP at {self.config.ilp_addr} failed: {exc}") from None
        if self.wait_visible:
            self.wait_applied(sorted({spec.name for _, spec in frames}))
        return sent

    def wait_applied(self, names: Sequence[str]) -> None:
        """Block until the WAL of ``names`` is applied (writes visible to queries)."""
        deadline = time.monotonic() + self.config.wal_wait_s
        sql = (
            "SELECT name, suspended, writerTxn, sequencerTxn FROM wal_tables() "
            f"WHERE name IN ({', '.join(_quote(n) for n in names)})"
        )
        while True:
            _, rows = self.pg.query(sql)
            for name, suspended, _w, _s in rows:
                if suspended:
                    raise RuntimeError(f"QuestDB suspended the WAL of {name}: check its log, then RESUME WAL")
            if all(w >= s for _n, _sus, w, s in rows):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"QuestDB did not apply the WAL of {list(names)} in {self.config.wal_wait_s}s"
                )
            time.sleep(0.05)

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
        old = self.entry(dataset, symbol, trading_day)
        if old is not None and old.row_hash == digest and not resend:
            return PartitionInfo(dataset, symbol, trading_day, old.rows, files, digest, False, "unchanged")
        if old is not None and mode == "skip_existing" and not resend:
            return PartitionInfo(
                dataset, symbol, trading_day, old.rows, files, old.row_hash, False, "kept_existing"
            )
        first, last = int(ts[0]), int(ts[-1])
        cov = ilp.coverage_frame(
            dataset,
            symbol,
            trading_day,
            rows=table.num_rows,
            first_ns=first,
            last_ns=last,
            row_hash=digest,
            schema_hash=schema_hash(table.schema),
        )
        frames = [(ilp.tick_frame(table, spec), spec), (cov, self.coverage_spec)]
        if trading_day in self.no_data_days(dataset, symbol):
            frames.append((ilp.no_data_frame(dataset, symbol, [trading_day], False), self.no_data_spec))
        self.send(frames)
        if old is not None and self.wait_visible:
            lo, hi = min(first, old.first_datetime_ns), max(last, old.last_datetime_ns)
            held = self.count_between(spec, symbol, lo, hi)
            if held != table.num_rows:
                raise ValueError(
                    f"{spec.name} holds {held} rows for {symbol} {trading_day} after replacing with "
                    f"{table.num_rows}: QuestDB cannot delete the stale rows"
                )
        return PartitionInfo(dataset, symbol, trading_day, table.num_rows, files, digest, True, "written")

    def write_sidecar(
        self, name: str, symbol: str, day: dt.date, table: pa.Table, *, mode: WriteMode = "skip_existing"
    ) -> PartitionInfo:
        raise NotImplementedError("sidecars are stored in the Parquet lake only")

    def read_sidecar(
        self, name: str, symbol: str, day: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table | None:
        raise NotImplementedError("sidecars are stored in the Parquet lake only")

    # ----------------------------------------------------------------- coverage index
    _COVERAGE_COLUMNS = (
        "dataset, symbol, trading_day, row_count, first_datetime_ns, last_datetime_ns, row_hash, schema_hash"
    )

    def _coverage_rows(self, where: str, params: list[Any]) -> list[CoverageEntry]:
        sql = f"SELECT {self._COVERAGE_COLUMNS} FROM {self.coverage_spec.name} WHERE {where} ORDER BY symbol, ts"
        _, rows = self.pg.query(sql, params)
        out = [
            CoverageEntry(r[0], r[1], as_date(r[2]), int(r[3]), int(r[4]), int(r[5]), r[6], r[7])
            for r in rows
        ]
        return [e for e in out if e.rows > 0]

    def coverage(self, dataset: str, symbol: str | None = None) -> list[CoverageEntry]:
        """Index rows of ``dataset`` (one symbol or all), ordered by symbol and day; no tick scan."""
        dataset_schema(dataset)
        if symbol is None:
            return self._coverage_rows("dataset = %s", [dataset])
        return self._coverage_rows("dataset = %s AND symbol = %s", [dataset, symbol])

    def entry(self, dataset: str, symbol: str, day: dt.date) -> CoverageEntry | None:
        """The index row of one day: one query on that day's timestamp (no scan of the symbol's days)."""
        dataset_schema(dataset)
        found = self._coverage_rows(
            f"ts = {ts_literal(ilp.day_ns(day))} AND dataset = %s AND symbol = %s", [dataset, symbol]
        )
        return found[-1] if found else None

    def days(self, dataset: str, symbol: str) -> list[dt.date]:
        return [e.trading_day for e in self.coverage(dataset, symbol)]

    def symbols(self, dataset: str) -> list[str]:
        return sorted({e.symbol for e in self.coverage(dataset)})

    def has_partition(self, dataset: str, symbol: str, day: dt.date) -> bool:
        return self.entry(dataset, symbol, day) is not None

    # ----------------------------------------------------------------- reads
    def read_day(
        self, dataset: str, symbol: str, day: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table:
        """One committed day (``IncompleteDay`` when QuestDB holds fewer/more rows than the index says)."""
        e = self.entry(dataset, symbol, day)
        if e is None:
            return self._schema(dataset, columns).empty_table()
        return self.read_entry(e, columns)

    def read_range(
        self, dataset: str, symbol: str, start: dt.date, end: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table:
        entries = [e for e in self.coverage(dataset, symbol) if start <= e.trading_day <= end]
        tables = [self.read_entry(e, columns) for e in entries]
        return pa.concat_tables(tables) if tables else self._schema(dataset, columns).empty_table()

    @staticmethod
    def _schema(dataset: str, columns: Sequence[str] | None) -> pa.Schema:
        schema = dataset_schema(dataset)
        return schema if columns is None else pa.schema([schema.field(c) for c in columns])

    def read_entry(self, e: CoverageEntry, columns: Sequence[str] | None = None) -> pa.Table:
        """The rows of one index row's day in one binary PGWire round trip, checked against its count."""
        schema, spec = self._schema(e.dataset, columns), self.tick_spec(e.dataset)
        sql = day_sql(spec, fetched_columns(schema), e.trading_day, e.first_datetime_ns, e.last_datetime_ns)
        result = self.wire.query(sql, [e.symbol])
        if result.rows != e.rows:
            raise IncompleteDay(e.dataset, e.symbol, e.trading_day, e.rows, result.rows, spec.name)
        return assemble(result, schema, e.symbol, e.trading_day)

    def scan_day(self, dataset: str, symbol: str, day: dt.date) -> pa.Table:
        """The rows QuestDB actually holds for a trading day, ignoring the index (for repair)."""
        schema, spec = dataset_schema(dataset), self.tick_spec(dataset)
        hi = ilp.day_ns(day) + ilp.NS_PER_DAY
        result = self.wire.query(
            f"SELECT {', '.join(schema.names)} FROM {spec.name} WHERE symbol = $1 "
            f"AND ts >= {ts_literal(hi - ilp.NS_PER_DAY - NIGHT_LEAD_NS)} AND ts < {ts_literal(hi)} "
            f"AND trading_day = '{day.isoformat()}' ORDER BY ts",
            [symbol],
        )
        return to_table(result, schema)

    def count_between(self, spec: TableSpec, symbol: str, lo_ns: int, hi_ns: int) -> int:
        _, rows = self.pg.query(
            f"SELECT count() FROM {spec.name} WHERE symbol = %s AND ts >= {ts_literal(lo_ns)} "
            f"AND ts <= {ts_literal(hi_ns, up=True)} AND datetime_ns >= {lo_ns} AND datetime_ns <= {hi_ns}",
            [symbol],
        )
        return int(rows[0][0]) if rows else 0

    def day_counts(self, dataset: str, symbol: str, start: dt.date, end: dt.date) -> dict[dt.date, int]:
        """Rows actually present per trading day in ``[start, end]`` (a scan: for repair, not for coverage)."""
        epoch = dt.date(1970, 1, 1)
        lo = (start - epoch).days * ilp.NS_PER_DAY - NIGHT_LEAD_NS
        hi = ((end - epoch).days + 1) * ilp.NS_PER_DAY
        _, rows = self.pg.query(
            f"SELECT trading_day, count() FROM {self.tick_spec(dataset).name} WHERE symbol = %s "
            f"AND ts >= {ts_literal(lo)} AND ts < {ts_literal(hi)} GROUP BY trading_day",
            [symbol],
        )
        counts = {as_date(d): int(n) for d, n in rows}
        return {d: n for d, n in sorted(counts.items()) if start <= d <= end}

    # ----------------------------------------------------------------- no-data markers
    def no_data_days(self, dataset: str, symbol: str) -> list[dt.date]:
        _, rows = self.pg.query(
            f"SELECT trading_day, no_data FROM {self.no_data_spec.name} WHERE dataset = %s AND symbol = %s",
            [dataset, symbol],
        )
        return sorted({as_date(d) for d, flag in rows if flag})

    def mark_no_data(self, dataset: str, symbol: str, days: Iterable[dt.date]) -> list[dt.date]:
        """Record ``days`` as no-data (days with a committed partition are ignored); return the new ones."""
        dataset_schema(dataset)
        have = set(self.no_data_days(dataset, symbol)) | set(self.days(dataset, symbol))
        new = sorted(set(days) - have)
        if new:
            self.send([(ilp.no_data_frame(dataset, symbol, new, True), self.no_data_spec)])
        return new

    def missing_days(self, dataset: str, symbol: str, wanted_days: Iterable[dt.date]) -> list[dt.date]:
        have = set(self.days(dataset, symbol)) | set(self.no_data_days(dataset, symbol))
        return sorted(set(wanted_days) - have)
