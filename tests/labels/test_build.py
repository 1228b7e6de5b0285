from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ghtrader.labels import LabelConfig, build_labels, compute_labels, read_build_record
from ghtrader.labels.build import labels_partition_dir, labels_symbol_dir
from ghtrader.market.contracts import ContractBook
from ghtrader.schema import MAIN_L5_SCHEMA, TICK_COLUMNS, to_arrow, to_pandas
from ghtrader.store import ParquetLake
from ghtrader.store.manifest import verify_partition
from ghtrader.store.partition import read_partition

SYM = "KQ.m@SHFE.au"
DAYS = [dt.date(2019, 11, 4), dt.date(2019, 11, 5), dt.date(2019, 11, 6)]
CFG = LabelConfig(horizons=(2, 5), k=1.0)


def main_l5_table(
    day: dt.date, underlying: str, segment_id: int, tick: float, *, n: int = 120, seed: int = 0
) -> pa.Table:
    """A main_l5 partition with a random-walk book on ``tick``'s grid."""
    rng = np.random.default_rng(seed)
    open_ns = (day - dt.date(1970, 1, 1)).days * 86400 * 10**9 + 3600 * 10**9  # 09:00 CST
    bid = 350.0 + tick * np.cumsum(rng.integers(-2, 3, n))
    df = pd.DataFrame(
        {
            "symbol": SYM,
            "datetime_ns": open_ns + np.arange(n, dtype=np.int64) * 500_000_000,
            "trading_day": [day] * n,
            "volume": np.arange(n, dtype=np.int64),
            "amount": np.arange(n, dtype=np.float64),
            "open_interest": np.full(n, 1000, dtype=np.int64),
            "underlying_contract": underlying,
            "segment_id": segment_id,
            "schedule_hash": "h",
        }
    )
    for c in TICK_COLUMNS:
        if c not in df:
            df[c] = np.nan
    df["bid_price1"], df["ask_price1"] = bid, bid + tick * rng.integers(1, 3, n)
    return to_arrow(df, MAIN_L5_SCHEMA)


@pytest.fixture
def lake(tmp_path: Path) -> ParquetLake:
    lk = ParquetLake(tmp_path / "lake_v2", durable=False)
    specs = [("SHFE.au1906", 0, 0.05), ("SHFE.au1912", 1, 0.02), ("SHFE.au1912", 1, 0.02)]
    for i, (day, (contract, seg, tick)) in enumerate(zip(DAYS, specs, strict=True)):
        lk.write_partition("main_l5", SYM, day, main_l5_table(day, contract, seg, tick, seed=i))
    return lk


def label_files(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() and p.name != "_lock"  # writer-lock holder record, not data
    }


def read_labels(lake: ParquetLake, day: dt.date) -> pd.DataFrame:
    pdir = labels_partition_dir(lake.root, SYM, day)
    return to_pandas(read_partition(pdir))


def test_build_writes_committed_partitions_matching_compute(lake: ParquetLake, book: ContractBook) -> None:
    summary = build_labels(lake, SYM, book=book, config=CFG)
    assert summary.built == tuple(DAYS) and summary.skipped == () and summary.config_hash == CFG.hash
    assert summary.rows == 3 * 120
    for day, tick in zip(DAYS, [0.05, 0.02, 0.02], strict=True):
        pdir = labels_partition_dir(lake.root, SYM, day)
        assert verify_partition(pdir) == []
        stored = to_pandas(read_partition(pdir))
        expected = compute_labels(to_pandas(lake.read_day("main_l5", SYM, day)), price_tick=tick, config=CFG)
        pd.testing.assert_frame_equal(stored[expected.columns], expected, check_dtype=False)
        assert np.isnan(stored["y_5"].to_numpy()[-5:]).all()
    # au1906 -> tick 0.05, au1912 -> 0.02: the stored dmid is in the contract's own ticks (on the grid).
    first = to_pandas(lake.read_day("main_l5", SYM, DAYS[0]))
    mids = (first.bid_price1 + first.ask_price1) / 2
    stored0 = read_labels(lake, DAYS[0])
    np.testing.assert_allclose(stored0["dmid_2"][:-2], (mids.shift(-2) - mids)[:-2] / 0.05)
    record = read_build_record(lake.root, SYM)
    assert record["config_hash"] == CFG.hash and sorted(record["days"]) == [d.isoformat() for d in DAYS]
    total = sum(summary.balance[2].values())
    assert total == sum(int((~np.isnan(read_labels(lake, d)["y_2"])).sum()) for d in DAYS)


def test_rebuild_is_idempotent_and_resumes(lake: ParquetLake, book: ContractBook) -> None:
    first = build_labels(lake, SYM, book=book, config=CFG, days=DAYS[:1])
    assert first.built == (DAYS[0],)
    second = build_labels(lake, SYM, book=book, config=CFG)
    assert second.built == tuple(DAYS[1:]) and second.skipped == (DAYS[0],)
    before = label_files(labels_symbol_dir(lake.root, SYM))
    third = build_labels(lake, SYM, book=book, config=CFG)
    assert third.built == () and third.skipped == tuple(DAYS)
    assert label_files(labels_symbol_dir(lake.root, SYM)) == before
    forced = build_labels(lake, SYM, book=book, config=CFG, overwrite=True)
    assert forced.built == tuple(DAYS)
    after = label_files(labels_symbol_dir(lake.root, SYM))
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}


def test_changed_source_day_is_rebuilt(lake: ParquetLake, book: ContractBook) -> None:
    build_labels(lake, SYM, book=book, config=CFG)
    lake.write_partition(
        "main_l5", SYM, DAYS[1], main_l5_table(DAYS[1], "SHFE.au1912", 1, 0.02, seed=99), mode="replace"
    )
    again = build_labels(lake, SYM, book=book, config=CFG)
    assert again.built == (DAYS[1],) and again.skipped == (DAYS[0], DAYS[2])
    expected = compute_labels(to_pandas(lake.read_day("main_l5", SYM, DAYS[1])), price_tick=0.02, config=CFG)
    np.testing.assert_array_equal(read_labels(lake, DAYS[1])["dmid_5"], expected["dmid_5"])


def test_config_change_refused_without_overwrite(lake: ParquetLake, book: ContractBook) -> None:
    build_labels(lake, SYM, book=book, config=CFG)
    new = LabelConfig(horizons=(3,), k=0.5)
    before = label_files(labels_symbol_dir(lake.root, SYM))
    with pytest.raises(
        ValueError, match=rf"label config changed \(hash {CFG.hash} -> {new.hash}\); rerun with --overwrite"
    ):
        build_labels(lake, SYM, book=book, config=new)
    assert label_files(labels_symbol_dir(lake.root, SYM)) == before
    done = build_labels(lake, SYM, book=book, config=new, days=DAYS[1:], overwrite=True)
    assert done.built == tuple(DAYS[1:]) and done.removed == (DAYS[0],)
    assert not labels_partition_dir(lake.root, SYM, DAYS[0]).exists()
    assert list(read_labels(lake, DAYS[1]).columns[-2:]) == ["y_3", "dmid_3"]
    record = json.loads((labels_symbol_dir(lake.root, SYM) / "_build.json").read_bytes())
    assert record["config_hash"] == new.hash and record["config"]["horizons"] == [3]
    assert sorted(record["days"]) == [d.isoformat() for d in DAYS[1:]]


def test_unknown_day_raises(lake: ParquetLake, book: ContractBook) -> None:
    with pytest.raises(ValueError, match="no committed main_l5 partition"):
        build_labels(lake, SYM, book=book, config=CFG, days=[dt.date(2019, 11, 7)])
