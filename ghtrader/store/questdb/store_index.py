"""The index side of ``QuestDbStore`` (a mixin): coverage rows (the commit records) and no-data marks.

Readers trust only the coverage index; the write path's look-ups use a per-symbol view of the
server's index fetched at most every ``SERVER_VIEW_TTL_S``, overlaid with what this store wrote since
(``_written`` / ``_no_data_local``), so a write never waits for the WAL to apply.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from ghtrader.store.base import dataset_schema
from ghtrader.store.questdb import ilp
from ghtrader.store.questdb.ddl import TableSpec
from ghtrader.store.questdb.entry import CoverageEntry
from ghtrader.store.questdb.pg import PgClient, as_date, ts_literal


class StoreIndex:
    """Index look-ups of ``QuestDbStore``; the store provides the client, the specs and the caches."""

    pg: PgClient
    coverage_spec: TableSpec
    no_data_spec: TableSpec
    _index: tuple[str, str]
    _lock: threading.Lock
    _written: dict[tuple[str, str, dt.date], CoverageEntry]
    _no_data_local: dict[tuple[str, str, dt.date], bool]
    _server_view: dict[tuple[str, str], tuple[float, dict[dt.date, CoverageEntry], set[dt.date]]]

    def send(self, frames: Sequence[tuple[pd.DataFrame, TableSpec]]) -> int:
        raise NotImplementedError

    def _visible(self, names: Iterable[str]) -> None:
        raise NotImplementedError

    _COVERAGE_COLUMNS = (
        "dataset, symbol, trading_day, row_count, first_datetime_ns, last_datetime_ns, row_hash, schema_hash"
    )

    def _coverage_rows(self, where: str, params: list[Any], settle: bool = True) -> list[CoverageEntry]:
        if settle:
            self._visible(self._index)
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
        return self._entry(dataset, symbol, day, settle=True)

    def _entry(self, dataset: str, symbol: str, day: dt.date, settle: bool = False) -> CoverageEntry | None:
        dataset_schema(dataset)
        found = self._coverage_rows(
            f"ts = {ts_literal(ilp.day_ns(day))} AND dataset = %s AND symbol = %s", [dataset, symbol], settle
        )
        return found[-1] if found else None

    SERVER_VIEW_TTL_S = 60.0

    def _server(self, dataset: str, symbol: str) -> tuple[dict[dt.date, CoverageEntry], set[dt.date]]:
        """The server's index and no-data days of a symbol, fetched once per ``SERVER_VIEW_TTL_S``.

        The write path's look-ups: two queries per symbol instead of two per partition. What this
        store wrote since is overlaid by ``_written`` / ``_no_data_local`` (one writer per partition
        is assumed, as for the lake).
        """
        now = time.monotonic()
        with self._lock:
            cached = self._server_view.get((dataset, symbol))
        if cached is not None and now - cached[0] < self.SERVER_VIEW_TTL_S:
            return cached[1], cached[2]
        where = "dataset = %s AND symbol = %s"
        entries = {e.trading_day: e for e in self._coverage_rows(where, [dataset, symbol], settle=False)}
        _, rows = self.pg.query(
            f"SELECT trading_day, no_data FROM {self.no_data_spec.name} WHERE {where} ORDER BY ts",
            [dataset, symbol],
        )
        marks: dict[dt.date, bool] = {}
        for d, flag in rows:  # in ts order: the last row of a day wins, as dedup would
            marks[as_date(d)] = bool(flag)
        view = (now, entries, {d for d, flag in marks.items() if flag})
        with self._lock:
            self._server_view[(dataset, symbol)] = view
        return view[1], view[2]

    def _marked_no_data(self, key: tuple[str, str, dt.date]) -> bool:
        """Whether a day is marked no-data: this store's own marks, else the server's."""
        with self._lock:
            local = self._no_data_local.get(key)
        if local is not None:
            return local
        return key[2] in self._server(key[0], key[1])[1]

    def days(self, dataset: str, symbol: str) -> list[dt.date]:
        return [e.trading_day for e in self.coverage(dataset, symbol)]

    def symbols(self, dataset: str) -> list[str]:
        return sorted({e.symbol for e in self.coverage(dataset)})

    def has_partition(self, dataset: str, symbol: str, day: dt.date) -> bool:
        return self.entry(dataset, symbol, day) is not None

    # ----------------------------------------------------------------- no-data markers
    def no_data_days(self, dataset: str, symbol: str) -> list[dt.date]:
        self._visible(self._index)
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
            with self._lock:
                self._no_data_local.update({(dataset, symbol, d): True for d in new})
        return new

    def missing_days(self, dataset: str, symbol: str, wanted_days: Iterable[dt.date]) -> list[dt.date]:
        have = set(self.days(dataset, symbol)) | set(self.no_data_days(dataset, symbol))
        return sorted(set(wanted_days) - have)
