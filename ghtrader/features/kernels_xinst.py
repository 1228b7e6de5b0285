"""Per-tick part of the extended block (``kernels_ext``): its state layout constants, the 63 instant
outputs and this tick's ring series. Split out of ``kernels_ext`` to keep modules small; the
definitions are unchanged (one definition, batch == online).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ghtrader.features.inputs import AMT, AP, AV, BP, BV, LAST, OI, PT, VM, VOL

N_INSTANT = 63

# ---- series in the ring ----------------------------------------------------------------------------
(Q_ONE, Q_R, Q_R2, Q_R3, Q_AR, Q_CR, Q_OFI, Q_MLOFI, Q_DVOL, Q_DAMT, Q_SV, Q_DOI, Q_KDM, Q_KSV) = range(14)
(Q_KSV2, Q_KDMSV, Q_KC, Q_IMB, Q_CIMB, Q_IMB5, Q_CIMB5, Q_SPR, Q_CSPR, Q_MIC, Q_CMIC) = range(14, 25)
Q_UP, Q_DN, Q_TRD, Q_DOIS = 25, 26, 27, 28
NSER = 29

# ---- int header ------------------------------------------------------------------------------------
X_INIT, X_SEG, X_DAY, X_CUM, X_N, X_CLK, X_PTS, X_BRK = range(8)
NXHEAD = 8
# prev-tick float scalars: L5 book (20), last, volume, amount, OI, mid
XP_BOOK, XP_LAST, XP_VOL, XP_AMT, XP_OI, XP_MID = 0, 20, 21, 22, 23, 24
NXPREV = 25
NSCRATCH = NSER + 10  # this tick's series and per-level queue changes (not state)
# session opens (CST seconds of day) shared by SHFE cu/au/ag; night belongs to the next trading day
OPENS = np.array([9 * 3600, 10 * 3600 + 1800, 13 * 3600 + 1800, 21 * 3600], dtype=np.int64)
CST_NS = 8 * 3600 * 1_000_000_000


@njit(cache=True, inline="always")
def _put(q: np.ndarray, i: int, v: float) -> None:
    """A mean-type series: the value (0 when NaN) at ``i`` and its finite flag at ``i + 1``."""
    ok = not np.isnan(v)
    q[i] = v if ok else 0.0
    q[i + 1] = 1.0 if ok else 0.0


@njit(cache=True, inline="always")
def _lvl_imb(b: float, a: float) -> float:
    return (b - a) / (b + a) if b + a > 0.0 else np.nan


@njit(cache=True, inline="always")
def _dq(p_new: float, p_old: float, v_new: float, v_old: float, bid: bool) -> float:
    """CKS queue change at one level: dv at the same price, +v when the quote improved, -v_old when not."""
    if np.isnan(p_new) or np.isnan(p_old) or np.isnan(v_new) or np.isnan(v_old):
        return np.nan
    if p_new == p_old:
        return v_new - v_old
    better = p_new > p_old if bid else p_new < p_old
    return v_new if better else -v_old


@njit(cache=True, inline="always")
def _slope(x: np.ndarray, price: int, vol: int, mid: float, pt: float, bid: bool) -> float:
    """OLS slope of cumulative depth on distance from mid (ticks) over levels 1-5 (lots per tick)."""
    sx = 0.0
    sy = 0.0
    sxx = 0.0
    sxy = 0.0
    cum = 0.0
    for i in range(5):
        d = (mid - x[price + i]) / pt if bid else (x[price + i] - mid) / pt
        cum += x[vol + i]
        sx += d
        sy += cum
        sxx += d * d
        sxy += d * cum
    den = 5.0 * sxx - sx * sx
    return (5.0 * sxy - sx * sy) / den if den > 0.0 else np.nan


@njit(cache=True, inline="always")
def _instant(x: np.ndarray, ts: int, mid: float, cum_ok: bool, pf: np.ndarray, xi: np.ndarray,
             first: bool, out: np.ndarray, ob: int, q: np.ndarray, dqb: np.ndarray, dqa: np.ndarray) -> None:  # fmt: skip
    """Per-tick outputs 0..62 and this tick's ring series ``q`` (NaN entries stored as 0)."""
    nan = np.nan
    pt = x[PT]
    b1 = x[BP]
    a1 = x[AP]
    for k in range(4):  # spreads at levels 2-5
        out[ob + k] = (x[AP + 1 + k] - x[BP + 1 + k]) / pt
    m = 4
    for lv in (2, 3, 5):  # depth-weighted micro-prices
        num = 0.0
        den = 0.0
        for i in range(lv):
            num += x[AP + i] * x[BV + i] + x[BP + i] * x[AV + i]
            den += x[BV + i] + x[AV + i]
        out[ob + m] = (num / den - mid) / pt if den > 0.0 else nan
        m += 1
    sb = 0.0
    sa = 0.0
    pb = 0.0
    pa = 0.0
    for i in range(5):
        sb += x[BV + i]
        sa += x[AV + i]
        pb += x[BP + i] * x[BV + i]
        pa += x[AP + i] * x[AV + i]
    out[ob + 7] = (mid - pb / sb) / pt if sb > 0.0 else nan
    out[ob + 8] = (pa / sa - mid) / pt if sa > 0.0 else nan
    spread = (a1 - b1) / pt
    out[ob + 9] = 1.0 if spread > 1.0 else 0.0
    # imbalance per level and cumulative
    for i in range(4):
        out[ob + 10 + i] = _lvl_imb(x[BV + 1 + i], x[AV + 1 + i])
    out[ob + 14] = _lvl_imb(x[BV] + x[BV + 1], x[AV] + x[AV + 1])
    out[ob + 15] = _lvl_imb(
        x[BV] + x[BV + 1] + x[BV + 2] + x[BV + 3], x[AV] + x[AV + 1] + x[AV + 2] + x[AV + 3]
    )
    out[ob + 16] = _lvl_imb(sb - x[BV], sa - x[AV])
    eb = 0.0
    ea = 0.0
    wt = 1.0
    for i in range(5):
        eb += x[BV + i] * wt
        ea += x[AV + i] * wt
        wt *= 0.5
    out[ob + 17] = _lvl_imb(eb, ea)
    # multi-level OFI and queue changes (levels 2-5 here; L1 is the core's ofi / dq_*)
    ofi1 = nan
    ml3 = nan
    ml5 = nan
    mlw = nan
    if not first:
        for i in range(5):
            dqb[i] = _dq(x[BP + i], pf[XP_BOOK + i], x[BV + i], pf[XP_BOOK + 10 + i], True)
            dqa[i] = _dq(x[AP + i], pf[XP_BOOK + 5 + i], x[AV + i], pf[XP_BOOK + 15 + i], False)
        ofi1 = dqb[0] - dqa[0]
        ml3 = 0.0
        ml5 = 0.0
        mlw = 0.0
        for i in range(5):
            e = dqb[i] - dqa[i]
            if i >= 1:
                out[ob + 17 + i] = e
                out[ob + 25 + i] = dqb[i]
                out[ob + 29 + i] = dqa[i]
            if i < 3:
                ml3 += e
            ml5 += e
            mlw += e / (i + 1)
        den1 = 0.5 * (pf[XP_BOOK + 10] + pf[XP_BOOK + 15])
        out[ob + 25] = ofi1 / den1 if den1 > 0.0 else nan
    else:
        for i in range(1, 5):
            out[ob + 17 + i] = nan
            out[ob + 25 + i] = nan
            out[ob + 29 + i] = nan
        out[ob + 25] = nan
    out[ob + 22] = ml3
    out[ob + 23] = ml5
    out[ob + 24] = mlw
    # book shape
    for i in range(3):
        out[ob + 34 + i] = x[BV + i] / sb if sb > 0.0 else nan
        out[ob + 37 + i] = x[AV + i] / sa if sa > 0.0 else nan
    out[ob + 40] = (mid - x[BP + 4]) / pt
    out[ob + 41] = (x[AP + 4] - mid) / pt
    out[ob + 42] = _slope(x, BP, BV, mid, pt, True)
    out[ob + 43] = _slope(x, AP, AV, mid, pt, False)
    out[ob + 44] = np.log(out[ob + 42] / out[ob + 43]) if out[ob + 42] > 0.0 and out[ob + 43] > 0.0 else nan
    hb = 0.0
    ha = 0.0
    for i in range(5):
        hb += x[BV + i] * x[BV + i]
        ha += x[AV + i] * x[AV + i]
    out[ob + 45] = hb / (sb * sb) if sb > 0.0 else nan
    out[ob + 46] = ha / (sa * sa) if sa > 0.0 else nan
    out[ob + 47] = np.log1p(x[BV + 1])
    out[ob + 48] = np.log1p(x[AV + 1])
    # trades from cumulative volume / amount deltas (restart each trading day)
    dvol = x[VOL] - pf[XP_VOL] if cum_ok else nan
    damt = x[AMT] - pf[XP_AMT] if cum_ok else nan
    doi = x[OI] - pf[XP_OI] if cum_ok else nan
    vwap = damt / (dvol * x[VM]) if dvol > 0.0 else nan
    out[ob + 49] = (vwap - x[LAST]) / pt
    qs = pf[XP_BOOK + 5] - pf[XP_BOOK]
    out[ob + 50] = (vwap - pf[XP_BOOK]) / qs if qs > 0.0 else nan
    out[ob + 51] = np.log1p(dvol)
    d1 = pf[XP_BOOK + 10] + pf[XP_BOOK + 15]
    out[ob + 52] = dvol / d1 if d1 > 0.0 else nan
    out[ob + 53] = 1.0 if dvol > 0.0 else (0.0 if dvol == 0.0 else nan)
    out[ob + 54] = (x[LAST] - pf[XP_LAST]) / pt
    out[ob + 55] = (dvol + doi) / (2.0 * dvol) if dvol > 0.0 else nan
    dmid = (mid - pf[XP_MID]) / pt
    out[ob + 56] = doi * np.sign(dmid)
    out[ob + 57] = doi / pf[XP_OI] * 1e4 if pf[XP_OI] > 0.0 else nan
    # time of session (CST)
    sod = ((ts + CST_NS) // 1_000_000_000) % 86400
    ang = 2.0 * np.pi * sod / 86400.0
    out[ob + 58] = np.sin(ang)
    out[ob + 59] = np.cos(ang)
    since = -1
    for o in OPENS:
        if sod >= o:
            since = sod - o
    out[ob + 60] = float(since if since >= 0 else sod + 3 * 3600)  # after midnight: since 21:00
    out[ob + 61] = 1.0 if sod >= 21 * 3600 or sod < 3 * 3600 else 0.0
    out[ob + 62] = (ts - xi[X_BRK]) / 1e9
    # ---- ring series
    r = np.log(mid / pf[XP_MID])
    rok = not np.isnan(r)
    q[Q_ONE] = 1.0
    q[Q_R] = r if rok else 0.0
    q[Q_R2] = r * r if rok else 0.0
    q[Q_R3] = r * r * r if rok else 0.0
    q[Q_AR] = abs(r) * 1e4 if rok else 0.0
    q[Q_CR] = 1.0 if rok else 0.0
    q[Q_OFI] = ofi1 if not np.isnan(ofi1) else 0.0
    q[Q_MLOFI] = ml5 if not np.isnan(ml5) else 0.0
    q[Q_DVOL] = dvol if not np.isnan(dvol) else 0.0
    q[Q_DAMT] = damt / x[VM] if not np.isnan(damt) else 0.0
    sv = nan
    if dvol > 0.0:
        sv = dvol * np.sign(vwap - pf[XP_MID])
    elif dvol == 0.0:
        sv = 0.0
    q[Q_SV] = sv if not np.isnan(sv) else 0.0
    q[Q_DOI] = doi if not np.isnan(doi) else 0.0
    kok = not (np.isnan(sv) or np.isnan(dmid))
    q[Q_KDM] = dmid if kok else 0.0
    q[Q_KSV] = sv if kok else 0.0
    q[Q_KSV2] = sv * sv if kok else 0.0
    q[Q_KDMSV] = dmid * sv if kok else 0.0
    q[Q_KC] = 1.0 if kok else 0.0
    imb1 = _lvl_imb(x[BV], x[AV])
    imb5 = _lvl_imb(sb, sa)
    den = x[BV] + x[AV]
    mic = ((a1 * x[BV] + b1 * x[AV]) / den - mid) / pt if den > 0.0 else nan
    _put(q, Q_IMB, imb1)
    _put(q, Q_IMB5, imb5)
    _put(q, Q_SPR, spread)
    _put(q, Q_MIC, mic)
    q[Q_UP] = 1.0 if dmid > 0.0 else 0.0
    q[Q_DN] = 1.0 if dmid < 0.0 else 0.0
    q[Q_TRD] = 1.0 if dvol > 0.0 else 0.0
    q[Q_DOIS] = out[ob + 56] if not np.isnan(out[ob + 56]) else 0.0
