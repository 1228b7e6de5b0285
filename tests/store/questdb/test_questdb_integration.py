"""Against a real QuestDB (see conftest: started by the session, or the caller's server): init, dual-write
ingest of three trading days of three sim cu contracts, equality with the lake, idempotent re-ingest
without duplicates, coverage index, sync repairs both ways, the schedule round trip.

Every table gets a unique prefix and is dropped afterwards, so a production server is never touched.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from ghtrader.cli.db import db_app
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.schedule.oi_rule import compute_schedule, schedule_hash
from ghtrader.sources.sim import SimConfig, SimSource
from ghtrader.store.ingest import IngestSummary, ingest_source_days, plan_symbols
from ghtrader.store.lake import ParquetLake
from ghtrader.store.questdb import reads
from ghtrader.store.questdb.backend import QuestDbStore
from ghtrader.store.questdb.digest import table_digest
from ghtrader.store.questdb.dual import DualStore
from ghtrader.store.questdb.health import check_health
from ghtrader.store.questdb.reads import NO_UPPER, row_ranges
from ghtrader.store.questdb.schedule import read_schedule, write_schedule

pytestmark = pytest.mark.questdb
START, END = dt.date(2025, 3, 4), dt.date(2025, 3, 6)
SYMBOLS = ("SHFE.cu2504", "SHFE.cu2505", "SHFE.cu2506")
runner = CliRunner()


@pytest.fixture(scope="module")
def qdb(questdb: Any) -> Iterator[QuestDbStore]:
    store = questdb.store()
    yield store
    store.drop_tables()
    store.close()


def small_plan(source: SimSource, days: list[dt.date]) -> dict[dt.date, list[str]]:
    plan = plan_symbols(source, "cu", days)
    return {d: [s for s in syms if s in SYMBOLS] for d, syms in plan.items()}


@pytest.fixture(scope="module")
def world(qdb: QuestDbStore, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("data")
    cal = TradingCalendar.bundled()
    book = ContractBook.load(cal)
    lake = ParquetLake(data / "lake_v2", durable=False)
    source = SimSource(cal, book, SimConfig())
    plan = small_plan(source, cal.trading_days(START, END))
    kw = {"calendar": cal, "book": book, "quarantine_dir": data / "quarantine"}
    dual = DualStore(qdb, lake)
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


def lake_rows(lake: ParquetLake, sym: str) -> dict[dt.date, int]:
    return {d: lake.read_day("ticks", sym, d, ["datetime_ns"]).num_rows for d in lake.days("ticks", sym)}


def duplicates(qdb: QuestDbStore) -> int:
    name = qdb.tick_spec("ticks").name
    _, rows = qdb.pg.query(
        f"SELECT count() - count_distinct(concat(symbol, '|', datetime_ns::string)) FROM {name}"
    )
    return int(rows[0][0])


def cli(env: dict[str, str], prefix: str, data: Path, *args: str) -> str:
    result = runner.invoke(db_app, [*args, "--table-prefix", prefix, "--data-dir", str(data)], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_init_twice_and_health(qdb: QuestDbStore, questdb: Any) -> None:
    assert qdb.init_tables() == qdb.init_tables()
    report = check_health(qdb.config)
    assert report.ok and report.version and all(report.tables.values()), report
    out = runner.invoke(db_app, ["questdb-init", "--table-prefix", qdb.config.table_prefix], env=questdb.env)
    assert out.exit_code == 0, out.output


def test_ingest_writes_both_and_counts_match(world: dict[str, Any], qdb: QuestDbStore) -> None:
    lake: ParquetLake = world["lake"]
    first: IngestSummary = world["first"]
    assert set(lake.symbols("ticks")) == set(SYMBOLS)
    assert first.partitions_written == len(SYMBOLS) * 3
    for sym in SYMBOLS:
        rows = lake_rows(lake, sym)
        assert qdb.days("ticks", sym) == sorted(rows)  # coverage index == lake's day list
        assert {e.trading_day: e.rows for e in qdb.coverage("ticks", sym)} == rows
        assert qdb.day_counts("ticks", sym, START, END) == rows  # what the tables really hold


def test_values_equal_the_lake(world: dict[str, Any], qdb: QuestDbStore) -> None:
    lake: ParquetLake = world["lake"]
    for sym in SYMBOLS:
        for day in lake.days("ticks", sym):
            q, lk = qdb.read_day("ticks", sym, day), lake.read_day("ticks", sym, day)
            assert q.equals(lk), (sym, day)
            assert table_digest(q) == qdb.entry("ticks", sym, day).row_hash  # type: ignore[union-attr]
            assert qdb.scan_day("ticks", sym, day).equals(lk)
    cols = ["datetime_ns", "trading_day", "bid_volume3", "last_price"]
    got = world["dual"].read_range("ticks", SYMBOLS[0], START, END, cols)
    assert got.equals(lake.read_range("ticks", SYMBOLS[0], START, END, cols))
    assert any(len(row_ranges(e.rows, 2)) == 2 for e in qdb.coverage("ticks")), "no day took the split path"


def test_ranges_that_do_not_join_fall_back_to_one_query(
    world: dict[str, Any], qdb: QuestDbStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row ranges that overlap (as a write applied between the two range queries would make them)
    are detected by the join check; the day is then read in one query, never with a repeated row."""
    lake: ParquetLake = world["lake"]
    e = max(qdb.coverage("ticks"), key=lambda e: e.rows)

    def overlapping(rows: int, streams: int) -> list[tuple[int, int]]:
        return [(0, rows // 2 + 1), (rows // 2, NO_UPPER)]

    monkeypatch.setattr(reads, "row_ranges", overlapping)
    queries: list[str] = []
    real = qdb.wire.query
    monkeypatch.setattr(qdb.wire, "query", lambda sql, *a: queries.append(sql) or real(sql, *a))
    got = qdb.read_day("ticks", e.symbol, e.trading_day)
    assert got.equals(lake.read_day("ticks", e.symbol, e.trading_day))
    assert [("LIMIT" in q) for q in queries] == [True, False]  # first range, then the whole day


def test_reingest_adds_no_duplicates(world: dict[str, Any], qdb: QuestDbStore) -> None:
    lake: ParquetLake = world["lake"]
    before = {s: qdb.day_counts("ticks", s, START, END) for s in SYMBOLS}
    again = ingest_source_days(world["dual"], world["source"], world["plan"], **world["kw"])
    assert again.days_skipped == 3 and again.rows_written == 0
    forced = ingest_source_days(world["dual"], world["source"], world["plan"], mode="replace", **world["kw"])
    assert forced.partitions_written == 0 and forced.partitions_unchanged == world["first"].partitions_written
    for sym in SYMBOLS:  # a resend of identical rows is absorbed by DEDUP UPSERT KEYS
        qdb.write_partition(
            "ticks", sym, START, lake.read_day("ticks", sym, START), mode="replace", resend=True
        )
    assert {s: qdb.day_counts("ticks", s, START, END) for s in SYMBOLS} == before
    assert duplicates(qdb) == 0


def test_sync_heals_a_day_dropped_in_questdb(world: dict[str, Any], qdb: QuestDbStore, questdb: Any) -> None:
    lake: ParquetLake = world["lake"]
    spec = qdb.tick_spec("ticks")
    qdb.pg.execute(f"ALTER TABLE {spec.name} DROP PARTITION LIST '2025-03-05'")
    qdb.wait_applied([spec.name])
    damaged = qdb.day_counts("ticks", SYMBOLS[0], START, END)
    assert damaged != lake_rows(lake, SYMBOLS[0])
    cli(
        questdb.env,
        qdb.config.table_prefix,
        world["data"],
        "sync",
        "--var",
        "cu",
        "--start",
        str(START),
        "--end",
        str(END),
    )
    for s in SYMBOLS:
        assert qdb.day_counts("ticks", s, START, END) == lake_rows(lake, s)
    day = dt.date(2025, 3, 5)
    assert qdb.read_day("ticks", SYMBOLS[0], day).equals(lake.read_day("ticks", SYMBOLS[0], day))
    assert duplicates(qdb) == 0


def test_sync_heals_a_day_deleted_in_the_lake(world: dict[str, Any], qdb: QuestDbStore, questdb: Any) -> None:
    lake: ParquetLake = world["lake"]
    sym, day = SYMBOLS[-1], dt.date(2025, 3, 6)
    shutil.rmtree(lake.partition_dir("ticks", sym, day))
    assert day not in lake.days("ticks", sym)
    args = ("sync", "--symbol", sym, "--start", str(START), "--end", str(END), "--deep")
    cli(questdb.env, qdb.config.table_prefix, world["data"], *args)
    assert lake.read_day("ticks", sym, day).equals(qdb.read_day("ticks", sym, day))
    assert lake.verify("ticks", sym, day) == []


def test_no_data_markers_sync_both_ways(world: dict[str, Any], qdb: QuestDbStore, questdb: Any) -> None:
    lake: ParquetLake = world["lake"]
    sym, holiday_a, holiday_b = SYMBOLS[1], dt.date(2025, 3, 15), dt.date(2025, 3, 16)
    lake.mark_no_data("ticks", sym, [holiday_a])
    qdb.mark_no_data("ticks", sym, [holiday_b])
    args = ("sync", "--symbol", sym, "--start", "2025-03-15", "--end", "2025-03-16")
    cli(questdb.env, qdb.config.table_prefix, world["data"], *args)
    assert qdb.no_data_days("ticks", sym) == lake.no_data_days("ticks", sym) == [holiday_a, holiday_b]


def test_schedule_round_trip(world: dict[str, Any], qdb: QuestDbStore) -> None:
    lake: ParquetLake = world["lake"]
    rows = [
        (d, s, int(lake.read_day("ticks", s, d, ["open_interest"])["open_interest"][-1].as_py()))
        for s in SYMBOLS
        for d in lake.days("ticks", s)
    ]
    sched = compute_schedule(pd.DataFrame(rows, columns=["trading_day", "symbol", "open_interest"]))
    write_schedule(qdb, "cu", sched, schedule_hash(sched))
    back = read_schedule(qdb, "cu")
    assert list(back["trading_day"]) == list(sched["trading_day"])
    assert list(back["main_contract"]) == list(sched["main_contract"])
    assert list(back["segment_id"]) == list(sched["segment_id"])
