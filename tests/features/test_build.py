"""Store-backed feature build: equals batch, resumes byte-identically, refuses config drift, follows lineage."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ghtrader.features import FeatureConfig, compute_features, feature_columns
from ghtrader.features.build import (
    build_features,
    feature_days,
    feature_schema,
    load_record,
    load_state,
    read_features,
    symbol_dir,
)
from ghtrader.features.engine import KEY_COLUMNS
from ghtrader.market.contracts import ContractBook
from ghtrader.schema import MAIN_L5_SCHEMA, to_arrow
from ghtrader.store.lake import ParquetLake

ALT = FeatureConfig(ofi_windows=(10, 50, 200))
MAIN = "KQ.m@SHFE.cu"
DAYS = [dt.date(2024, 3, 4), dt.date(2024, 3, 5), dt.date(2024, 3, 6)]  # the days of conftest's main_days


@pytest.fixture(scope="module")
def thin_days(main_days: list[pd.DataFrame]) -> list[pd.DataFrame]:
    assert [d["trading_day"].iloc[0] for d in main_days] == DAYS and set(main_days[0]["symbol"]) == {MAIN}
    return [d.iloc[::4].reset_index(drop=True) for d in main_days]


def make_lake(root: Path, days: list[pd.DataFrame]) -> ParquetLake:
    lake = ParquetLake(root / "lake_v2", durable=False)
    for day, df in zip(DAYS, days, strict=True):
        lake.write_partition("main_l5", MAIN, day, to_arrow(df, MAIN_L5_SCHEMA), mode="replace")
    return lake


def tree(lake: ParquetLake) -> dict[str, bytes]:
    base = symbol_dir(lake, MAIN)
    return {
        str(p.relative_to(base)): p.read_bytes()
        for p in sorted(base.rglob("*"))
        if p.is_file() and p.name != "_lock"
    }


def test_build_equals_batch_and_resume_equals_full(
    tmp_path: Path, thin_days: list[pd.DataFrame], book: ContractBook
) -> None:
    full = make_lake(tmp_path / "a", thin_days)
    s = build_features(full, MAIN, book=book)
    assert s.built == tuple(DAYS) and s.skipped == () and s.rows == sum(map(len, thin_days))
    frame = pd.concat(thin_days, ignore_index=True)
    tick = np.array([book.get(c).price_tick for c in frame["underlying_contract"]])
    expect = compute_features(frame, FeatureConfig(), price_tick=tick, volume_multiple=5.0)
    tables = [read_features(full, MAIN, d) for d in DAYS]
    assert all(t is not None and t.schema.equals(feature_schema(FeatureConfig())) for t in tables)
    got = pa.concat_tables(tables).to_pandas()
    cols = feature_columns(FeatureConfig())
    np.testing.assert_array_equal(got[cols].to_numpy(), expect[cols].to_numpy())
    assert (got["segment_id"].to_numpy() == expect["segment_id"].to_numpy()).all()
    assert list(got.columns) == KEY_COLUMNS + cols and feature_days(full, MAIN) == DAYS

    resumed = make_lake(tmp_path / "b", thin_days)
    first = build_features(resumed, MAIN, book=book, days=[DAYS[1]])
    assert first.built == (DAYS[0], DAYS[1])
    second = build_features(resumed, MAIN, book=book, progress=lambda d, what: None)
    assert second.built == (DAYS[2],) and second.skipped == (DAYS[0], DAYS[1])
    assert tree(resumed) == tree(full)
    st = load_state(resumed, MAIN, DAYS[2], FeatureConfig())
    assert int(st.si[2]) == 1  # ends in the post-roll segment

    stamps = {p: p.stat().st_mtime_ns for p in symbol_dir(full, MAIN).rglob("*") if p.name != "_lock"}
    again = build_features(full, MAIN, book=book)
    assert again.built == () and again.skipped == tuple(DAYS)
    assert {p: p.stat().st_mtime_ns for p in symbol_dir(full, MAIN).rglob("*") if p.name != "_lock"} == stamps


def test_config_change_needs_overwrite(
    tmp_path: Path, thin_days: list[pd.DataFrame], book: ContractBook
) -> None:
    lake = make_lake(tmp_path, thin_days)
    build_features(lake, MAIN, book=book, days=[DAYS[0]])
    old = FeatureConfig().hash
    with pytest.raises(
        ValueError, match=rf"feature config changed \(hash {old} -> {ALT.hash}\); rerun with --overwrite"
    ):
        build_features(lake, MAIN, book=book, config=ALT)
    s = build_features(lake, MAIN, book=book, config=ALT, overwrite=True)
    assert s.built == tuple(DAYS)
    record = load_record(lake, MAIN)
    assert record is not None and record["config_hash"] == ALT.hash
    assert [c["name"] for c in record["columns"]] == KEY_COLUMNS + feature_columns(ALT)
    table = read_features(lake, MAIN, DAYS[0])
    assert table is not None and "f_ofi_200" in table.column_names


def test_changed_source_day_rebuilds_from_that_day(
    tmp_path: Path, thin_days: list[pd.DataFrame], book: ContractBook
) -> None:
    lake = make_lake(tmp_path / "a", thin_days)
    build_features(lake, MAIN, book=book)
    changed = [d.copy() for d in thin_days]
    changed[1].loc[len(changed[1]) - 30 :, "bid_volume1"] += 7  # near the end: alters the carried state
    lake.write_partition("main_l5", MAIN, DAYS[1], to_arrow(changed[1], MAIN_L5_SCHEMA), mode="replace")
    s = build_features(lake, MAIN, book=book)
    assert s.built == (DAYS[1], DAYS[2]) and s.skipped == (DAYS[0],)
    fresh = make_lake(tmp_path / "b", changed)
    build_features(fresh, MAIN, book=book)
    assert tree(lake) == tree(fresh)
    early = [d.copy() for d in changed]
    early[1].loc[100:200, "ask_volume2"] += 3  # before the roll: the state carried into day 3 is unchanged
    lake.write_partition("main_l5", MAIN, DAYS[1], to_arrow(early[1], MAIN_L5_SCHEMA), mode="replace")
    assert build_features(lake, MAIN, book=book).built == (DAYS[1],)


def test_lost_partition_rebuilds_only_that_day(
    tmp_path: Path, thin_days: list[pd.DataFrame], book: ContractBook
) -> None:
    lake = make_lake(tmp_path, thin_days)
    build_features(lake, MAIN, book=book)
    before = tree(lake)
    pdir = symbol_dir(lake, MAIN) / f"date={DAYS[1].isoformat()}"
    for p in pdir.iterdir():
        os.unlink(p)
    s = build_features(lake, MAIN, book=book)
    assert s.built == (DAYS[1],) and s.skipped == (DAYS[0], DAYS[2])  # same end state: day 3 stays current
    assert tree(lake) == before


def test_unknown_day_builds_nothing(
    tmp_path: Path, thin_days: list[pd.DataFrame], book: ContractBook
) -> None:
    lake = make_lake(tmp_path, thin_days)
    s = build_features(lake, MAIN, book=book, days=[dt.date(2030, 1, 2)])
    assert s.built == () and s.skipped == () and feature_days(lake, MAIN) == []
