"""Against a real QuestDB (``GHTRADER_QUESTDB_HOST`` set; skipped otherwise): init, dual-write ingest of
10 trading days of sim cu, equality with the lake, idempotent re-ingest, coverage index, sync repairs.

Every table gets a unique prefix and is dropped afterwards, so a production server is never touched.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ghtrader.cli.db import db_app
from ghtrader.config import load_settings
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.schedule.oi_rule import compute_schedule, schedule_hash
from ghtrader.sources.sim import SimConfig, SimSource
from ghtrader.store.ingest import IngestSummary, ingest_source_days, plan_symbols
from ghtrader.store.lake import ParquetLake
from ghtrader.store.questdb.backend import QuestDbStore
from ghtrader.store.questdb.conn import QuestDbConfig
from ghtrader.store.questdb.digest import table_digest
from ghtrader.store.questdb.dual import DualStore
from ghtrader.store.questdb.health import check_health
from ghtrader.store.questdb.schedule import read_schedule, write_schedule

pytestmark = [
    pytest.mark.questdb,
    pytest.mark.skipif(
        not os.environ.get("GHTRADER_QUESTDB_HOST"),
        reason="no QuestDB server: set GHTRADER_QUESTDB_HOST (e.g. docker compose -f docker/compose.yaml up -d questdb)",
    ),
]
START, END = dt.date(2025, 3, 3), dt.date(2025, 3, 14)
runner = CliRunner()


@pytest.fixture(scope="module")
def prefix() -> str:
    return f"ghtrader_it_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def qdb(prefix: str) -> Iterator[QuestDbStore]:
    config = QuestDbConfig.from_settings(load_settings(env_file=None), table_prefix=prefix)
    store = QuestDbStore(config)
    store.init_tables()
    yield store
    store.drop_tables()
    store.close()


@pytest.fixture(scope="module")
def world(qdb: QuestDbStore, tmp_path_factory: pytest.TempPathFactory) -> dict:
    data = tmp_path_factory.mktemp("data")
    cal = TradingCalendar.bundled()
    book = ContractBook.load(cal)
    lake = ParquetLake(data / "lake_v2", durable=False)
    dual = DualStore(qdb, lake)
    source = SimSource(cal, book, SimConfig())
    plan = plan_symbols(source, "cu", cal.trading_days(START, END))
    kw = {"calendar": cal, "book": book, "quarantine_dir": data / "quarantine"}
    first = ingest_source_days(dual, source, plan, **kw)
    return {
        "data": data,
        "lake": lake,
        "dual": dual,
        "source": source,
        "plan": plan,
        "kw": kw,
        "first": first,
    }


def _cli(prefix: str, data: Path, *args: str) -> str:
    result = runner.invoke(db_app, [*args, "--table-prefix", prefix, "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    return result.output


def test_init_twice_and_health(qdb: QuestDbStore, prefix: str) -> None:
    assert qdb.init_tables() == qdb.init_tables()
    report = check_health(qdb.config)
    assert report.ok and report.version and all(report.tables.values()), report
    out = runner.invoke(db_app, ["questdb-init", "--table-prefix", prefix])
    assert out.exit_code == 0, out.output


def test_ingest_writes_both_and_counts_match(world: dict, qdb: QuestDbStore) -> None:
    lake: ParquetLake = world["lake"]
    first: IngestSummary = world["first"]
    assert first.partitions_written == len(first.symbols) * 10 > 0
    for sym in lake.symbols("ticks"):
        lake_days = lake.days("ticks", sym)
        assert qdb.days("ticks", sym) == lake_days  # coverage index == lake's day list
        index = {e.trading_day: e.rows for e in qdb.coverage("ticks", sym)}
        rows = {d: lake.manifest("ticks", sym, d).rows for d in lake_days}  # type: ignore[union-attr]
        assert index == rows
        assert qdb.day_counts("ticks", sym, START, END) == rows  # what the tables really hold


def test_values_equal_the_lake(world: dict, qdb: QuestDbStore) -> None:
    lake: ParquetLake = world["lake"]
    for sym in lake.symbols("ticks"):
        for day in lake.days("ticks", sym):
            q, lk = qdb.read_day("ticks", sym, day), lake.read_day("ticks", sym, day)
            assert q.equals(lk), (sym, day)
            assert table_digest(q) == qdb.entry("ticks", sym, day).row_hash  # type: ignore[union-attr]
    sym = lake.symbols("ticks")[0]
    assert (
        world["dual"].read_range("ticks", sym, START, END).equals(lake.read_range("ticks", sym, START, END))
    )


def test_reingest_leaves_counts_unchanged(world: dict, qdb: QuestDbStore) -> None:
    lake: ParquetLake = world["lake"]
    before = {s: qdb.day_counts("ticks", s, START, END) for s in lake.symbols("ticks")}
    again = ingest_source_days(world["dual"], world["source"], world["plan"], **world["kw"])
    assert again.days_skipped == 10 and again.rows_written == 0
    forced = ingest_source_days(world["dual"], world["source"], world["plan"], mode="replace", **world["kw"])
    assert forced.partitions_written == 0 and forced.partitions_unchanged == world["first"].partitions_written
    # a resend of identical rows is absorbed by DEDUP UPSERT KEYS
    sym, day = next(iter(before)), START
    qdb.write_partition("ticks", sym, day, lake.read_day("ticks", sym, day), mode="replace", resend=True)
    assert {s: qdb.day_counts("ticks", s, START, END) for s in before} == before


def test_sync_heals_a_day_dropped_in_questdb(world: dict, qdb: QuestDbStore, prefix: str) -> None:
    lake: ParquetLake = world["lake"]
    spec = qdb.tick_spec("ticks")
    qdb.pg.execute(f"ALTER TABLE {spec.name} DROP PARTITION LIST '2025-03-05'")
    qdb.wait_applied([spec.name])
    sym = lake.symbols("ticks")[0]
    damaged = qdb.day_counts("ticks", sym, START, END)
    truth = {d: lake.manifest("ticks", sym, d).rows for d in lake.days("ticks", sym)}  # type: ignore[union-attr]
    assert damaged != truth
    _cli(prefix, world["data"], "sync", "--var", "cu", "--start", str(START), "--end", str(END))
    for s in lake.symbols("ticks"):
        rows = {d: lake.manifest("ticks", s, d).rows for d in lake.days("ticks", s)}  # type: ignore[union-attr]
        assert qdb.day_counts("ticks", s, START, END) == rows
    assert qdb.read_day("ticks", sym, dt.date(2025, 3, 5)).equals(
        lake.read_day("ticks", sym, dt.date(2025, 3, 5))
    )


def test_sync_heals_a_day_deleted_in_the_lake(world: dict, qdb: QuestDbStore, prefix: str) -> None:
    lake: ParquetLake = world["lake"]
    sym, day = lake.symbols("ticks")[-1], dt.date(2025, 3, 11)
    shutil.rmtree(lake.partition_dir("ticks", sym, day))
    assert day not in lake.days("ticks", sym)
    _cli(prefix, world["data"], "sync", "--symbol", sym, "--start", str(START), "--end", str(END), "--deep")
    assert lake.read_day("ticks", sym, day).equals(qdb.read_day("ticks", sym, day))
    assert lake.verify("ticks", sym, day) == []


def test_no_data_markers_sync_both_ways(world: dict, qdb: QuestDbStore, prefix: str) -> None:
    lake: ParquetLake = world["lake"]
    holiday_a, holiday_b = dt.date(2025, 3, 15), dt.date(2025, 3, 16)
    lake.mark_no_data("ticks", "SHFE.cu2512", [holiday_a])
    qdb.mark_no_data("ticks", "SHFE.cu2512", [holiday_b])
    _cli(
        prefix,
        world["data"],
        "sync",
        "--symbol",
        "SHFE.cu2512",
        "--start",
        "2025-03-15",
        "--end",
        "2025-03-16",
    )
    assert (
        qdb.no_data_days("ticks", "SHFE.cu2512")
        == lake.no_data_days("ticks", "SHFE.cu2512")
        == [
            holiday_a,
            holiday_b,
        ]
    )


def test_schedule_round_trip(world: dict, qdb: QuestDbStore) -> None:
    lake: ParquetLake = world["lake"]
    rows = [
        (d, s, int(lake.read_day("ticks", s, d, ["open_interest"])["open_interest"][-1].as_py()))
        for s in lake.symbols("ticks")
        for d in lake.days("ticks", s)
    ]
    sched = compute_schedule(pd.DataFrame(rows, columns=["trading_day", "symbol", "open_interest"]))
    write_schedule(qdb, "cu", sched, schedule_hash(sched))
    back = read_schedule(qdb, "cu")
    assert list(back["trading_day"]) == list(sched["trading_day"])
    assert list(back["main_contract"]) == list(sched["main_contract"])
    assert list(back["segment_id"]) == list(sched["segment_id"])
