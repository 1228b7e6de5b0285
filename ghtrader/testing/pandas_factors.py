"""A straightforward pandas implementation of every factor: the independent reference and speed baseline.

Column arithmetic, ``shift`` / ``diff`` and ``rolling`` (tick windows by count, time windows by a
``DatetimeIndex`` of the session clock, which pandas treats as the same half-open ``(t - W, t]``).
Written from the formula lines in ``ghtrader.features.catalog``, not from the kernel; used by
``tests/features/test_reference_full.py`` and ``benchmarks/bench_features.py``. Scope: one segment
(no roll inside the frame); trading days may change (cumulative deltas restart, windows continue).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ghtrader.features.registry import FeatureConfig, feature_columns

GAP_CAP_NS = 30_000_000_000
BREAK_NS = 60_000_000_000
NEW: tuple[str, ...] = (
    *("range", "skew", "mlofi", "vwap_dev", "kyle", "amihud", "oi_per_vol", "oi_dir", "imb_mean"),
    *("imb5_mean", "spread_mean", "micro_mean", "updown", "trade_frac"),
)


def _dq(p: pd.Series, v: pd.Series, bid: bool) -> pd.Series:
    pp, pv = p.shift(1), v.shift(1)
    better = p > pp if bid else p < pp
    out = np.where(p == pp, v - pv, np.where(better, v, -pv))
    return pd.Series(out, index=p.index).where(p.notna() & pp.notna() & v.notna() & pv.notna())


def _imb(b: pd.Series, a: pd.Series) -> pd.Series:
    return ((b - a) / (b + a)).where(b + a > 0)


def pandas_features(
    df: pd.DataFrame, config: FeatureConfig, *, price_tick: float, mult: float
) -> pd.DataFrame:
    """Every factor of ``config`` (``f_*`` columns, kernel order) for a one-segment tick frame."""
    f: dict[str, pd.Series] = {}
    df = df.reset_index(drop=True)
    b = {i: df[f"bid_price{i}"].astype(float) for i in range(1, 6)}
    a = {i: df[f"ask_price{i}"].astype(float) for i in range(1, 6)}
    bv = {i: df[f"bid_volume{i}"].astype(float) for i in range(1, 6)}
    av = {i: df[f"ask_volume{i}"].astype(float) for i in range(1, 6)}
    pt = price_tick
    mid = (a[1] + b[1]) / 2
    pmid = mid.shift(1)
    day = pd.Series(pd.factorize(df["trading_day"])[0])
    same_day = day == day.shift(1)
    dvol = df["volume"].astype(float).diff().where(same_day)
    damt = df["amount"].astype(float).diff().where(same_day)
    doi = df["open_interest"].astype(float).diff().where(same_day)
    ts = df["datetime_ns"].astype(np.int64)
    sb, sa = sum(bv.values()), sum(av.values())
    f["spread_ticks"] = (a[1] - b[1]) / pt
    f["rel_spread"] = (a[1] - b[1]) / mid
    micro = ((a[1] * bv[1] + b[1] * av[1]) / (bv[1] + av[1]) - mid) / pt
    f["microprice_dev_ticks"] = micro.where(bv[1] + av[1] > 0)
    f["imb_l1"] = _imb(bv[1], av[1])
    f["imb_l3"] = _imb(bv[1] + bv[2] + bv[3], av[1] + av[2] + av[3])
    f["imb_l5"] = _imb(sb, sa)
    f["imb_w5"] = _imb(sum(bv[i] / i for i in range(1, 6)), sum(av[i] / i for i in range(1, 6)))
    dqb = {i: _dq(b[i], bv[i], True) for i in range(1, 6)}
    dqa = {i: _dq(a[i], av[i], False) for i in range(1, 6)}
    ofi = {i: dqb[i] - dqa[i] for i in range(1, 6)}
    f["ofi"], f["dq_bid"], f["dq_ask"] = ofi[1], dqb[1], dqa[1]
    f["dvol"], f["damount"] = dvol, damt
    vwap = (damt / (dvol * mult)).where(dvol > 0)
    f["vwap_mid_ticks"] = (vwap - pmid) / pt
    sv = (dvol * np.sign(vwap - pmid)).where(dvol > 0, np.where(dvol == 0, 0.0, np.nan))
    f["signed_vol"] = sv
    f["oi_vol_ratio"] = (doi / dvol).where(dvol > 0)
    f["dt_s"] = ts.diff() / 1e9
    f["doi"] = doi
    f["last_mid_ticks"] = (df["last_price"] - mid) / pt
    f["log_depth_bid"], f["log_depth_ask"] = np.log1p(sb), np.log1p(sa)
    f["log_depth_ratio"] = f["log_depth_bid"] - f["log_depth_ask"]
    f["depth_slope_bid"] = sb / ((b[1] - b[5]) / pt + 1)
    f["depth_slope_ask"] = sa / ((a[5] - a[1]) / pt + 1)
    f["gap2_bid"], f["gap2_ask"] = (b[1] - b[2]) / pt, (a[2] - a[1]) / pt
    f["log_q_bid1"], f["log_q_ask1"] = np.log1p(bv[1]), np.log1p(av[1])
    f["mid_chg_ticks"] = (mid - pmid) / pt
    r = np.log(mid / pmid)
    n = pd.Series(np.arange(1, len(df) + 1))

    def tsum(x: pd.Series, w: int) -> pd.Series:
        cnt = x.notna().rolling(w, min_periods=1).sum()
        return x.fillna(0).rolling(w, min_periods=1).sum().where((n > w) & (cnt > 0))

    for w in config.ret_windows:
        f[f"ret_{w}"] = np.log(mid / mid.shift(w))
    for w in config.rv_windows:
        f[f"rv_{w}"] = np.sqrt(tsum(r * r, w).clip(lower=0))
    for name, x, ws in (
        ("ofi", ofi[1], config.ofi_windows),
        ("vol", dvol, config.vol_windows),
        ("signed_vol", sv, config.signed_vol_windows),
        ("doi", doi, config.doi_windows),
    ):
        for w in ws:
            f[f"{name}_{w}"] = tsum(x, w)
    for w in config.rate_windows:
        f[f"tick_rate_{w}"] = (w * 1e9 / (ts - ts.shift(w))).where(n > w)
    if config.extended:
        _extended(f, df, config, b, a, bv, av, mid, r, dvol, damt, doi, sv, ofi, dqb, dqa, micro, pt, mult)
    out = pd.DataFrame({k: f[k.removeprefix("f_")] for k in feature_columns(config)})
    return out.set_axis(feature_columns(config), axis=1)


def _extended(f, df, config, b, a, bv, av, mid, r, dvol, damt, doi, sv, ofi, dqb, dqa, micro, pt, mult):  # noqa: ANN001, ANN202, PLR0913, PLR0915
    sb, sa = sum(bv.values()), sum(av.values())
    for i in range(2, 6):
        f[f"spread_l{i}"] = (a[i] - b[i]) / pt
    for k in (2, 3, 5):
        num = sum(a[i] * bv[i] + b[i] * av[i] for i in range(1, k + 1))
        den = sum(bv[i] + av[i] for i in range(1, k + 1))
        f[f"micro_l{k}_ticks"] = ((num / den - mid) / pt).where(den > 0)
    f["book_vwap_bid_ticks"] = ((mid - sum(b[i] * bv[i] for i in range(1, 6)) / sb) / pt).where(sb > 0)
    f["book_vwap_ask_ticks"] = ((sum(a[i] * av[i] for i in range(1, 6)) / sa - mid) / pt).where(sa > 0)
    spread = (a[1] - b[1]) / pt
    f["spread_wide"] = (spread > 1).astype(float)
    for i in range(2, 6):
        f[f"imb_at_l{i}"] = _imb(bv[i], av[i])
    f["imb_l2"] = _imb(bv[1] + bv[2], av[1] + av[2])
    f["imb_l4"] = _imb(sum(bv[i] for i in range(1, 5)), sum(av[i] for i in range(1, 5)))
    f["imb_l25"] = _imb(sb - bv[1], sa - av[1])
    f["imb_exp"] = _imb(
        sum(bv[i] * 0.5 ** (i - 1) for i in range(1, 6)), sum(av[i] * 0.5 ** (i - 1) for i in range(1, 6))
    )
    for i in range(2, 6):
        f[f"ofi_l{i}"] = ofi[i]
        f[f"dq_bid_l{i}"], f[f"dq_ask_l{i}"] = dqb[i], dqa[i]
    f["mlofi_3"] = ofi[1] + ofi[2] + ofi[3]
    f["mlofi_5"] = f["mlofi_3"] + ofi[4] + ofi[5]
    f["mlofi_w"] = sum(ofi[i] / i for i in range(1, 6))
    d1 = (bv[1] + av[1]).shift(1)
    f["ofi_norm"] = (ofi[1] / (d1 / 2)).where(d1 > 0)
    for i in (1, 2, 3):
        f[f"share_bid_l{i}"], f[f"share_ask_l{i}"] = (bv[i] / sb).where(sb > 0), (av[i] / sa).where(sa > 0)
    f["dist5_bid_ticks"], f["dist5_ask_ticks"] = (mid - b[5]) / pt, (a[5] - mid) / pt
    for side, p, v, sgn in (("bid", b, bv, 1), ("ask", a, av, -1)):
        x = np.column_stack([((mid - p[i]) * sgn / pt).to_numpy() for i in range(1, 6)])
        y = np.cumsum(np.column_stack([v[i].to_numpy() for i in range(1, 6)]), axis=1)
        den = 5 * (x * x).sum(1) - x.sum(1) ** 2
        slope = (5 * (x * y).sum(1) - x.sum(1) * y.sum(1)) / den
        f[f"slope_{side}"] = pd.Series(np.where(den > 0, slope, np.nan))
    sl_b, sl_a = f["slope_bid"], f["slope_ask"]
    f["slope_log_ratio"] = np.log(sl_b / sl_a).where((sl_b > 0) & (sl_a > 0))
    f["hhi_bid"] = (sum(bv[i] ** 2 for i in range(1, 6)) / sb**2).where(sb > 0)
    f["hhi_ask"] = (sum(av[i] ** 2 for i in range(1, 6)) / sa**2).where(sa > 0)
    f["log_q_bid2"], f["log_q_ask2"] = np.log1p(bv[2]), np.log1p(av[2])
    vwap = (damt / (dvol * mult)).where(dvol > 0)
    f["vwap_last_ticks"] = (vwap - df["last_price"]) / pt
    qs = a[1].shift(1) - b[1].shift(1)
    f["trade_pos"] = ((vwap - b[1].shift(1)) / qs).where(qs > 0)
    f["log_dvol"] = np.log1p(dvol)
    f["dvol_depth"] = (dvol / d1).where(d1 > 0)
    f["trade_flag"] = (dvol > 0).astype(float).where(dvol.notna())
    f["last_chg_ticks"] = df["last_price"].diff() / pt
    f["oi_open_share"] = ((dvol + doi) / (2 * dvol)).where(dvol > 0)
    dmid = (mid - mid.shift(1)) / pt
    f["doi_signed"] = doi * np.sign(dmid)
    f["doi_bp"] = (doi / df["open_interest"].shift(1) * 1e4).where(df["open_interest"].shift(1) > 0)
    ts = df["datetime_ns"].astype(np.int64)
    sod = ((ts + 8 * 3600 * 10**9) // 10**9) % 86400
    f["tod_sin"], f["tod_cos"] = np.sin(2 * np.pi * sod / 86400), np.cos(2 * np.pi * sod / 86400)
    opens = np.array([9 * 3600, 10 * 3600 + 1800, 13 * 3600 + 1800, 21 * 3600])
    since = sod.to_numpy()[:, None] - opens[None, :]
    since = np.where(since >= 0, since, np.iinfo(np.int64).max).min(1)
    f["sess_elapsed_s"] = pd.Series(np.where(since < 86400, since, sod + 3 * 3600), dtype=float)
    f["is_night"] = ((sod >= 21 * 3600) | (sod < 3 * 3600)).astype(float)
    gap = ts.diff()
    start = np.maximum.accumulate(np.where(gap.isna() | (gap >= BREAK_NS), np.arange(len(ts)), 0))
    f["since_break_s"] = (ts - ts.to_numpy()[start]) / 1e9  # int ns: epoch-ns do not fit a float
    # ---- windows: series sums over tick windows and over session-clock windows
    ok = r.notna()
    kok = sv.notna() & dmid.notna()
    q = pd.DataFrame({
        "one": 1.0, "r": r.where(ok, 0), "r2": (r * r).where(ok, 0), "r3": (r**3).where(ok, 0),
        "ar": (r.abs() * 1e4).where(ok, 0), "cr": ok.astype(float), "ofi": ofi[1].fillna(0),
        "mlofi": f["mlofi_5"].fillna(0), "dvol": dvol.fillna(0), "damt": (damt / mult).fillna(0),
        "sv": sv.fillna(0), "doi": doi.fillna(0), "kdm": dmid.where(kok, 0), "ksv": sv.where(kok, 0),
        "ksv2": (sv * sv).where(kok, 0), "kdmsv": (dmid * sv).where(kok, 0), "kc": kok.astype(float),
        "up": (dmid > 0).astype(float), "dn": (dmid < 0).astype(float), "trd": (dvol > 0).astype(float),
        "dois": f["doi_signed"].fillna(0),
    })  # fmt: skip
    for name, v in (("imb", _imb(bv[1], av[1])), ("imb5", _imb(sb, sa)), ("spr", spread), ("mic", micro)):
        q[name], q["c" + name] = v.fillna(0), v.notna().astype(float)
    n = pd.Series(np.arange(1, len(df) + 1))
    clock = np.concatenate([[0], np.cumsum(np.minimum(np.diff(ts.to_numpy()), GAP_CAP_NS))])
    tidx = pd.DatetimeIndex(clock.astype("datetime64[ns]"))
    for w in config.x_tick_windows:
        S = q.rolling(w, min_periods=1).sum()
        rng = (mid.rolling(w, min_periods=1).max() - mid.rolling(w, min_periods=1).min()) / pt
        _new(f, f"_{w}", S, rng, float(w), mid, pt, n > w)
    for W in config.time_windows_s:
        S = q.set_axis(tidx).rolling(f"{W}s").sum().set_axis(q.index)
        m = mid.set_axis(tidx)
        rng = ((m.rolling(f"{W}s").max() - m.rolling(f"{W}s").min()) / pt).set_axis(q.index)
        asof = np.searchsorted(clock, clock - W * 10**9, side="right") - 1
        valid = pd.Series(clock >= W * 10**9)
        f[f"ret_{W}s"] = np.log(mid / mid.to_numpy()[np.maximum(asof, 0)]).where(valid)
        f[f"rv_{W}s"] = np.sqrt(S["r2"].clip(lower=0)).where(valid)
        for name, col in (("ofi", "ofi"), ("vol", "dvol"), ("signed_vol", "sv"), ("doi", "doi")):
            f[f"{name}_{W}s"] = S[col].where(valid)
        f[f"tick_rate_{W}s"] = (S["one"] / W).where(valid)
        _new(f, f"_{W}s", S, rng, S["one"], mid, pt, valid)


def _new(f, sfx, S, rng, cnt, mid, pt, valid):  # noqa: ANN001, ANN202, PLR0913
    n = S["cr"]
    m1, m2, m3 = S["r"] / n, S["r2"] / n, S["r3"] / n
    var = m2 - m1 * m1
    skew = ((m3 - 3 * m1 * m2 + 2 * m1**3) / var**1.5).where(var > 1e-14, 0.0).where(n >= 3)
    vol = S["dvol"]
    den = S["kc"] * S["ksv2"] - S["ksv"] ** 2
    vals = {
        "range": rng,
        "skew": skew,
        "mlofi": S["mlofi"],
        "vwap_dev": ((S["damt"] / vol - mid) / pt).where(vol > 0),
        "kyle": ((S["kc"] * S["kdmsv"] - S["kdm"] * S["ksv"]) / den).where(den > 0),
        "amihud": (S["ar"].clip(lower=0) / vol).where(vol > 0),
        "oi_per_vol": (S["doi"] / vol).where(vol > 0),
        "oi_dir": S["dois"],
        "imb_mean": (S["imb"] / S["cimb"]).where(S["cimb"] > 0),
        "imb5_mean": (S["imb5"] / S["cimb5"]).where(S["cimb5"] > 0),
        "spread_mean": (S["spr"] / S["cspr"]).where(S["cspr"] > 0),
        "micro_mean": (S["mic"] / S["cmic"]).where(S["cmic"] > 0),
        "updown": (S["up"] - S["dn"]) / np.maximum(S["up"] + S["dn"], 1),
        "trade_frac": S["trd"] / cnt,
    }
    for k in NEW:
        f[k + sfx] = vals[k].where(valid)
