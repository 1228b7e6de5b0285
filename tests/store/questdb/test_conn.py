"""Settings -> connection strings (secrets never printed), fail-fast errors when no server listens,
and the store factory (lake only without a host; QuestDB first, lake untouched when it is down)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ghtrader.cli.db import db_app
from ghtrader.config import Settings
from ghtrader.schema import to_arrow
from ghtrader.store.factory import open_store
from ghtrader.store.lake import ParquetLake
from ghtrader.store.questdb.backend import QuestDbStore
from ghtrader.store.questdb.conn import QuestDbConfig, QuestDbUnavailable
from ghtrader.store.questdb.dual import DualStore
from ghtrader.store.questdb.health import check_health

SECRET = "s3cr3t-Pw-9"
DAY = dt.date(2025, 3, 4)


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def down_config() -> QuestDbConfig:
    settings = Settings(
        questdb_host="127.0.0.1",
        questdb_ilp_port=_unused_port(),
        questdb_pg_port=_unused_port(),
        questdb_password=SECRET,  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    return QuestDbConfig.from_settings(settings, connect_timeout_s=2.0)


def test_settings_map_to_config_and_conf_strings(down_config: QuestDbConfig) -> None:
    c = down_config
    assert c.ilp_conf().startswith(f"http::addr=127.0.0.1:{c.ilp_port};")
    assert "protocol_version=2;" in c.ilp_conf() and "auto_flush=off;" in c.ilp_conf()
    assert c.pg_kwargs()["port"] == c.pg_port and c.pg_kwargs()["dbname"] == "qdb"
    assert c.pg_kwargs()["user"] == "admin" and c.pg_kwargs()["autocommit"] is True
    # the secret reaches the clients as keyword arguments only
    assert c.pg_kwargs()["password"] == SECRET and c.sender_kwargs()["password"] == SECRET


def test_password_never_in_conf_repr_or_log(
    down_config: QuestDbConfig, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("ghtrader.test").info(
            "config %s / %r / %s", down_config, down_config, down_config.describe()
        )
    for text in (
        down_config.ilp_conf(),
        repr(down_config),
        str(down_config),
        down_config.describe(),
        caplog.text,
    ):
        assert SECRET not in text
    assert SECRET not in repr(QuestDbStore(down_config).__dict__)


def test_no_host_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="GHTRADER_QUESTDB_HOST"):
        QuestDbConfig.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]


def _fails_fast(fn: Callable[[], object], port: int) -> str:
    t0 = time.monotonic()
    with pytest.raises(QuestDbUnavailable) as err:
        fn()
    assert time.monotonic() - t0 < 5.0
    msg = str(err.value)
    assert isinstance(err.value, ConnectionError) and "\n" not in msg
    assert f"127.0.0.1:{port}" in msg and SECRET not in msg
    return msg


def test_down_server_fails_fast_with_host_port(down_config: QuestDbConfig) -> None:
    store = QuestDbStore(down_config)
    msg = _fails_fast(lambda: store.days("ticks", "SHFE.cu2505"), down_config.pg_port)
    assert "PGWire" in msg
    _fails_fast(lambda: store.send([]), down_config.ilp_port)
    _fails_fast(store.init_tables, down_config.pg_port)


def test_health_reports_both_endpoints_down(down_config: QuestDbConfig) -> None:
    t0 = time.monotonic()
    report = check_health(down_config)
    assert time.monotonic() - t0 < 5.0
    assert not report.ok and not report.ilp_ok and not report.pg_ok
    assert down_config.ilp_addr in report.ilp_detail and down_config.pg_addr in report.pg_detail


def test_cli_health_and_sync_exit_1_in_one_line(
    down_config: QuestDbConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GHTRADER_QUESTDB_ILP_PORT", str(down_config.ilp_port))
    monkeypatch.setenv("GHTRADER_QUESTDB_PG_PORT", str(down_config.pg_port))
    runner = CliRunner()
    health = runner.invoke(db_app, ["questdb-health", "--host", "127.0.0.1"])
    assert health.exit_code == 1 and "FAIL" in health.output
    assert "error: 1" not in health.output  # the deliberate Exit(1) is not re-reported as an error
    sync = runner.invoke(
        db_app,
        [
            "sync",
            "--host",
            "127.0.0.1",
            "--symbol",
            "SHFE.cu2505",
            "--start",
            "2025-03-03",
            "--end",
            "2025-03-07",
        ],
    )
    assert sync.exit_code == 1
    assert f"127.0.0.1:{down_config.pg_port}" in sync.output and "Traceback" not in sync.output


def test_cli_without_host_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GHTRADER_QUESTDB_HOST", raising=False)
    result = CliRunner().invoke(db_app, ["questdb-init"])
    assert result.exit_code == 1 and "GHTRADER_QUESTDB_HOST" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["questdb-init"],
        ["questdb-health"],
        ["sync", "--symbol", "SHFE.cu2505", "--start", "2025-03-03", "--end", "2025-03-07"],
        ["sync", "--host", "127.0.0.1", "--symbol", "X", "--start", "2025-03-09", "--end", "2025-03-07"],
    ],
)
def test_cli_json_failure_prints_one_json_object(args: list[str]) -> None:
    result = CliRunner().invoke(db_app, [*args, "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["ok"] is False and payload["error"]
    assert "error: 1" not in result.output


def test_open_store_lake_only_without_host(tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path, _env_file=None))  # type: ignore[call-arg]
    assert isinstance(store, ParquetLake) and store.root == tmp_path / "lake_v2"


def test_dual_store_writes_questdb_first_and_leaves_lake_untouched_when_down(
    tmp_path: Path, down_config: QuestDbConfig, ticks: Callable[..., pd.DataFrame]
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        questdb_host="127.0.0.1",
        questdb_ilp_port=down_config.ilp_port,
        questdb_pg_port=down_config.pg_port,
        _env_file=None,  # type: ignore[call-arg]
    )
    store = open_store(settings)  # opening does not connect
    assert isinstance(store, DualStore) and store.root == tmp_path / "lake_v2"
    table = to_arrow(ticks("SHFE.cu2505", DAY, n=20))
    _fails_fast(lambda: store.write_partition("ticks", "SHFE.cu2505", DAY, table), down_config.pg_port)
    assert not (tmp_path / "lake_v2").exists()
