"""QuestDB test plumbing: an environment-independent test run and one real server per session.

Every test here runs with the caller's ``GHTRADER_QUESTDB_*`` variables removed and in a fresh
working directory (no ``.env``), so the outcome never depends on the shell it was started from.
The ``questdb`` fixture is the server for the ``questdb``-marked tests: with
``GHTRADER_TEST_QUESTDB_SERVER=<run.sh>`` (set by ``.ci/run``) the session starts its own QuestDB on
free loopback ports and stops it at the end; else, with ``GHTRADER_QUESTDB_HOST`` set by the caller,
the tests use that server (throw-away table prefixes); else they are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ghtrader.config import load_settings
from ghtrader.store.questdb.backend import QuestDbStore
from ghtrader.store.questdb.conn import QuestDbConfig
from ghtrader.store.questdb.server import SERVER_ENV, LocalQuestDb

_CALLER_QUESTDB_ENV = {k: v for k, v in os.environ.items() if k.startswith("GHTRADER_QUESTDB_")}
SKIP_REASON = (
    f"no QuestDB server: set {SERVER_ENV}=../shared/tools/questdb/run.sh (what .ci/run does) "
    "or GHTRADER_QUESTDB_HOST (e.g. docker compose -f docker/compose.yaml up -d questdb)"
)


@pytest.fixture(autouse=True)
def _independent_of_caller_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("GHTRADER_QUESTDB_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@dataclass
class QuestDbTarget:
    """The server under test: ``managed`` is set when this session started (and may restart) it."""

    base: QuestDbConfig
    env: dict[str, str]
    managed: LocalQuestDb | None

    def config(self, **overrides: Any) -> QuestDbConfig:
        fields = {f: getattr(self.base, f) for f in ("host", "ilp_port", "pg_port", "user", "password")}
        return QuestDbConfig(**(fields | overrides))

    def store(self, **overrides: Any) -> QuestDbStore:
        """A store on fresh throw-away tables (created here; the caller drops them)."""
        prefix = overrides.pop("table_prefix", f"ghtrader_it_{uuid.uuid4().hex[:8]}")
        store = QuestDbStore(self.config(table_prefix=prefix, **overrides))
        store.init_tables()
        return store


@pytest.fixture(scope="session")
def questdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QuestDbTarget]:
    run_sh = os.environ.get(SERVER_ENV)
    if run_sh:
        server = LocalQuestDb.launch(Path(run_sh), tmp_path_factory.mktemp("questdb"))
        try:
            yield QuestDbTarget(server.config(), server.env(), server)
        finally:
            server.stop()
    elif _CALLER_QUESTDB_ENV.get("GHTRADER_QUESTDB_HOST"):
        settings = load_settings(env_file=None, **_caller_settings())
        yield QuestDbTarget(QuestDbConfig.from_settings(settings), dict(_CALLER_QUESTDB_ENV), None)
    else:
        pytest.skip(SKIP_REASON)


def _caller_settings() -> dict[str, Any]:
    prefix = "GHTRADER_"
    return {k[len(prefix) :].lower(): v for k, v in _CALLER_QUESTDB_ENV.items()}
