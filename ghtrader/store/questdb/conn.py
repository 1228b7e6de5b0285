"""QuestDB connection settings, configuration strings and the one "server is down" error.

Traps: the password must never reach a log line, an exception or a ``repr`` — it stays a ``SecretStr``
and travels only as a keyword argument to the clients, never inside the ILP configuration string
(which client errors may echo). The HTTP sender retries for 10 s by default and psycopg can wait
much longer on an unroutable host, so every entry point probes the TCP port first with a short
timeout and fails in one line naming ``host:port``.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from ghtrader.config import Settings

DEFAULT_PREFIX = "ghtrader"


class QuestDbUnavailable(ConnectionError):
    """QuestDB cannot be reached (or refused the request) at ``host:port``."""


@dataclass(frozen=True)
class QuestDbConfig:
    """Where QuestDB listens and how to log in; ``table_prefix`` namespaces the tables (tests use their own)."""

    host: str
    ilp_port: int = 9000
    pg_port: int = 8812
    user: str = "admin"
    password: SecretStr = SecretStr("quest")
    database: str = "qdb"
    table_prefix: str = DEFAULT_PREFIX
    connect_timeout_s: float = 3.0
    batch_rows: int = 100_000
    wal_wait_s: float = 60.0
    read_streams: int = 2  # PGWire connections one large day read is split over

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> QuestDbConfig:
        """Build from ``Settings``; ``ValueError`` when ``questdb_host`` is unset."""
        if not settings.questdb_host:
            raise ValueError("GHTRADER_QUESTDB_HOST is not set: QuestDB is not configured")
        return cls(
            host=settings.questdb_host,
            ilp_port=settings.questdb_ilp_port,
            pg_port=settings.questdb_pg_port,
            user=settings.questdb_user,
            password=settings.questdb_password,
            database=settings.questdb_database,
            **overrides,
        )

    @property
    def ilp_addr(self) -> str:
        return f"{self.host}:{self.ilp_port}"

    @property
    def pg_addr(self) -> str:
        return f"{self.host}:{self.pg_port}"

    def ilp_conf(self) -> str:
        """ILP-over-HTTP configuration string (no credentials; see ``sender_kwargs``).

        ``auto_flush=off``: the store flushes one transactional request per batch itself.
        ``protocol_version=2``: designated timestamps travel as nanoseconds into ``TIMESTAMP_NS``.
        """
        retry_ms = int(self.connect_timeout_s * 1000)
        return f"http::addr={self.ilp_addr};auto_flush=off;protocol_version=2;retry_timeout={retry_ms};"

    def sender_kwargs(self) -> dict[str, Any]:
        """Credentials for ``Sender.from_conf`` (kept out of the configuration string)."""
        return {"username": self.user, "password": self.password.get_secret_value()}

    def pg_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``psycopg.connect`` (holds the password: never log them)."""
        return {
            "host": self.host,
            "port": self.pg_port,
            "user": self.user,
            "password": self.password.get_secret_value(),
            "dbname": self.database,
            "connect_timeout": max(1, int(round(self.connect_timeout_s))),
            "autocommit": True,
        }

    def describe(self) -> str:
        """One loggable line: addresses and user, never the password."""
        return f"QuestDB ILP http://{self.ilp_addr}, PGWire {self.pg_addr} as {self.user}/{self.database}"


def probe_tcp(host: str, port: int, what: str, timeout_s: float = 3.0) -> None:
    """Open and close a TCP connection; ``QuestDbUnavailable`` naming ``host:port`` when that fails."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise QuestDbUnavailable(
            f"QuestDB {what} is not reachable at {host}:{port} ({reason}); start QuestDB "
            "(docker compose -f docker/compose.yaml up -d questdb) or unset GHTRADER_QUESTDB_HOST "
            "to use the Parquet lake only"
        ) from None
