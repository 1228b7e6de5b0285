from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.labels import LabelConfig, class_balance, compute_labels, label_schema, labels_to_arrow
from ghtrader.schema import to_pandas

NAN = np.nan
FrameFn = Callable[..., pd.DataFrame]


def test_hand_computed_classes_and_boundaries(frame: FrameFn) -> None:
    # mids: 105, 115, 100, 90, 105, 105, 85 (tick 10): moves of exactly +-1 tick are FLAT.
    bid = [100, 110, 95, 85, 100, 100, 80]
    ask = [110, 120, 105, 95, 110, 110, 90]
    out = compute_labels(frame(bid, ask), price_tick=10.0, config=LabelConfig(horizons=(1, 2), k=1.0))
    np.testing.assert_array_equal(out["mid"], [105, 115, 100, 90, 105, 105, 85])
    np.testing.assert_array_equal(out["dmid_1"], [1.0, -1.5, -1.0, 1.5, 0.0, -2.0, NAN])
    np.testing.assert_array_equal(out["y_1"], [1, 0, 1, 2, 1, 0, NAN])
    np.testing.assert_array_equal(out["dmid_2"], [-0.5, -2.5, 0.5, 1.5, -2.0, NAN, NAN])
    np.testing.assert_array_equal(out["y_2"], [1, 0, 1, 2, 0, NAN, NAN])
    assert list(out.columns) == LabelConfig(horizons=(1, 2)).columns()
    assert (out["segment_id"] == 0).all() and out["segment_id"].dtype == np.int32


def test_k_zero_makes_every_move_directional(frame: FrameFn) -> None:
    out = compute_labels(
        frame([100, 100, 110], [110, 120, 120]), price_tick=10.0, config=LabelConfig((1,), 0.0)
    )
    np.testing.assert_array_equal(out["y_1"], [2, 2, NAN])  # +0.5 tick is UP when k = 0


def test_float_noise_at_boundary_stays_flat(frame: FrameFn) -> None:
    # au tick 0.02: one-tick mid steps come out as 0.99999999999 or 1.00000000002 in float.
    bid = [350.0 + 0.02 * i for i in range(8)]
    ask = [b + 0.02 for b in bid]
    out = compute_labels(frame(bid, ask), price_tick=0.02, config=LabelConfig((1,), 1.0))
    dmid = out["dmid_1"].to_numpy()[:-1]
    assert (dmid != 1.0).any() and np.allclose(dmid, 1.0)
    np.testing.assert_array_equal(out["y_1"], [1] * 7 + [NAN])


def test_per_row_price_tick(frame: FrameFn) -> None:
    # Two segments with different ticks (au 0.05 before au1912, 0.02 from it).
    bid = [300.0, 300.05, 300.10, 310.0, 310.04, 310.08]
    ask = [b + 0.1 for b in bid]
    tick = np.array([0.05] * 3 + [0.02] * 3)
    out = compute_labels(
        frame(bid, ask, segment_id=[0, 0, 0, 1, 1, 1]), price_tick=tick, config=LabelConfig((1,))
    )
    np.testing.assert_allclose(out["dmid_1"], [1, 1, NAN, 2, 2, NAN])
    np.testing.assert_array_equal(out["y_1"], [1, 1, NAN, 2, 2, NAN])


def test_nan_at_day_end_and_before_segment_switch(frame: FrameFn) -> None:
    n = 12
    bid = np.arange(n) * 10.0 + 1000
    seg = [3] * 6 + [4] * 6
    out = compute_labels(frame(bid, bid + 10, segment_id=seg), price_tick=10.0, config=LabelConfig((2,)))
    y = out["y_2"].to_numpy()
    assert np.isnan(y[[4, 5, 10, 11]]).all()  # last 2 ticks of the old segment and of the day
    assert not np.isnan(np.delete(y, [4, 5, 10, 11])).any()
    np.testing.assert_array_equal(out["segment_id"], seg)


def test_day_boundary_inside_one_frame(frame: FrameFn) -> None:
    d1, d2 = dt.date(2019, 11, 4), dt.date(2019, 11, 5)
    bid = np.full(6, 1000.0)
    out = compute_labels(
        frame(bid, bid + 10, trading_day=[d1] * 3 + [d2] * 3), price_tick=10.0, config=LabelConfig((1,))
    )
    np.testing.assert_array_equal(out["y_1"], [1, 1, NAN, 1, 1, NAN])


def test_missing_side_gives_nan(frame: FrameFn) -> None:
    bid = [100.0, 100.0, NAN, 100.0, 100.0, 100.0]
    ask = [110.0] * 6
    out = compute_labels(frame(bid, ask), price_tick=10.0, config=LabelConfig((2,)))
    assert np.isnan(out["mid"][2])
    np.testing.assert_array_equal(out["y_2"], [NAN, 1, NAN, 1, NAN, NAN])


