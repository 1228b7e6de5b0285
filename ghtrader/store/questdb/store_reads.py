"""The read side of ``QuestDbStore`` (a mixin): committed days checked against the index, repair scans.

A day read trusts the coverage index row: it fetches that day's rows (``reads.DayReader``, split over
connections for a large day) and refuses a day whose row count differs (``IncompleteDay``), after
waiting once for a lagging WAL. The scans (``scan_day``, ``day_counts``, ``count_between``) ignore the
index: they are for repair and for checking a ``replace``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import pyarrow as pa

from ghtrader.store.base import dataset_schema
from ghtrader.store.questdb import ilp
from ghtrader.store.questdb.ddl import TableSpec
from ghtrader.store.questdb.entry import CoverageEntry
from ghtrader.store.questdb.pg import PgClient, as_date, ts_literal
from ghtrader.store.questdb.reads import DayReader, IncompleteDay, assemble, day_sql, fetched_columns
from ghtrader.store.questdb.wal import WalTracker
from ghtrader.store.questdb.wire import WireConnection, to_table

NIGHT_LEAD_NS = 7 * ilp.NS_PER_DAY  # a trading day's first tick is at most a long weekend earlier


class StoreReads:
    """Reads of ``QuestDbStore``; the store provides the clients and the index look-ups below."""

    pg: PgClient
    reader: DayReader
    wire: WireConnection
    wal: WalTracker

    def tick_spec(self, dataset: str) -> TableSpec:
        raise NotImplementedError

    def entry(self, dataset: str, symbol: str, day: dt.date) -> CoverageEntry | None:
        raise NotImplementedError

    def coverage(self, dataset: str, symbol: str | None = None) -> list[CoverageEntry]:
        raise NotImplementedError

    def _visible(self, names: Iterable[str]) -> None:
        raise NotImplementedError

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
        """The rows of one index row's day, checked against its count (see ``reads`` for the split)."""
        schema, spec = self._schema(e.dataset, columns), self.tick_spec(e.dataset)
        cols = fetched_columns(schema)
        sql = day_sql(spec, cols, e.trading_day, e.first_datetime_ns, e.last_datetime_ns)
        self._visible([spec.name])
        results = self.reader.fetch(sql, e)
        held = sum(r.rows for r in results)
        if held != e.rows and self.wal.lagging(spec.name):  # another writer's WAL not applied yet
            self.wal.wait_applied([spec.name])
            results = self.reader.fetch(sql, e)
            held = sum(r.rows for r in results)
        if held != e.rows:
            raise IncompleteDay(e.dataset, e.symbol, e.trading_day, e.rows, held, spec.name)
        return assemble(results, schema, e.symbol, e.trading_day)

    def scan_day(self, dataset: str, symbol: str, day: dt.date) -> pa.Table:
        """The rows QuestDB actually holds for a trading day, ignoring the index (for repair)."""
        schema, spec = dataset_schema(dataset), self.tick_spec(dataset)
        self._visible([spec.name])
        hi = ilp.day_ns(day) + ilp.NS_PER_DAY
        result = self.wire.query(
            f"SELECT {', '.join(schema.names)} FROM {spec.name} WHERE symbol = $1 "
            f"AND ts >= {ts_literal(hi - ilp.NS_PER_DAY - NIGHT_LEAD_NS)} AND ts < {ts_literal(hi)} "
            f"AND trading_day = '{day.isoformat()}' ORDER BY ts",
            [symbol],
        )
        return to_table(result, schema)

    def count_between(self, spec: TableSpec, symbol: str, lo_ns: int, hi_ns: int) -> int:
        self._visible([spec.name])
        _, rows = self.pg.query(
            f"SELECT count() FROM {spec.name} WHERE symbol = %s AND ts >= {ts_literal(lo_ns)} "
            f"AND ts <= {ts_literal(hi_ns, up=True)} AND datetime_ns >= {lo_ns} AND datetime_ns <= {hi_ns}",
            [symbol],
        )
        return int(rows[0][0]) if rows else 0

    def day_counts(self, dataset: str, symbol: str, start: dt.date, end: dt.date) -> dict[dt.date, int]:
        """Rows actually present per trading day in ``[start, end]`` (a scan: for repair, not for coverage)."""
        lo = ilp.day_ns(start) - NIGHT_LEAD_NS
        hi = ilp.day_ns(end) + ilp.NS_PER_DAY
        self._visible([self.tick_spec(dataset).name])
        _, rows = self.pg.query(
            f"SELECT trading_day, count() FROM {self.tick_spec(dataset).name} WHERE symbol = %s "
            f"AND ts >= {ts_literal(lo)} AND ts < {ts_literal(hi)} GROUP BY trading_day",
            [symbol],
        )
        counts = {as_date(d): int(n) for d, n in rows}
        return {d: n for d, n in sorted(counts.items()) if start <= d <= end}
