from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ghtrader.datasets import load_xy, sequence_windows
from ghtrader.datasets.xy import partition_dir
from ghtrader.labels import LabelConfig, compute_labels, labels_to_arrow
from ghtrader.labels.build import commit_partition

SYM = "KQ.m@SHFE.cu"
DAYS = [dt.date(2019, 11, 4), dt.date(2019, 11, 5)]
CFG = LabelConfig(horizons=(2,), k=0.0)
N = 40
WARMUP = 3  # the features writer may skip rows it cannot compute yet


def day_ticks(day: dt.date, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ns = (day - dt.date(1970, 1, 1)).days * 86400 * 10**9 + np.arange(N, dtype=np.int64) * 500_000_000
    ns[11] = ns[10]  # a duplicated timestamp (two snapshots in one stamp)
    bid = 47000.0 + 10 * np.cumsum(rng.integers(-1, 2, N))
    return pd.DataFrame(
        {
            "symbol": SYM,
            "datetime_ns": ns,
            "trading_day": [day] * N,
            "bid_price1": bid,
            "ask_price1": bid + 10,
            "segment_id": np.int32(5 + DAYS.index(day)),
        }
    )


def feature_table(ticks: pd.DataFrame, day_no: int) -> pa.Table:
    rows = np.arange(WARMUP, N)
    return pa.table(
        {
            "datetime_ns": pa.array(ticks.datetime_ns.to_numpy()[rows]),
            "trading_day": pa.array(list(ticks.trading_day.iloc[rows]), pa.date32()),
            "f_row": pa.array((rows + 1000 * day_no).astype(np.float64)),
            "f_mid": pa.array(ticks.bid_price1.to_numpy()[rows] + 5.0),
            "other": pa.array(np.zeros(len(rows))),
        }
    )


@pytest.fixture
def lake_root(tmp_path: Path) -> Path:
    root = tmp_path / "lake_v2"
    for i, day in enumerate(DAYS):
        ticks = day_ticks(day, i)
        labels = compute_labels(ticks, price_tick=10.0, config=CFG)
        commit_partition(
            partition_dir(root, "labels", SYM, day), SYM, day, labels_to_arrow(labels, CFG), durable=False
        )
        fdir = partition_dir(root, "features", SYM, day)
        commit_partition(fdir, SYM, day, feature_table(ticks, i), dataset="features", durable=False)
        # An uncommitted leftover (not in the manifest) must stay invisible.
        pq.write_table(
            pa.table({"datetime_ns": [0], "f_row": [-1.0], "f_mid": [-1.0]}), fdir / "part-stray.parquet"
        )
    return root


def expected_labels(day_no: int) -> np.ndarray:
    return compute_labels(day_ticks(DAYS[day_no], day_no), price_tick=10.0, config=CFG)["y_2"].to_numpy()


def test_join_aligns_rows_by_key_not_position(lake_root: Path) -> None:
    xy = load_xy(lake_root, SYM, DAYS, horizon=2)
    assert xy.feature_names == ("f_row", "f_mid") and xy.X.dtype == np.float32
    assert xy.days == tuple(DAYS) and xy.missing_days == ()
    # Labels of the 3 warm-up rows have no features; each day also has 2 unlabelled tail rows.
    assert xy.unmatched_rows == 2 * WARMUP
    assert len(xy.y) == 2 * (N - WARMUP - 2)
    day_no = np.array([DAYS.index(d) for d in xy.meta.trading_day])
    row = xy.X[:, 0].astype(np.int64) - 1000 * day_no
    for d in (0, 1):
        ticks = day_ticks(DAYS[d], d)
        sel = day_no == d
        np.testing.assert_array_equal(xy.y[sel], expected_labels(d)[row[sel]])
        np.testing.assert_array_equal(xy.meta.datetime_ns[sel], ticks.datetime_ns.to_numpy()[row[sel]])
        np.testing.assert_array_equal(xy.X[sel, 1], ticks.bid_price1.to_numpy()[row[sel]] + 5.0)
        assert (xy.meta.segment_id[sel] == 5 + d).all()
    # The duplicated timestamp pairs 1:1 (rows 10 and 11 each once), and time order is kept.
    assert (row[day_no == 0] == 10).sum() == 1 and (row[day_no == 0] == 11).sum() == 1
    assert np.all(np.diff(xy.meta.datetime_ns.to_numpy()) >= 0)
    assert set(xy.y.tolist()) <= {0, 1, 2}


def test_keep_unlabelled_rows_for_sequences(lake_root: Path) -> None:
    xy = load_xy(lake_root, SYM, DAYS, horizon=2, drop_unlabeled=False, dtype=np.float64)
    assert len(xy.y) == 2 * (N - WARMUP) and (xy.y == -1).sum() == 4
    assert xy.X.dtype == np.float64
    ends = sequence_windows(len(xy.y), xy.meta.segment_id.to_numpy(), 5, valid_mask=xy.labelled)
    assert len(ends) == 2 * (N - WARMUP - 4 - 2)
    assert (xy.y[ends] >= 0).all()


def test_missing_partitions(lake_root: Path) -> None:
    extra = dt.date(2019, 11, 6)
    with pytest.raises(ValueError, match=r"1 day\(s\) lack features or labels \(first: 2019-11-06\)"):
        load_xy(lake_root, SYM, [*DAYS, extra], horizon=2)
    xy = load_xy(lake_root, SYM, [*DAYS, extra], horizon=2, strict=False)
    assert xy.missing_days == (extra,) and xy.days == tuple(DAYS)
    with pytest.raises(ValueError, match="lacks columns: f_nope"):
        load_xy(lake_root, SYM, DAYS, horizon=2, feature_columns=["f_row", "f_nope"])
    sub = load_xy(lake_root, SYM, DAYS, horizon=2, feature_columns=["f_mid"])
    assert sub.X.shape == (2 * (N - WARMUP - 2), 1)
