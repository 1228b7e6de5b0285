"""Causality of every factor of the full set (later ticks never change earlier features; no window
crosses a segment) and the roll / trading-day resets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghtrader.features import compute_features, factor_specs, feature_columns
from ghtrader.features.sets import feature_set
from ghtrader.schema import ASK_PRICE, ASK_VOLUME, BID_PRICE, BID_VOLUME

CONFIG = feature_set("full")  # a superset of core: every factor
COLS = feature_columns(CONFIG)
NUMERIC = [
    *BID_PRICE,
    *ASK_PRICE,
    *BID_VOLUME,
    *ASK_VOLUME,
    "last_price",
    "volume",
    "amount",
    "open_interest",
]


def features(df: pd.DataFrame) -> np.ndarray:
    return compute_features(df, CONFIG, price_tick=10.0, volume_multiple=5.0)[COLS].to_numpy()


@pytest.fixture(scope="module")
def small(main_days: list[pd.DataFrame]) -> pd.DataFrame:
    """~600 rows spanning a trading-day boundary (same segment) and a roll (new segment)."""
    d1, d2, d3 = main_days
    roll = int(np.argmax(d2["segment_id"].to_numpy() == 1))
    parts = [d1.iloc[-150:], d2.iloc[:150], d2.iloc[roll - 50 : roll + 150], d3.iloc[:150]]
    return pd.concat(parts, ignore_index=True).astype({c: float for c in NUMERIC})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    t=st.integers(0, 598), seed=st.integers(0, 2**32 - 1), what=st.sampled_from(["values", "keys", "drop"])
)
def test_future_ticks_never_change_the_past(small: pd.DataFrame, t: int, seed: int, what: str) -> None:
    rng = np.random.default_rng(seed)
    base = features(small)
    later = small.copy()
    n_after = len(later) - t - 1
    rows = np.arange(t + 1, len(later))
    if what == "values":  # perturb random cells of random later rows
        pick = rows[rng.random(n_after) < 0.3] if n_after else rows
        for col in rng.choice(NUMERIC, size=6, replace=False):
            later.loc[pick, col] = later.loc[pick, col] * rng.uniform(0.5, 1.5, len(pick))
    elif what == "keys":  # later rows jump to another segment / trading day / time
        later.loc[rows, "segment_id"] = rng.integers(0, 4)
        later.loc[rows, "datetime_ns"] += int(rng.integers(-(10**9), 10**9))
        later.loc[rows, "trading_day"] = later["trading_day"].iloc[-1]
    else:  # later rows never arrive
        later = later.iloc[: t + 1]
    got = features(later)
    assert np.array_equal(got[: t + 1], base[: t + 1], equal_nan=True)
    if what == "values" and n_after > 120:  # the perturbation itself must be visible later on
        assert not np.array_equal(got[t + 1 :], base[t + 1 :], equal_nan=True)


def test_roll_resets_all_windows(main_frame: pd.DataFrame) -> None:
    seg = main_frame["segment_id"].to_numpy()
    at = int(np.argmax(seg == 1))
    frame = main_frame.iloc[at - 2000 : at + 2000].reset_index(drop=True)  # 2000 ticks each side
    roll = 2000
    whole = features(frame)
    alone = features(frame.iloc[roll:].reset_index(drop=True))
    assert np.array_equal(whole[roll:], alone, equal_nan=True)  # nothing before the roll leaks in
    f = pd.DataFrame(whole[roll:], columns=COLS)
    clock_s = (frame["datetime_ns"].to_numpy()[roll:] - frame["datetime_ns"].iloc[roll]) / 1e9
    for spec in factor_specs(CONFIG):
        col = f[spec.column]
        if spec.window:  # tick window: NaN until the new segment holds w + 1 ticks
            w = spec.window
            assert col.iloc[:w].isna().all() and col.iloc[w + 1 : w + 50].notna().any(), spec.name
        elif spec.window_s:  # time window: NaN until w seconds of the new segment elapsed (no gap here)
            assert col[clock_s < spec.window_s].isna().all(), spec.name
            assert col[clock_s >= spec.window_s].iloc[:200].notna().any(), spec.name
    assert f.iloc[0][["f_ofi", "f_dvol", "f_dt_s", "f_mid_chg_ticks"]].isna().all()
    # ...whereas without a segment change the same rows continue the old windows
    cont = features(frame.assign(segment_id=0))
    assert not np.array_equal(cont[roll : roll + 100], whole[roll : roll + 100], equal_nan=True)


def test_new_trading_day_restarts_only_cumulative_deltas(main_days: list[pd.DataFrame]) -> None:
    d1, d2 = main_days[0], main_days[1]
    f = pd.DataFrame(features(pd.concat([d1, d2], ignore_index=True)), columns=COLS)
    first = f.iloc[len(d1)]
    assert first[["f_dvol", "f_damount", "f_doi", "f_vwap_mid_ticks", "f_signed_vol"]].isna().all()
    assert first[["f_ret_100", "f_rv_100", "f_ofi", "f_ofi_50", "f_dt_s", "f_tick_rate_50"]].notna().all()
    assert first[["f_vol_100", "f_doi_50"]].notna().all()  # windows skip the one unknown delta
    assert f.iloc[len(d1) + 1][["f_dvol", "f_doi"]].notna().all()
