"""Historical download through a fake TqApi serving the real cu1909 ticks (same path as the real API)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ghtrader.cli.common import CliError
from ghtrader.cli.download import _download_csv
from ghtrader.cli.download_tqsdk import _download_tqsdk
from ghtrader.config import load_settings
from ghtrader.sources.tqsdk.api import RetryPolicy, credentials_from_settings, scrub
from ghtrader.store.lake import ParquetLake
from ghtrader.testing import REPO_ROOT, real_tick_csv

SYMBOL = "SHFE.cu1909"


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.delenv("TQSDK_USER", raising=False)
    monkeypatch.delenv("TQSDK_PASSWORD", raising=False)
    return load_settings(env_file=None, data_dir=tmp_path / "tq")


def _run(settings, server, start: str, end: str, *, symbol: str | None = SYMBOL, delays=None, attempts=4):  # noqa: ANN001, ANN202
    retry = RetryPolicy(
        attempts=attempts, base_s=0.5, sleep=(delays.append if delays is not None else lambda _s: None)
    )
    return _download_tqsdk(
        settings, "cu", symbol, start, end, False, True, api_factory=server.factory, retry=retry
    )


def _lake(settings) -> ParquetLake:  # noqa: ANN001
    return ParquetLake(settings.data_dir / "lake_v2")


def test_download_equals_csv_import(
    settings, real_data: Path, real_tq_frame, calendar, tq, tmp_path: Path
) -> None:  # noqa: ANN001
    server = tq.FakeServer({SYMBOL: real_tq_frame}, calendar)
    summary = _run(settings, server, "2019-09-12", "2019-09-12")
    assert summary.rows_written == len(real_tq_frame) and summary.rows_quarantined == 0
    _download_csv(load_settings(data_dir=tmp_path / "csv"), real_tick_csv(real_data), None, False, 0.5)
    got = _lake(settings).read_day("ticks", SYMBOL, tq.REAL_DAY)
    want = ParquetLake(tmp_path / "csv" / "lake_v2").read_day("ticks", SYMBOL, tq.REAL_DAY)
    assert got.num_rows == want.num_rows
    assert got.equals(want)
    assert all(api.closed for api in server.apis)


def test_var_download_marks_contracts_without_ticks_as_no_data(
    settings, real_tq_frame, calendar, book, tq
) -> None:  # noqa: ANN001
    listed = [s.symbol for s in book.listed("cu", tq.REAL_DAY)]
    server = tq.FakeServer({SYMBOL: real_tq_frame}, calendar, known=set(listed))
    summary = _run(settings, server, "2019-09-12", "2019-09-12", symbol=None)
    lake = _lake(settings)
    assert sorted(s for s, _ in server.calls) == sorted(listed)
    assert lake.days("ticks", SYMBOL) == [tq.REAL_DAY]
    empty = [s for s in listed if s != SYMBOL]
    assert all(lake.no_data_days("ticks", s) == [tq.REAL_DAY] for s in empty)
    assert summary.no_data_days == len(empty)


def test_zero_tick_day_is_marked_once_then_skipped(settings, real_tq_frame, calendar, tq) -> None:  # noqa: ANN001
    server = tq.FakeServer({SYMBOL: real_tq_frame}, calendar)
    _run(settings, server, "2019-09-11", "2019-09-12")
    lake = _lake(settings)
    assert lake.no_data_days("ticks", SYMBOL) == [dt.date(2019, 9, 11)]
    assert lake.days("ticks", SYMBOL) == [tq.REAL_DAY]
    n = len(server.calls)
    again = _run(settings, server, "2019-09-11", "2019-09-12")
    assert len(server.calls) == n and again.days_skipped == 2


def test_unknown_symbol_becomes_no_data_not_an_error(settings, calendar, tq) -> None:  # noqa: ANN001
    server = tq.FakeServer({}, calendar)
    _run(settings, server, "2019-09-12", "2019-09-12")
    assert _lake(settings).no_data_days("ticks", SYMBOL) == [tq.REAL_DAY]


@pytest.mark.parametrize(
    "error", [ConnectionError("connection reset"), "timeout", AssertionError("下载失败")]
)
def test_transient_failure_is_retried_with_backoff(settings, real_tq_frame, calendar, tq, error) -> None:  # noqa: ANN001
    exc = tq.TqTimeoutError("获取数据超时") if error == "timeout" else error
    server = tq.FakeServer({SYMBOL: real_tq_frame}, calendar, failures={0: exc, 1: exc})
    delays: list[float] = []
    summary = _run(settings, server, "2019-09-12", "2019-09-12", delays=delays)
    assert len(server.calls) == 3 and delays == [0.5, 1.0]
    assert summary.rows_written == len(real_tq_frame)
    assert len(server.apis) == 3  # the broken connection is rebuilt before each retry


def test_persistent_transient_failure_raises_and_marks_nothing(settings, real_tq_frame, calendar, tq) -> None:  # noqa: ANN001
    server = tq.FakeServer(
        {SYMBOL: real_tq_frame}, calendar, failures={i: TimeoutError("read timed out") for i in range(3)}
    )
    with pytest.raises(CliError, match="still failing after 3 attempts"):
        _run(settings, server, "2019-09-12", "2019-09-12", attempts=3)
    lake = _lake(settings)
    assert lake.days("ticks", SYMBOL) == [] and lake.no_data_days("ticks", SYMBOL) == []


def test_interrupted_download_resumed_twice_has_no_duplicate_and_no_gap(
    settings,
    real_tq_frame,
    calendar,
    tq,  # noqa: ANN001
) -> None:
    days = calendar.trading_days(dt.date(2019, 9, 2), dt.date(2019, 9, 16))
    gap = dt.date(2019, 9, 10)  # a real no-data day inside the range
    data_days = [d for d in days if d != gap]
    frame = pd.concat([tq.shift_days(real_tq_frame, tq.REAL_DAY, d) for d in data_days], ignore_index=True)
    fatal = RuntimeError("行情服务器连接被关闭")
    server = tq.FakeServer({SYMBOL: frame}, calendar, failures={3: fatal})
    with pytest.raises(CliError, match="RuntimeError"):
        _run(settings, server, "2019-09-02", "2019-09-16")
    first = list(server.calls)
    server.failures = {len(server.calls) + 2: RuntimeError("fatal again")}
    with pytest.raises(CliError):
        _run(settings, server, "2019-09-02", "2019-09-16")
    second = server.calls[len(first) :]
    final = _run(settings, server, "2019-09-02", "2019-09-16")
    third = server.calls[len(first) + len(second) :]
    lake = _lake(settings)
    assert lake.days("ticks", SYMBOL) == data_days
    assert lake.no_data_days("ticks", SYMBOL) == [gap]
    fetched = [d for _, d in first[:-1] + second[:-1] + third]
    assert sorted(fetched) == days and len(set(fetched)) == len(days)  # every day fetched once, resumed
    for d in data_days:
        ns = lake.read_day("ticks", SYMBOL, d, columns=["datetime_ns"])["datetime_ns"].to_numpy()
        want = tq.shift_days(real_tq_frame, tq.REAL_DAY, d)["datetime"].to_numpy()
        assert np.array_equal(ns, want)
    assert final.days_skipped == len(first) - 1 + len(second) - 1


def test_missing_credentials_name_the_variables(settings, calendar) -> None:  # noqa: ANN001
    with pytest.raises(CliError, match="TQSDK_USER and TQSDK_PASSWORD not set"):
        _download_tqsdk(settings, "cu", None, "2019-09-12", "2019-09-12", False, True)
    half = load_settings(env_file=None, data_dir=settings.data_dir, tqsdk_user="someone")
    with pytest.raises(CliError, match="^TQSDK_PASSWORD not set"):
        _download_tqsdk(half, "cu", None, "2019-09-12", "2019-09-12", False, True)


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TQSDK_", "GHTRADER_"))}
    return env | {"GHTRADER_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}


def test_missing_credentials_exit_fast_with_one_line(tmp_path: Path) -> None:
    code = (
        "import typer\n"
        "from ghtrader.cli.common import run_guarded, settings_for\n"
        "from ghtrader.cli.download_tqsdk import _download_tqsdk\n"
        "def cmd() -> None:\n"
        "    run_guarded(lambda: _download_tqsdk(settings_for(None), 'cu', None, '2019-09-12', "
        "'2019-09-12', False, False))\n"
        "typer.run(cmd)\n"
    )
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    elapsed = time.perf_counter() - t0
    # fails before any connection attempt (TqApi's connect/retry would hit the 30 s timeout); the bound
    # is loose because interpreter start-up alone takes seconds on a loaded 2-core machine
    assert proc.returncode != 0 and elapsed < 20, (proc.returncode, elapsed)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "TQSDK_USER" in lines[0], proc.stderr


WIRED = "download_tqsdk" in (REPO_ROOT / "ghtrader" / "cli" / "download.py").read_text()


@pytest.mark.skipif(not WIRED, reason="--source tqsdk not wired into ghtrader/cli/download.py yet")
def test_cli_download_tqsdk_without_credentials(tmp_path: Path) -> None:
    args = ["download", "--source", "tqsdk", "--var", "cu", "--start", "2019-09-12", "--end", "2019-09-12"]
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "ghtrader.cli.main", *args],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    elapsed = time.perf_counter() - t0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode != 0 and elapsed < 20, (proc.returncode, elapsed, proc.stderr)  # see above
    assert len(lines) == 1 and "TQSDK_USER" in lines[0], proc.stderr


def test_password_never_printed(settings) -> None:  # noqa: ANN001
    secret = "s3cret-pw"
    creds = credentials_from_settings(
        load_settings(env_file=None, data_dir=settings.data_dir, tqsdk_user="u", tqsdk_password=secret)
    )
    assert creds.password.get_secret_value() == secret
    assert secret not in repr(creds) and secret not in str(creds)
    assert scrub(f"login failed for u/{secret}\nsecond line", secret) == "login failed for u/***"
