"""A throw-away local QuestDB process for tests and benchmarks (``../shared/tools/questdb/run.sh``).

``LocalQuestDb.launch`` picks free loopback ports, starts the server with HTTP and PGWire logins
set, and can ``kill()`` it (SIGKILL, the crash case) and ``start()`` it again on the same data and
ports. Production never uses this: there QuestDB is the pinned container image (docker/compose.yaml).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ghtrader.store.questdb.conn import QuestDbConfig

SERVER_ENV = "GHTRADER_TEST_QUESTDB_SERVER"  # path to run.sh: tests/benchmarks start their own server


def free_ports(n: int) -> list[int]:
    """``n`` distinct currently free loopback ports (bound together, then released)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


@dataclass
class LocalQuestDb:
    """One QuestDB server process driven through ``run.sh`` (loopback only)."""

    run_sh: Path
    data_dir: Path
    pg_port: int
    ilp_tcp_port: int
    http_port: int
    user: str = "admin"
    password: str = "quest"
    start_timeout_s: int = 90

    @classmethod
    def launch(cls, run_sh: Path, data_dir: Path, **kw: Any) -> LocalQuestDb:
        pg, tcp, http = free_ports(3)
        server = cls(Path(run_sh), Path(data_dir), pg, tcp, http, **kw)
        server.start()
        return server

    def _run(self, *args: str) -> str:
        env = os.environ | {
            "QDB_PG_USER": self.user,
            "QDB_PG_PASSWORD": self.password,
            "QDB_HTTP_USER": self.user,
            "QDB_HTTP_PASSWORD": self.password,
            "QDB_START_TIMEOUT": str(self.start_timeout_s),
            "QDB_JAVA_OPTS": os.environ.get("QDB_JAVA_OPTS", "-Xmx512m"),
        }
        proc = subprocess.run(
            ["bash", str(self.run_sh), *args], env=env, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{self.run_sh} {' '.join(args)} failed: {(proc.stderr or proc.stdout).strip()}"
            )
        return proc.stdout.strip()

    def start(self) -> str:
        """Start (or restart on the same data and ports); return once a PGWire login works.

        ``run.sh`` returns when the port accepts connections; after a ``kill -9`` the server may
        still be replaying its WAL then, so logins are retried until ``start_timeout_s``.
        """
        out = self._run(
            "start", str(self.data_dir), str(self.pg_port), str(self.ilp_tcp_port), str(self.http_port)
        )
        self._wait_for_login()
        return out

    def _wait_for_login(self) -> None:
        import psycopg

        deadline = time.monotonic() + self.start_timeout_s
        kwargs = self.config(connect_timeout_s=5.0).pg_kwargs()
        while True:
            try:
                with psycopg.connect(**kwargs) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"QuestDB on {self.pg_port} accepts no login: {exc}") from None
                time.sleep(0.2)

    def stop(self) -> str:
        return self._run("stop", str(self.data_dir))

    def pid(self) -> int | None:
        try:
            return int((self.data_dir / "questdb.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def kill(self) -> None:
        """SIGKILL the server (no shutdown hooks: the crash case) and wait until its ports close."""
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        (self.data_dir / "questdb.pid").unlink(missing_ok=True)

    def config(self, **overrides: Any) -> QuestDbConfig:
        """Client settings for this server (ILP over HTTP, PGWire), ``overrides`` applied."""
        base: dict[str, Any] = {
            "host": "127.0.0.1",
            "ilp_port": self.http_port,
            "pg_port": self.pg_port,
            "user": self.user,
            "password": SecretStr(self.password),
        }
        return QuestDbConfig(**(base | overrides))

    def env(self) -> dict[str, str]:
        """``GHTRADER_QUESTDB_*`` variables pointing a CLI at this server."""
        return {
            "GHTRADER_QUESTDB_HOST": "127.0.0.1",
            "GHTRADER_QUESTDB_ILP_PORT": str(self.http_port),
            "GHTRADER_QUESTDB_PG_PORT": str(self.pg_port),
            "GHTRADER_QUESTDB_USER": self.user,
            "GHTRADER_QUESTDB_PASSWORD": self.password,
        }
