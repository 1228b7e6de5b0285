"""PGWire queries through psycopg 3 (DDL, coverage index, WAL state, repair scans); bulk tick
reads use ``wire`` instead.

Traps: timestamps are compared as ISO literals rounded *outwards* to whole microseconds (valid for
both ``TIMESTAMP`` and ``TIMESTAMP_NS`` columns) and then filtered exactly on the ``datetime_ns``
LONG, so partition pruning works and no row is gained or lost by rounding. QuestDB returns DATE
values as timestamps (``as_date``). Only strings are bound as parameters; numbers are formatted by us.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any

from ghtrader.store.questdb.conn import QuestDbConfig, QuestDbUnavailable, probe_tcp

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def ts_literal(ns: int, *, up: bool = False) -> str:
    """``'YYYY-MM-DDTHH:MM:SS.ffffffZ'`` of epoch-ns ``ns``, floored (or ceiled with ``up``) to 1 us."""
    us = -((-ns) // 1000) if up else ns // 1000
    t = EPOCH + dt.timedelta(microseconds=us)
    return "'" + t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z'"


def as_date(value: Any) -> dt.date:
    """A DATE/TIMESTAMP value from PGWire (datetime, date or ISO string) -> ``date``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class PgClient:
    """One lazily opened autocommit psycopg connection, serialized by a lock (safe across threads)."""

    def __init__(self, config: QuestDbConfig) -> None:
        self.config = config
        self._conn: Any = None
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        import psycopg

        probe_tcp(self.config.host, self.config.pg_port, "PGWire", self.config.connect_timeout_s)
        try:
            return psycopg.connect(**self.config.pg_kwargs())
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise QuestDbUnavailable(
                f"QuestDB PGWire at {self.config.pg_addr} refused the login: {first}"
            ) from None

    def query(self, sql: str, params: Sequence[Any] | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run ``sql``; return (column names, rows). Statements without a result give ``([], [])``.

        A connection that broke while idle (the server restarted) is reopened once and the query
        retried; a failure on a fresh connection is ``QuestDbUnavailable``.
        """
        import psycopg

        with self._lock:
            for attempt in (1, 2):
                fresh = self._conn is None or self._conn.closed
                if fresh:
                    self._conn = self._connect()
                try:
                    with self._conn.cursor() as cur:
                        cur.execute(sql, params)  # type: ignore[arg-type]
                        if cur.description is None:
                            return [], []
                        return [d.name for d in cur.description], list(cur.fetchall())
                except psycopg.OperationalError as exc:
                    self._conn = None
                    if fresh or attempt == 2:
                        raise QuestDbUnavailable(
                            f"QuestDB PGWire at {self.config.pg_addr} failed: {exc}"
                        ) from None
            raise AssertionError("unreachable")

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.query(sql, params)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
