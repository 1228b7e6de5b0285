"""Roll schedule from stored OI and the main_l5 splice, on sim data across a roll."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.compute as pc
import pytest

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.schedule.build import build_schedule, end_of_day_oi, load_schedule
from ghtrader.schedule.main_l5 import build_main_l5
from ghtrader.schedule.oi_rule import schedule_hash
from ghtrader.schema import TICK_COLUMNS
from ghtrader.sources.sim import SimConfig, SimSource
from ghtrader.store.ingest import ingest_source_days
from ghtrader.store.lake import ParquetLake

SYMBOLS = ["SHFE.cu2504", "SHFE.cu2505", "SHFE.cu2506"]


def _ingest(
    lake: ParquetLake, calendar: TradingCalendar, book: ContractBook, days: list[dt.date], q: Path
) -> None:
    src = SimSource(calendar, book, SimConfig())
    ingest_source_days(lake, src, {d: SYMBOLS for d in days}, calendar=calendar, book=book, quarantine_dir=q)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> ParquetLake:
    cal = TradingCalendar.bundled()
    book = ContractBook.load(cal)
    root = tmp_path_factory.mktemp("d")
    lake = ParquetLake(root / "lake_v2")
    _ingest(lake, cal, book, cal.trading_days("2025-03-13", "2025-03-19"), root / "quarantine")
    build_schedule(lake, "cu", book)
    build_main_l5(lake, "cu")
    return lake


def test_schedule_rolls_with_t_plus_1(lake: ParquetLake) -> None:
    sched = load_schedule(lake, "cu")
    eod = end_of_day_oi(lake, "cu").pivot(index="trading_day", columns="symbol", values="open_interest")
    assert sched["segment_id"].nunique() == 2
    switch = sched[sched["segment_id"].diff() == 1].iloc[0]
    prev = eod.index[list(eod.index).index(switch["trading_day"]) - 1]
    old = sched[sched["trading_day"] == prev]["main_contract"].iloc[0]
    assert eod.loc[prev, switch["main_contract"]] > 1.1 * eod.loc[prev, old]
    meta = json.loads((lake.root / "main_schedule" / "var=cu" / "schedule.json").read_text())
    assert meta["schedule_hash"] == schedule_hash(sched)


def test_main_l5_equals_underlying_ticks(lake: ParquetLake) -> None:
    sched = load_schedule(lake, "cu")
    segs, underlyings = set(), set()
    for row in sched.itertuples():
        main = lake.read_day("main_l5", "KQ.m@SHFE.cu", row.trading_day)
        raw = lake.read_day("ticks", row.main_contract, row.trading_day)
        assert main.num_rows == raw.num_rows > 0
        for col in TICK_COLUMNS:
            if col != "symbol":
                assert main[col].equals(raw[col]), col
        assert pc.unique(main["symbol"]).to_pylist() == ["KQ.m@SHFE.cu"]
        assert pc.unique(main["underlying_contract"]).to_pylist() == [row.main_contract]
        segs |= set(pc.unique(main["segment_id"]).to_pylist())
        underlyings.add(row.main_contract)
    assert len(segs) == 2 and len(underlyings) == 2


def test_provenance_and_idempotence(lake: ParquetLake) -> None:
    prov = json.loads((lake.symbol_dir("main_l5", "KQ.m@SHFE.cu") / "_provenance.json").read_text())
    assert prov["contracts_used"] == ["SHFE.cu2504", "SHFE.cu2505"]
    assert sum(prov["rows_per_day"].values()) > 100_000 and prov["missing_days"] == []
    again = build_main_l5(lake, "cu")
    assert again["partitions_written"] == 0 and again["partitions_unchanged"] == 5


def test_extending_the_schedule_keeps_old_partitions(tmp_path: Path, calendar: TradingCalendar, book) -> None:
    lake = ParquetLake(tmp_path / "lake_v2")
    days = calendar.trading_days("2025-03-13", "2025-03-18")
    _ingest(lake, calendar, book, days[:-1], tmp_path / "q")
    build_schedule(lake, "cu", book)
    build_main_l5(lake, "cu")
    first = lake.manifest("main_l5", "KQ.m@SHFE.cu", days[0])
    _ingest(lake, calendar, book, days[-1:], tmp_path / "q")
    build_schedule(lake, "cu", book)
    out = build_main_l5(lake, "cu")
    assert out["partitions_written"] == 1  # only the new day
    assert lake.manifest("main_l5", "KQ.m@SHFE.cu", days[0]) == first


def test_missing_schedule_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="run `ghtrader main-schedule --var au` first"):
        build_main_l5(ParquetLake(tmp_path), "au")


def test_disjoint_ranges_restart_the_schedule(tmp_path: Path, calendar: TradingCalendar, book) -> None:
    """A store holding two distant ranges must not carry an expired main across the gap."""
    lake = ParquetLake(tmp_path / "lake_v2")
    _ingest(lake, calendar, book, calendar.trading_days("2025-03-13", "2025-03-14"), tmp_path / "q")
    src = SimSource(calendar, book, SimConfig())
    later = calendar.trading_days("2025-06-09", "2025-06-10")
    plan = {d: src.list_symbols("cu", d)[:3] for d in later}
    ingest_source_days(lake, src, plan, calendar=calendar, book=book, quarantine_dir=tmp_path / "q")
    sched = build_schedule(lake, "cu", book).schedule
    after = sched[sched["trading_day"] == dt.date(2025, 6, 9)].iloc[0]
    assert after["reason"].startswith("bootstrap after a data gap")
    assert after["main_contract"] in plan[dt.date(2025, 6, 9)]
    assert after["segment_id"] == sched["segment_id"].iloc[1] + 1
    out = build_main_l5(lake, "cu")
    assert out["missing_days"] == []
