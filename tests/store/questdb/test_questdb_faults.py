"""Against a real QuestDB: the failure modes — a day QuestDB lost rows of (lake fallback or one clear
error, never a silent partial read), health with missing tables or a wrong password, a ``kill -9``
mid-ingest followed by a restart and a re-run (nothing lost, nothing doubled), and the image pin.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ghtrader.cli.db import db_app
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.sources.sim import SimSource
from ghtrader.store.ingest import ingest_source_days
from ghtrader.store.lake import ParquetLake
from ghtrader.store.questdb import ilp
from ghtrader.store.questdb.backend import QuestDbStore
from ghtrader.store.questdb.conn import QuestDbUnavailable
from ghtrader.store.questdb.dual import DayUnavailable, DualStore
from ghtrader.store.questdb.reads import IncompleteDay

pytestmark = pytest.mark.questdb
REPO = Path(__file__).resolve().parents[3]
SYM = "SHFE.cu2505"
runner = CliRunner()


@pytest.fixture
def qdb(questdb: Any) -> Iterator[QuestDbStore]:
    store = questdb.store()
    yield store
    store.drop_tables()
    store.close()


def ingest(store: Any, lake_root: Path, plan: dict[dt.date, list[str]]) -> Any:
    cal = TradingCalendar.bundled()
    book = ContractBook.load(cal)
    kw = {"calendar": cal, "book": book, "quarantine_dir": lake_root.parent / "quarantine"}
    return ingest_source_days(store, SimSource(cal, book), plan, workers=1, **kw)


def test_lost_rows_fall_back_to_the_verified_lake_else_one_error(
    qdb: QuestDbStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lake = ParquetLake(tmp_path / "lake_v2", durable=False)
    dual = DualStore(qdb, lake)
    day = dt.date(2025, 3, 4)  # its day session lies in the UTC partition 2025-03-04, its night in 03-03
    ingest(dual, lake.root, {day: [SYM]})
    truth = lake.read_day("ticks", SYM, day)
    spec = qdb.tick_spec("ticks")
    qdb.pg.execute(f"ALTER TABLE {spec.name} DROP PARTITION LIST '2025-03-04'")
    qdb.wait_applied([spec.name])
    assert dual.has_partition("ticks", SYM, day)  # the index still lists the day as complete

    with pytest.raises(
        IncompleteDay,
        match=rf"returned \d+ rows for {SYM} {day} but its coverage index records {truth.num_rows}",
    ):
        qdb.read_day("ticks", SYM, day)
    with caplog.at_level(logging.WARNING, logger="ghtrader.store.questdb.dual"):
        got = dual.read_day("ticks", SYM, day)
        part = dual.read_range("ticks", SYM, day, day, ["datetime_ns", "last_price"])
    assert got.equals(truth) and part.equals(truth.select(["datetime_ns", "last_price"]))
    assert "served the lake's verified copy" in caplog.text

    shutil.rmtree(lake.partition_dir("ticks", SYM, day))
    with pytest.raises(
        DayUnavailable, match=rf"neither store holds the committed {truth.num_rows} rows.*lake holds 0"
    ):
        dual.read_day("ticks", SYM, day)
    with pytest.raises(DayUnavailable):
        dual.read_range("ticks", SYM, day, day)


def test_health_fails_on_missing_tables_without_an_error_1_line(questdb: Any) -> None:
    prefix = "ghtrader_absent_tables"
    res = runner.invoke(db_app, ["questdb-health", "--table-prefix", prefix], env=questdb.env)
    assert res.exit_code == 1, res.output
    assert "missing tables" in res.output and "questdb-init" in res.output
    assert "error: 1" not in res.output and "ok   ILP/HTTP" in res.output
    ok = runner.invoke(
        db_app, ["questdb-health", "--table-prefix", prefix, "--no-require-tables"], env=questdb.env
    )
    assert ok.exit_code == 0, ok.output
    js = runner.invoke(db_app, ["questdb-health", "--table-prefix", prefix, "--json"], env=questdb.env)
    report = json.loads(js.stdout)
    assert js.exit_code == 1 and report["ok"] is False and "missing tables" in report["error"]


def test_health_rejects_a_wrong_password_on_both_endpoints(questdb: Any) -> None:
    if questdb.managed is None:
        pytest.skip("needs the session-managed server (its logins are known to be enforced)")
    env = questdb.env | {"GHTRADER_QUESTDB_PASSWORD": "not-the-password"}
    res = runner.invoke(db_app, ["questdb-health", "--json"], env=env)
    report = json.loads(res.stdout)
    assert res.exit_code == 1 and report["ok"] is False
    assert not report["ilp_ok"] and "rejected the login" in report["ilp_detail"]
    assert not report["pg_ok"] and "not-the-password" not in res.output


def test_kill_9_mid_ingest_then_restart_and_rerun_loses_nothing(
    questdb: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if questdb.managed is None:
        pytest.skip("needs the session-managed server (GHTRADER_TEST_QUESTDB_SERVER) to kill and restart")
    store = questdb.store()
    prefix = store.config.table_prefix
    lake = ParquetLake(tmp_path / "lake_v2", durable=False)
    days = [dt.date(2025, 3, 4), dt.date(2025, 3, 5)]
    plan = {d: [SYM, "SHFE.cu2506"] for d in days}
    real_send, tick_sends = ilp.send_frames, []

    def send_then_crash(sender: Any, frames: Any, spec: Any, batch_rows: int) -> int:
        sent = real_send(sender, frames, spec, batch_rows)
        tick_sends.append(sent)
        if len(tick_sends) == 2:  # the second day's ticks are in, their commit records are not
            questdb.managed.kill()
        return sent

    monkeypatch.setattr(ilp, "send_frames", send_then_crash)
    with pytest.raises(
        QuestDbUnavailable, match=rf"127\.0\.0\.1:({questdb.base.ilp_port}|{questdb.base.pg_port})"
    ):
        ingest(DualStore(store, lake), lake.root, plan)
    monkeypatch.setattr(ilp, "send_frames", real_send)
    questdb.managed.start()

    fresh = questdb.store(table_prefix=prefix)  # a re-run is a new process: new connections
    try:
        rerun = ingest(DualStore(fresh, lake), lake.root, plan)
        assert rerun.partitions_written == 2
        for sym in plan[days[0]]:
            rows = {d: lake.read_day("ticks", sym, d).num_rows for d in days}
            assert fresh.day_counts("ticks", sym, days[0], days[-1]) == rows
            assert {e.trading_day: e.rows for e in fresh.coverage("ticks", sym)} == rows
            for d in days:
                assert fresh.read_day("ticks", sym, d).equals(lake.read_day("ticks", sym, d))
        _, dup = fresh.pg.query(
            f"SELECT count() - count_distinct(concat(symbol, '|', datetime_ns::string)) "
            f"FROM {fresh.tick_spec('ticks').name}"
        )
        assert dup[0][0] == 0
        assert store.days("ticks", SYM) == days  # the old store's connections reopen after the restart
    finally:
        fresh.drop_tables()
        fresh.close()
        store.close()


def test_compose_and_readme_pin_the_tested_version(qdb: QuestDbStore) -> None:
    _, rows = qdb.pg.query("SELECT build()")
    server = re.search(r"questdb (\d+\.\d+\.\d+)", str(rows[0][0]))
    assert server, rows
    compose = (REPO / "docker" / "compose.yaml").read_text()
    pinned = re.findall(r"questdb/questdb:(\d+\.\d+\.\d+)", compose)
    assert pinned == [server.group(1)], (pinned, rows)
    assert f"questdb/questdb:{server.group(1)}" in (REPO / "README.md").read_text()
