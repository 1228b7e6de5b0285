"""Cross-contract factors: as-of strictly before (vs pandas merge_asof), batch == online in any arrival
order within a timestamp, causality, and no window across an aux contract change."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghtrader.features.cross import NAMES, CrossEngine, cross_features
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.sources.sim import SimSource

DAY = dt.date(2024, 3, 5)


@pytest.fixture(scope="module")
def pair(calendar: TradingCalendar, book: ContractBook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Main cu2404 and next cu2405 over ~1 hour of one sim day, with some equal timestamps."""
    src = SimSource(calendar, book)
    main = src.contract_day("SHFE.cu2404", DAY)[0].iloc[:6000].reset_index(drop=True)  # type: ignore[index]
    aux = src.contract_day("SHFE.cu2405", DAY)[0].iloc[:6000].reset_index(drop=True)  # type: ignore[index]
    aux.loc[::7, "datetime_ns"] = main["datetime_ns"].iloc[::7].to_numpy()  # ties on purpose
    aux = aux.sort_values("datetime_ns", kind="stable").reset_index(drop=True)
    return main, aux


def mid(df: pd.DataFrame) -> np.ndarray:
    return 0.5 * (df["bid_price1"].to_numpy(float) + df["ask_price1"].to_numpy(float))


def online(main: pd.DataFrame, aux: pd.DataFrame, aux_first_at_ties: bool) -> np.ndarray:
    eng = CrossEngine(price_tick=10.0)
    mseg = main["segment_id"].to_numpy() if "segment_id" in main else np.zeros(len(main), int)
    aseg = aux["segment_id"].to_numpy() if "segment_id" in aux else np.zeros(len(aux), int)
    ev = [(int(t), 1 if aux_first_at_ties else 0, i, "m") for i, t in enumerate(main["datetime_ns"])]
    ev += [(int(t), 0 if aux_first_at_ties else 1, i, "a") for i, t in enumerate(aux["datetime_ns"])]
    rows, mm, am = [], mid(main), mid(aux)
    for t, _, i, k in sorted(ev):
        if k == "a":
            eng.update_aux(t, am[i], int(aseg[i]))
        else:
            rows.append(eng.update_main(t, mm[i], int(mseg[i])))
    return np.array(rows)


def test_asof_strictly_before_matches_pandas(pair: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    main, aux = pair
    f = cross_features(main, aux, price_tick=10.0)
    ref = pd.merge_asof(
        pd.DataFrame({"t": main["datetime_ns"], "m": mid(main)}),
        pd.DataFrame({"t": aux["datetime_ns"], "a": mid(aux), "ta": aux["datetime_ns"]}),
        on="t",
        allow_exact_matches=False,
    )
    np.testing.assert_allclose(f["x_log_ratio"], np.log(ref["m"] / ref["a"]), rtol=1e-12)
    ts_m, ts_a = main["datetime_ns"].to_numpy(np.int64), aux["datetime_ns"].to_numpy(np.int64)
    j = np.searchsorted(ts_a, ts_m, side="left") - 1  # int ns: epoch-ns do not fit a float
    age = np.where(j >= 0, (ts_m - ts_a[np.maximum(j, 0)]) / 1e9, np.nan)
    np.testing.assert_allclose(f["x_aux_age_s"], age, rtol=1e-12)
    ra = np.log(ref["a"] / ref["a"].shift(50))
    np.testing.assert_allclose(f["x_ret_aux_50"], ra, rtol=1e-9)
    np.testing.assert_allclose(
        f["x_ret_diff_50"], np.log(ref["m"] / ref["m"].shift(50)) - ra, rtol=1e-9, atol=1e-15
    )
    assert all(f[c].notna().sum() > 1000 for c in NAMES)


def test_batch_equals_online_in_any_tie_order(pair: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    main, aux = pair
    batch = cross_features(main, aux, price_tick=10.0).to_numpy()
    for aux_first in (False, True):
        np.testing.assert_array_equal(online(main, aux, aux_first), batch)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(t=st.integers(0, 5998), seed=st.integers(0, 2**32 - 1))
def test_future_ticks_never_change_the_past(
    pair: tuple[pd.DataFrame, pd.DataFrame], t: int, seed: int
) -> None:
    main, aux = pair
    base = cross_features(main, aux, price_tick=10.0).to_numpy()
    cut = int(main["datetime_ns"].iloc[t])
    rng = np.random.default_rng(seed)
    m2, a2 = main.copy(), aux.copy()
    m2.loc[t + 1 :, "bid_price1"] += 10.0 * rng.integers(-3, 4)
    late = a2["datetime_ns"] >= cut  # at or after the main tick t: not visible at t
    a2.loc[late, "ask_price1"] += 10.0 * rng.integers(1, 4)
    got = cross_features(m2, a2, price_tick=10.0).to_numpy()
    assert np.array_equal(got[: t + 1], base[: t + 1], equal_nan=True)


def test_no_window_across_an_aux_contract_change(pair: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    main, aux = pair
    aux = aux.assign(segment_id=np.where(np.arange(len(aux)) < 3000, 0, 1))
    f = cross_features(main, aux, price_tick=10.0)
    first = int(np.argmax(main["datetime_ns"].to_numpy() > aux["datetime_ns"].iloc[3000]))
    assert f["x_ret_aux_10"].iloc[first : first + 10].isna().all()
    assert f["x_ret_aux_10"].iloc[first + 10 : first + 20].notna().all()
    assert f["x_log_ratio"].iloc[first:].notna().all()  # the level itself continues
