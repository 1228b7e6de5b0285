"""Per-tick part of the extended block (``kernels_ext``): its state layout constants, the 63 instant
outputs and this tick's ring series. Split out of ``kernels_ext`` to keep modules small; the
definitions are unchanged (one definition, batch == online).

Speed traps: the kernels run with numba's reference counting off (``_nrt=False``: a view costs no
atomic increments), so the block works on views (input row, prev scalars, ring row, output slice)
indexed by constants, which compile without numba's negative-index wraparound; values used more than
once are read into locals first (a store into ``ow`` may alias the inputs as far as LLVM knows).
The trade deltas, the 1-tick log-return and the mid come from the core block (same definitions).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ghtrader.features.inputs import AP, AV, BP, BV, LAST, PT, VM
from ghtrader.features.kernels_math import log1p_lots

N_INSTANT = 63

# ---- series in the ring ----------------------------------------------------------------------------
(Q_ONE, Q_R, Q_R2, Q_R3, Q_AR, Q_CR, Q_OFI, Q_MLOFI, Q_DVOL, Q_DAMT, Q_SV, Q_DOI, Q_KDM, Q_KSV) = range(14)
(Q_KSV2, Q_KDMSV, Q_KC, Q_IMB, Q_CIMB, Q_IMB5, Q_CIMB5, Q_SPR, Q_CSPR, Q_MIC, Q_CMIC) = range(14, 25)
Q_UP, Q_DN, Q_TRD, Q_DOIS = 25, 26, 27, 28
NSER = 29
NQ = 32  # row stride of the ring and the sums: NSER padded (pad columns stay 0) for whole SIMD rows

# ---- int header ------------------------------------------------------------------------------------
X_INIT, X_SEG, X_DAY, X_CUM, X_N, X_CLK, X_PTS, X_BRK = range(8)
NXHEAD = 8
# prev-tick float scalars: L5 book (20), last, volume, amount, OI, mid; then the last second of day
# seen and its sin / cos (a cache: recomputed when the second changes, so values do not depend on it)
XP_BOOK, XP_LAST, XP_VOL, XP_AMT, XP_OI, XP_MID, XP_SOD, XP_SIN, XP_COS = 0, 20, 21, 22, 23, 24, 25, 26, 27
NXPREV = 28
# session opens (CST seconds of day) shared by SHFE cu/au/ag; night belongs to the next trading day
OPENS = (9 * 3600, 10 * 3600 + 1800, 13 * 3600 + 1800, 21 * 3600)
CST_NS = 8 * 3600 * 1_000_000_000


@njit(cache=True, inline="always")
def _put(sf: np.ndarray, i: int, v: float) -> None:
    """A mean-type series: the value (0 when NaN) at ``i`` and its finite flag at ``i + 1``."""
    ok = not np.isnan(v)
    sf[i] = v if ok else 0.0
    sf[i + 1] = 1.0 if ok else 0.0


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
    for k in range(5):
        d = (mid - x[price + k]) / pt if bid else (x[price + k] - mid) / pt
        cum += x[vol + k]
        sx += d
        sy += cum
        sxx += d * d
        sxy += d * cum
    den = 5.0 * sxx - sx * sx
    return (5.0 * sxy - sx * sy) / den if den > 0.0 else np.nan


@njit(cache=True, inline="always")
def _ofi_levels(x: np.ndarray, pf: np.ndarray, ow: np.ndarray, first: bool) -> tuple[float, float]:
    """Multi-level OFI and queue changes (outputs 17..33; L1 is the core's); returns (ofi L1, mlofi_5)."""
    nan = np.nan
    if first:
        for k in range(1, 5):
            ow[17 + k] = nan
            ow[25 + k] = nan
            ow[29 + k] = nan
        ow[22] = nan
        ow[23] = nan
        ow[24] = nan
        ow[25] = nan
        return nan, nan
    den1 = 0.5 * (pf[XP_BOOK + 10] + pf[XP_BOOK + 15])
    ofi1 = nan
    ml3 = 0.0
    ml5 = 0.0
    mlw = 0.0
    for k in range(5):
        db = _dq(x[BP + k], pf[XP_BOOK + k], x[BV + k], pf[XP_BOOK + 10 + k], True)
        da = _dq(x[AP + k], pf[XP_BOOK + 5 + k], x[AV + k], pf[XP_BOOK + 15 + k], False)
        e = db - da
        if k == 0:
            ofi1 = e
        else:
            ow[17 + k] = e
            ow[25 + k] = db
            ow[29 + k] = da
        if k < 3:
            ml3 += e
        ml5 += e
        mlw += e / (k + 1)
    ow[22] = ml3
    ow[23] = ml5
    ow[24] = mlw
    ow[25] = ofi1 / den1 if den1 > 0.0 else nan
    return ofi1, ml5


@njit(cache=True, inline="always")
def _tod(ts: int, brk: int, pf: np.ndarray, ow: np.ndarray) -> None:
    """Time of session (CST): outputs 58..62."""
    sod = ((ts + CST_NS) // 1_000_000_000) % 86400
    if pf[XP_SOD] != sod:
        ang = 2.0 * np.pi * sod / 86400.0
        pf[XP_SOD] = sod
        pf[XP_SIN] = np.sin(ang)
        pf[XP_COS] = np.cos(ang)
    ow[58] = pf[XP_SIN]
    ow[59] = pf[XP_COS]
    since = -1
    for o in OPENS:
        if sod >= o:
            since = sod - o
    ow[60] = float(since if since >= 0 else sod + 3 * 3600)  # after midnight: since 21:00
    ow[61] = 1.0 if sod >= 21 * 3600 or sod < 3 * 3600 else 0.0
    ow[62] = (ts - brk) / 1e9


@njit(cache=True, error_model="numpy", inline="always")
def _instant(x: np.ndarray, ts: int, brk: int, first: bool, pf: np.ndarray, q: np.ndarray, ow: np.ndarray,
             mid: float, r1: float, dvol: float, damt: float, doi: float) -> None:  # fmt: skip
    """The 63 outputs ``ow`` of input row ``x`` and this tick's ring series ``q`` (NaN stored as 0).

    ``pf``: the prev-tick scalars; ``mid``, ``r1`` (1-tick log-return), ``dvol``/``damt``/``doi`` from the core.
    Views in, constant indices: no negative-index wraparound per access.
    """
    nan = np.nan
    pt = x[PT]
    b1 = x[BP]
    a1 = x[AP]
    bv1 = x[BV]
    av1 = x[AV]
    bv2 = x[BV + 1]
    av2 = x[AV + 1]
    last = x[LAST]
    vm = x[VM]
    p_b1 = pf[XP_BOOK]
    p_a1 = pf[XP_BOOK + 5]
    d1 = pf[XP_BOOK + 10] + pf[XP_BOOK + 15]
    p_last = pf[XP_LAST]
    p_oi = pf[XP_OI]
    p_mid = pf[XP_MID]
    num = 0.0
    den = 0.0
    sb = 0.0
    sa = 0.0
    pb = 0.0
    pa = 0.0
    eb = 0.0
    ea = 0.0
    hb = 0.0
    ha = 0.0
    wt = 1.0
    for k in range(5):
        bp = x[BP + k]
        ap = x[AP + k]
        bv = x[BV + k]
        av = x[AV + k]
        if k >= 1:
            ow[k - 1] = (ap - bp) / pt  # spreads at levels 2-5
        num += ap * bv + bp * av
        den += bv + av
        if k >= 1 and k != 3:  # depth-weighted micro-prices over levels 1-2, 1-3, 1-5
            ow[4 + min(k, 3) - 1] = (num / den - mid) / pt if den > 0.0 else nan
        if k == 3:
            ow[15] = _lvl_imb(sb + bv, sa + av)  # levels 1-4
        sb += bv
        sa += av
        pb += bp * bv
        pa += ap * av
        eb += bv * wt
        ea += av * wt
        wt *= 0.5
        hb += bv * bv
        ha += av * av
        if k >= 1:
            ow[9 + k] = _lvl_imb(bv, av)  # imbalance at levels 2-5
    ow[7] = (mid - pb / sb) / pt if sb > 0.0 else nan
    ow[8] = (pa / sa - mid) / pt if sa > 0.0 else nan
    spread = (a1 - b1) / pt
    ow[9] = 1.0 if spread > 1.0 else 0.0
    ow[14] = _lvl_imb(bv1 + bv2, av1 + av2)
    ow[16] = _lvl_imb(sb - bv1, sa - av1)
    ow[17] = _lvl_imb(eb, ea)
    ofi1, ml5 = _ofi_levels(x, pf, ow, first)
    # book shape
    for k in range(3):
        ow[34 + k] = x[BV + k] / sb if sb > 0.0 else nan
        ow[37 + k] = x[AV + k] / sa if sa > 0.0 else nan
    ow[40] = (mid - x[BP + 4]) / pt
    ow[41] = (x[AP + 4] - mid) / pt
    slb = _slope(x, BP, BV, mid, pt, True)
    sla = _slope(x, AP, AV, mid, pt, False)
    ow[42] = slb
    ow[43] = sla
    ow[44] = np.log(slb / sla) if slb > 0.0 and sla > 0.0 else nan
    ow[45] = hb / (sb * sb) if sb > 0.0 else nan
    ow[46] = ha / (sa * sa) if sa > 0.0 else nan
    ow[47] = log1p_lots(bv2)
    ow[48] = log1p_lots(av2)
    # trades from cumulative volume / amount deltas (restart each trading day)
    vwap = damt / (dvol * vm) if dvol > 0.0 else nan
    ow[49] = (vwap - last) / pt
    qs = p_a1 - p_b1
    ow[50] = (vwap - p_b1) / qs if qs > 0.0 else nan
    ow[51] = log1p_lots(dvol)
    ow[52] = dvol / d1 if d1 > 0.0 else nan
    ow[53] = 1.0 if dvol > 0.0 else (0.0 if dvol == 0.0 else nan)
    ow[54] = (last - p_last) / pt
    ow[55] = (dvol + doi) / (2.0 * dvol) if dvol > 0.0 else nan
    dmid = (mid - p_mid) / pt
    dois = doi * np.sign(dmid)
    ow[56] = dois
    ow[57] = doi / p_oi * 1e4 if p_oi > 0.0 else nan
    _tod(ts, brk, pf, ow)
    # ---- ring series
    rok = not np.isnan(r1)
    q[Q_ONE] = 1.0
    q[Q_R] = r1 if rok else 0.0
    q[Q_R2] = r1 * r1 if rok else 0.0
    q[Q_R3] = r1 * r1 * r1 if rok else 0.0
    q[Q_AR] = abs(r1) * 1e4 if rok else 0.0
    q[Q_CR] = 1.0 if rok else 0.0
    q[Q_OFI] = ofi1 if not np.isnan(ofi1) else 0.0
    q[Q_MLOFI] = ml5 if not np.isnan(ml5) else 0.0
    q[Q_DVOL] = dvol if not np.isnan(dvol) else 0.0
    q[Q_DAMT] = damt / vm if not np.isnan(damt) else 0.0
    sv = nan
    if dvol > 0.0:
        sv = dvol * np.sign(vwap - p_mid)
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
    den1 = bv1 + av1
    _put(q, Q_IMB, _lvl_imb(bv1, av1))
    _put(q, Q_IMB5, _lvl_imb(sb, sa))
    _put(q, Q_SPR, spread)
    _put(q, Q_MIC, ((a1 * bv1 + b1 * av1) / den1 - mid) / pt if den1 > 0.0 else nan)
    q[Q_UP] = 1.0 if dmid > 0.0 else 0.0
    q[Q_DN] = 1.0 if dmid < 0.0 else 0.0
    q[Q_TRD] = 1.0 if dvol > 0.0 else 0.0
    q[Q_DOIS] = dois if not np.isnan(dois) else 0.0
