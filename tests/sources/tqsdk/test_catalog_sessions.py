"""Contract catalog (service + bundled file + store) and sessions from ``quote.trading_time``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ghtrader.cli.contracts import contract_catalog, contracts
from ghtrader.cli.download import _download_csv
from ghtrader.config import load_settings
from ghtrader.market.sessions import Sessions, variety_sessions
from ghtrader.sources.sim import SimSource
from ghtrader.sources.tqsdk.sessions import fetch_sessions, read_cache, sessions_for
from ghtrader.store.ingest import ingest_source_days
from ghtrader.store.lake import ParquetLake
from ghtrader.testing import real_tick_csv

STORE_ONLY = "SHFE.cu2601"  # neither in the pre-2020 bundled file nor in the fake service


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, real_data: Path, calendar, book) -> Path:  # noqa: ANN001
    d = tmp_path_factory.mktemp("catalog")
    _download_csv(load_settings(data_dir=d), real_tick_csv(real_data), None, False, 0.5)
    lake = ParquetLake(d / "lake_v2")
    day = dt.date(2025, 3, 3)
    ingest_source_days(
        lake,
        SimSource(calendar, book),
        {day: [STORE_ONLY]},
        calendar=calendar,
        book=book,
        quarantine_dir=d / "q",
    )
    lake.mark_no_data("ticks", STORE_ONLY, [dt.date(2025, 3, 4)])
    return d


def _settings(data_dir: Path, monkeypatch: pytest.MonkeyPatch, **kw: str):  # noqa: ANN202
    monkeypatch.delenv("TQSDK_USER", raising=False)
    monkeypatch.delenv("TQSDK_PASSWORD", raising=False)
    return load_settings(env_file=None, data_dir=data_dir, **kw)


def test_offline_catalog_merges_bundled_file_and_store(data_dir: Path, book, monkeypatch) -> None:  # noqa: ANN001
    cat = contract_catalog(_settings(data_dir, monkeypatch), "cu")
    assert cat.sources_used == ("bundled", "store")
    assert any("TQSDK_USER" in n for n in cat.notes)
    by = {e.symbol: e for e in cat.entries}
    bundled = {s for s, spec in book.specs.items() if spec.variety == "cu"}
    assert bundled | {STORE_ONLY} == set(by)
    assert by["SHFE.cu1909"].sources == ("bundled", "store") and by["SHFE.cu1909"].days_in_store == 1
    assert by["SHFE.cu1909"].expired and by["SHFE.cu1909"].last_trading_day == dt.date(2019, 9, 16)
    assert by[STORE_ONLY].sources == ("store",)
    assert (by[STORE_ONLY].days_in_store, by[STORE_ONLY].no_data_days) == (1, 1)
    assert all(e.days_in_store == 0 for s, e in by.items() if s not in ("SHFE.cu1909", STORE_ONLY))


def test_online_catalog_adds_service_contracts(data_dir: Path, calendar, tq, monkeypatch) -> None:  # noqa: ANN001
    service = {"SHFE.cu1909": dt.date(2019, 9, 16), "SHFE.cu3012": dt.date(2030, 12, 16)}
    server = tq.FakeServer({}, calendar, known=set(service), expiry=service)
    settings = _settings(data_dir, monkeypatch, tqsdk_user="u", tqsdk_password="p")
    cat = contract_catalog(settings, "cu", api_factory=server.factory)
    assert cat.sources_used == ("service", "bundled", "store") and cat.notes == ()
    by = {e.symbol: e for e in cat.entries}
    assert by["SHFE.cu3012"].sources == ("service",) and not by["SHFE.cu3012"].expired
    assert by["SHFE.cu3012"].last_trading_day == dt.date(2030, 12, 16)
    assert by["SHFE.cu1909"].sources == ("service", "bundled", "store")
    assert all(api.closed for api in server.apis)


def test_contracts_command_json(data_dir: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("TQSDK_USER", raising=False)
    app = typer.Typer()
    app.command()(contracts)
    res = CliRunner().invoke(app, ["--var", "cu", "--data-dir", str(data_dir), "--json", "--offline"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["sources_used"] == ["bundled", "store"]
    assert {"symbol": STORE_ONLY, "days_in_store": 1}.items() <= next(
        c for c in doc["contracts"] if c["symbol"] == STORE_ONLY
    ).items()


def test_sessions_from_trading_time_match_builtin_and_are_cached(
    tmp_path: Path,
    calendar,
    tq,
    live_trading_time,  # noqa: ANN001
) -> None:
    tt = {f"KQ.m@SHFE.{v}": live_trading_time(v) for v in ("cu", "au")}
    api = tq.FakeServer({}, calendar, trading_time=tt).factory()
    for var in ("cu", "au"):
        got = fetch_sessions(api, var, tmp_path)
        assert got.sessions == variety_sessions(var) and got.warning is None
        assert got.sessions.night[0][1] > 86400  # "25:00:00" / "26:30:00" past midnight
        assert read_cache(tmp_path, var) == got
        assert sessions_for(var, tmp_path) == got.sessions


def test_sessions_mismatch_warns(tmp_path: Path, calendar, tq, live_trading_time) -> None:  # noqa: ANN001
    cu = live_trading_time("cu")
    tt = {"KQ.m@SHFE.au": cu, "KQ.m@SHFE.ag": {"day": cu["day"], "night": []}}
    api = tq.FakeServer({}, calendar, trading_time=tt).factory()
    au = fetch_sessions(api, "au", tmp_path)
    assert au.sessions == Sessions.from_trading_time(cu) and "differs from the built-in" in (au.warning or "")
    ag = fetch_sessions(api, "ag", tmp_path)
    assert "no night session" in (ag.warning or "")
    assert read_cache(tmp_path, "ag").warning == ag.warning  # type: ignore[union-attr]