def test_rejects_bad_input(frame: FrameFn) -> None:
    df = frame([100, 100, 100], [110, 110, 110])
    with pytest.raises(ValueError, match="sorted"):
        compute_labels(df.iloc[::-1], price_tick=10.0)
    with pytest.raises(ValueError, match="positive"):
        compute_labels(df, price_tick=0.0)
    with pytest.raises(ValueError, match="one value per row"):
        compute_labels(df, price_tick=np.array([10.0, 10.0]))
    for bad in [dict(horizons=()), dict(horizons=(0,)), dict(horizons=(5, 5)), dict(k=-1.0)]:
        with pytest.raises(ValueError):
            LabelConfig(**bad)


def test_config_hash_is_stable_and_sensitive() -> None:
    assert LabelConfig().horizons == (10, 50, 200) and LabelConfig().k == 1.0
    assert LabelConfig().hash == LabelConfig(horizons=(10, 50, 200), k=1).hash
    assert len({LabelConfig().hash, LabelConfig(k=2.0).hash, LabelConfig(horizons=(10, 50)).hash}) == 3


def test_arrow_round_trip_keeps_missing_labels(frame: FrameFn) -> None:
    cfg = LabelConfig((1, 3))
    out = compute_labels(
        frame([100, 110, 95, 85, 100], [110, 120, 105, 95, 110]), price_tick=10.0, config=cfg
    )
    table = labels_to_arrow(out, cfg)
    assert table.schema == label_schema(cfg)
    assert table["y_3"].null_count == 3
    back = to_pandas(table)
    pd.testing.assert_frame_equal(back[out.columns], out, check_dtype=False)


def test_class_balance_counts(frame: FrameFn) -> None:
    out = compute_labels(
        frame([100, 110, 95, 85, 100, 100, 80], [110, 120, 105, 95, 110, 110, 90]),
        price_tick=10.0,
        config=LabelConfig((1,)),
    )
    b = class_balance(out, 1)
    assert b["counts"] == {"DOWN": 2, "FLAT": 3, "UP": 1}
    assert b["rows"] == 7 and b["labelled"] == 6 and b["missing"] == 1
    assert sum(b["fractions"].values()) == pytest.approx(1.0)


@st.composite
def tick_paths(draw: st.DrawFn) -> tuple[pd.DataFrame, np.ndarray]:
    n = draw(st.integers(1, 60))
    steps = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
    spread = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    holes = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    seg = np.cumsum(draw(st.lists(st.sampled_from([0, 0, 0, 1]), min_size=n, max_size=n)))
    day = np.cumsum(draw(st.lists(st.sampled_from([0, 0, 0, 1]), min_size=n, max_size=n)))
    bid = 47000.0 + 10.0 * np.cumsum(steps)
    ask = bid + 10.0 * np.asarray(spread)
    ask[np.asarray(holes) & (np.arange(n) % 7 == 0)] = np.nan
    days = [dt.date(2019, 11, 4) + dt.timedelta(days=int(d)) for d in day]
    return pd.DataFrame(
        {
            "symbol": "KQ.m@SHFE.cu",
            "datetime_ns": np.arange(n, dtype=np.int64),
            "trading_day": days,
            "bid_price1": bid,
            "ask_price1": ask,
            "segment_id": seg.astype(np.int32),
        }
    ), np.full(n, 10.0)


CFG = LabelConfig(horizons=(1, 3, 10), k=1.0)


@settings(max_examples=150, deadline=None)
@given(tick_paths(), st.integers(0, 59))
def test_label_at_t_depends_only_on_ticks_up_to_t_plus_n(
    path: tuple[pd.DataFrame, np.ndarray], cut: int
) -> None:
    df, tick = path
    base = compute_labels(df, price_tick=tick, config=CFG)
    after = np.arange(len(df)) > cut
    changed = df.copy()
    rng = np.random.default_rng(cut)
    k = int(after.sum())
    changed.loc[after, "bid_price1"] = 40000.0 + 10.0 * rng.integers(-50, 50, k)
    changed.loc[after, "ask_price1"] = np.where(
        rng.random(k) < 0.2, np.nan, changed.loc[after, "bid_price1"] + 10
    )
    changed.loc[after, "segment_id"] = rng.integers(0, 3, k).astype(np.int32)
    new = compute_labels(changed, price_tick=tick, config=CFG)
    for h in CFG.horizons:
        rows = np.arange(len(df)) + h <= cut
        for col in (f"y_{h}", f"dmid_{h}"):
            np.testing.assert_array_equal(new[col].to_numpy()[rows], base[col].to_numpy()[rows])


@settings(max_examples=150, deadline=None)
@given(path=tick_paths(), k=st.sampled_from([0.0, 0.5, 1.0, 2.0]))
def test_matches_naive_reference(path: tuple[pd.DataFrame, np.ndarray], k: float, naive: Callable) -> None:
    df, tick = path
    out = compute_labels(df, price_tick=tick, config=LabelConfig(CFG.horizons, k))
    for h in CFG.horizons:
        dmid, y = naive(
            df.bid_price1.tolist(),
            df.ask_price1.tolist(),
            df.segment_id.tolist(),
            df.trading_day.tolist(),
            tick.tolist(),
            h,
            k,
        )
        np.testing.assert_array_equal(out[f"dmid_{h}"], dmid)
        np.testing.assert_array_equal(out[f"y_{h}"], y)
