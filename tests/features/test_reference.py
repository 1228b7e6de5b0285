"""Factor definitions vs independent vectorized formulas on one sim segment-day (not the kernel's code)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ghtrader.features import FeatureConfig, compute_features

TICK, MULT = 10.0, 5.0


def close(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray, name: str) -> None:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert np.array_equal(np.isnan(a), np.isnan(b)), f"{name}: NaN positions differ"
    assert np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True), name


def test_factors_match_reference_formulas(main_days: list[pd.DataFrame]) -> None:
    df = main_days[0]
    f = compute_features(df, FeatureConfig(), price_tick=TICK, volume_multiple=MULT)
    b1, a1, bv1, av1 = (
        df[c].to_numpy(float) for c in ("bid_price1", "ask_price1", "bid_volume1", "ask_volume1")
    )
    mid = pd.Series((a1 + b1) / 2)
    close(f["f_spread_ticks"], (a1 - b1) / TICK, "spread")
    close(f["f_microprice_dev_ticks"], ((a1 * bv1 + b1 * av1) / (bv1 + av1) - mid) / TICK, "micro")
    bids = df[[f"bid_volume{i}" for i in range(1, 6)]].to_numpy(float)
    asks = df[[f"ask_volume{i}" for i in range(1, 6)]].to_numpy(float)
    close(f["f_imb_l5"], (bids.sum(1) - asks.sum(1)) / (bids.sum(1) + asks.sum(1)), "imb_l5")
    pb, pa_, pbv, pav = (np.r_[np.nan, x[:-1]] for x in (b1, a1, bv1, av1))
    e = (b1 >= pb) * bv1 - (b1 <= pb) * pbv - (a1 <= pa_) * av1 + (a1 >= pa_) * pav  # CKS (2014) eq.
    e[0] = np.nan
    close(f["f_ofi"], e, "ofi")
    for w in (10, 50):
        close(f[f"f_ofi_{w}"], pd.Series(e).rolling(w).sum(), f"ofi_{w}")
    dvol = df["volume"].diff()
    close(f["f_dvol"], dvol, "dvol")
    for w in (20, 100):
        close(f[f"f_vol_{w}"], dvol.rolling(w).sum(), f"vol_{w}")
    vwap = df["amount"].diff() / (dvol * MULT)
    close(f["f_vwap_mid_ticks"], ((vwap - mid.shift(1)) / TICK).where(dvol > 0), "vwap")
    close(f["f_doi_50"], df["open_interest"].diff().rolling(50).sum(), "doi_50")
    r1 = np.log(mid).diff()
    for k in (1, 5, 20, 100):
        close(f[f"f_ret_{k}"], np.log(mid / mid.shift(k)), f"ret_{k}")
    for w in (20, 100):
        close(f[f"f_rv_{w}"], np.sqrt((r1**2).rolling(w).sum()), f"rv_{w}")
    ts = df["datetime_ns"].to_numpy(np.int64)  # int arithmetic: epoch-ns do not fit a float exactly
    close(f["f_dt_s"], np.r_[np.nan, np.diff(ts) / 1e9], "dt")
    close(f["f_tick_rate_50"], np.r_[np.full(50, np.nan), 50e9 / (ts[50:] - ts[:-50])], "tick_rate")


def test_l1_only_levels_are_nan_safe(main_days: list[pd.DataFrame]) -> None:
    df = main_days[0].iloc[:500].copy()
    for side in ("bid", "ask"):
        for i in range(2, 6):
            df[f"{side}_price{i}"] = np.nan
            df[f"{side}_volume{i}"] = np.nan
    f = compute_features(df, FeatureConfig(), price_tick=TICK, volume_multiple=MULT)
    deep = ["f_imb_l3", "f_imb_l5", "f_imb_w5", "f_log_depth_bid", "f_depth_slope_ask", "f_gap2_bid"]
    assert f[deep].isna().all().all()
    l1 = ["f_spread_ticks", "f_imb_l1", "f_microprice_dev_ticks", "f_log_q_bid1"]
    assert f[l1].notna().all().all()
    assert f["f_ofi_50"].iloc[60:].notna().all()
