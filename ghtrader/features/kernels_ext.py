"""The extended factor block (set ``full``): L5 shape, multi-level OFI, time windows, impact estimates.

Runs inside the same jitted ``kernels.step`` as the core block (one definition, batch == online), on
its own O(1) state appended after the core state:

* ``sf``: ring ``R[ring, NSER]`` (tick-major) of per-tick series, the mid ring, running window sums
  ``S[n_windows, NSER]``, then prev-tick scalars (full L5 book, last, volume, amount, OI, mid);
* ``si``: header, per time-window tail index (first tick inside), the session-clock ring, and two
  monotonic deques (max / min of mid) per window.

Traps: time windows run on a *session clock* that advances by the wall time between ticks but by at
most ``GAP_CAP_NS`` across a gap, so a lunch break or the night->day gap counts as 30 s, not hours,
and the half-open window ``(c - W, c]`` on integer ns holds exactly ``W / 0.5 s`` ticks of a regular
500 ms grid. A time window is defined only once the segment has ``W`` seconds of clock behind it;
if more ticks arrive than the ring can hold (over 4 ticks/s) the window is truncated and reads NaN.
Integer-valued series (lots, OFI, half-tick mid changes) sum exactly; real-valued sums are
recomputed from the ring at every wrap to bound float drift. A segment change resets the block.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ghtrader.features.inputs import AMT, AP, AV, BP, BV, LAST, OI, PT, VM, VOL

GAP_CAP_NS = 30_000_000_000
BREAK_NS = 60_000_000_000
MAX_RATE = 4  # ticks per second the time-window ring is sized for
N_INSTANT = 63
N_NEW = 14  # new families per window (tick and time)
N_TIMECORE = 7  # core families repeated over time windows

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


@njit(cache=True)
def xlayout(p: np.ndarray, off: int) -> tuple[int, int, int, int, int, int]:
    """(on, ring, n_tick, n_time, float size, int size) of the block whose params start at ``off``."""
    on, ring, nt, ns = p[off], p[off + 1], p[off + 2], p[off + 3]
    if on == 0:
        return 0, 0, 0, 0, 0, 0
    nw = nt + ns
    nf = ring * NSER + ring + nw * NSER + NXPREV + NSCRATCH
    ni = NXHEAD + ns + ring + 2 * nw * (2 + ring)
    return on, ring, nt, ns, nf, ni


@njit(cache=True)
def xn_out(p: np.ndarray, off: int) -> int:
    on, _, nt, ns, _, _ = xlayout(p, off)
    return 0 if on == 0 else N_INSTANT + nt * N_NEW + ns * (N_TIMECORE + N_NEW)


@njit(cache=True)
def _reset(ring: int, nw: int, ns: int, sf: np.ndarray, si: np.ndarray) -> None:
    sf[:] = 0.0
    sf[ring * NSER : ring * NSER + ring] = np.nan
    sf[ring * NSER + ring + nw * NSER : ring * NSER + ring + nw * NSER + NXPREV] = np.nan
    si[:] = 0
    for k in range(ns):
        si[NXHEAD + k] = 1  # tail = first tick of the segment


@njit(cache=True)
def _put(q: np.ndarray, i: int, v: float) -> None:
    """A mean-type series: the value (0 when NaN) at ``i`` and its finite flag at ``i + 1``."""
    ok = not np.isnan(v)
    q[i] = v if ok else 0.0
    q[i + 1] = 1.0 if ok else 0.0


@njit(cache=True)
def _lvl_imb(b: float, a: float) -> float:
    return (b - a) / (b + a) if b + a > 0.0 else np.nan


@njit(cache=True)
def _dq(p_new: float, p_old: float, v_new: float, v_old: float, bid: bool) -> float:
    """CKS queue change at one level: dv at the same price, +v when the quote improved, -v_old when not."""
    if np.isnan(p_new) or np.isnan(p_old) or np.isnan(v_new) or np.isnan(v_old):
        return np.nan
    if p_new == p_old:
        return v_new - v_old
    better = p_new > p_old if bid else p_new < p_old
    return v_new if better else -v_old


@njit(cache=True)
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


@njit(cache=True)
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


@njit(cache=True)
def _deque_push(si: np.ndarray, base: int, ring: int, mids: np.ndarray, idx: int, is_max: bool) -> None:
    """Monotonic deque (abs tick indices) at ``si[base:]``: head, tail counters then ``ring`` slots."""
    v = mids[idx % ring]
    if np.isnan(v):
        return
    while si[base + 1] > si[base]:
        last = si[base + 2 + (si[base + 1] - 1) % ring]
        lv = mids[last % ring]
        if (lv <= v) if is_max else (lv >= v):
            si[base + 1] -= 1
        else:
            break
    si[base + 2 + si[base + 1] % ring] = idx
    si[base + 1] += 1


@njit(cache=True)
def _deque_front(si: np.ndarray, base: int, ring: int, mids: np.ndarray, start: int) -> float:
    """Extreme mid over abs indices >= ``start`` (pops older fronts); NaN when empty."""
    while si[base + 1] > si[base] and si[base + 2 + si[base] % ring] < start:
        si[base] += 1
    if si[base + 1] == si[base]:
        return np.nan
    return mids[si[base + 2 + si[base] % ring] % ring]


@njit(cache=True)
def _new_families(S: np.ndarray, cnt: float, mid: float, pt: float, rng: float,
                  out: np.ndarray, o: int) -> int:  # fmt: skip
    """The 14 new windowed families from the window sums ``S`` (one row); returns the next offset."""
    nan = np.nan
    out[o] = rng
    n = S[Q_CR]
    sk = nan
    if n >= 3.0:
        m1 = S[Q_R] / n
        m2 = S[Q_R2] / n
        m3 = S[Q_R3] / n
        var = m2 - m1 * m1
        sk = (m3 - 3.0 * m1 * m2 + 2.0 * m1**3) / var**1.5 if var > 1e-14 else 0.0
    out[o + 1] = sk
    out[o + 2] = S[Q_MLOFI]
    vol = S[Q_DVOL]
    out[o + 3] = (S[Q_DAMT] / vol - mid) / pt if vol > 0.0 else nan
    kc = S[Q_KC]
    den = kc * S[Q_KSV2] - S[Q_KSV] * S[Q_KSV]
    out[o + 4] = (kc * S[Q_KDMSV] - S[Q_KDM] * S[Q_KSV]) / den if den > 0.0 else nan
    out[o + 5] = max(S[Q_AR], 0.0) / vol if vol > 0.0 else nan
    out[o + 6] = S[Q_DOI] / vol if vol > 0.0 else nan
    out[o + 7] = S[Q_DOIS]
    out[o + 8] = S[Q_IMB] / S[Q_CIMB] if S[Q_CIMB] > 0.0 else nan
    out[o + 9] = S[Q_IMB5] / S[Q_CIMB5] if S[Q_CIMB5] > 0.0 else nan
    out[o + 10] = S[Q_SPR] / S[Q_CSPR] if S[Q_CSPR] > 0.0 else nan
    out[o + 11] = S[Q_MIC] / S[Q_CMIC] if S[Q_CMIC] > 0.0 else nan
    ud = S[Q_UP] + S[Q_DN]
    out[o + 12] = (S[Q_UP] - S[Q_DN]) / max(ud, 1.0)
    out[o + 13] = S[Q_TRD] / cnt if cnt > 0.0 else nan
    return o + N_NEW


@njit(cache=True)
def _recompute(R: np.ndarray, S: np.ndarray, si: np.ndarray, p: np.ndarray, off: int, n: int) -> None:
    """Exact window sums from the ring (at each wrap)."""
    _, ring, nt, ns, _, _ = xlayout(p, off)
    for k in range(nt + ns):
        lo = n - p[off + 4 + k] + 1 if k < nt else si[NXHEAD + k - nt]
        lo = max(lo, 1)
        for j in range(NSER):
            S[k, j] = 0.0
        for i in range(lo, n + 1):
            row = i % ring
            for j in range(NSER):
                S[k, j] += R[row, j]


@njit(cache=True)
def xviews(p: np.ndarray, off: int, sf: np.ndarray, si: np.ndarray):  # noqa: ANN201 - a tuple of views
    """Views into the block's state (ring, mids, sums, prev, scratch, tails, clock ring): made once per
    batch call (views cost reference counting, not worth paying per tick)."""
    _, ring, nt, ns, _, _ = xlayout(p, off)
    nw = nt + ns
    a = ring * NSER
    b = a + ring
    c = b + nw * NSER
    d = c + NXPREV
    return (
        sf[:a].reshape((ring, NSER)),
        sf[a:b],
        sf[b:c].reshape((nw, NSER)),
        sf[c:d],
        sf[d : d + NSER],
        sf[d + NSER : d + NSER + 5],
        sf[d + NSER + 5 : d + NSER + 10],
        si[NXHEAD : NXHEAD + ns],
        si[NXHEAD + ns : NXHEAD + ns + ring],
    )


@njit(cache=True, error_model="numpy")
def xstep(x: np.ndarray, ts: int, day: int, seg: int, p: np.ndarray, off: int, sf: np.ndarray,
          si: np.ndarray, out: np.ndarray, ob: int) -> None:  # fmt: skip
    """Consume one tick into the extended block's state and write its outputs from ``out[ob]`` on."""
    xstep_v(x, ts, day, seg, p, off, sf, si, out, ob, xviews(p, off, sf, si))


@njit(cache=True, error_model="numpy")
def xstep_v(x: np.ndarray, ts: int, day: int, seg: int, p: np.ndarray, off: int, sf: np.ndarray,
            si: np.ndarray, out: np.ndarray, ob: int, v: tuple) -> None:  # fmt: skip
    """``xstep`` with the state views ``v`` (from ``xviews``) already made."""
    _, ring, nt, ns, _, _ = xlayout(p, off)
    nw = nt + ns
    if si[X_INIT] == 0 or si[X_SEG] != seg:
        _reset(ring, nw, ns, sf, si)
        si[X_INIT] = 1
        si[X_SEG] = seg
        si[X_DAY] = day
    cum_ok = si[X_CUM] == 1 and si[X_DAY] == day
    si[X_DAY] = day
    R, mids, S, pf, q, dqb, dqa, tails, clk_ring = v
    dq0 = NXHEAD + ns + ring
    first = si[X_N] == 0
    if first:
        clk = 0
        si[X_BRK] = ts
    else:
        gap = ts - si[X_PTS]
        clk = si[X_CLK] + min(gap, GAP_CAP_NS)
        if gap >= BREAK_NS:
            si[X_BRK] = ts
    mid = 0.5 * (x[AP] + x[BP])
    pt = x[PT]
    _instant(x, ts, mid, cum_ok, pf, si, first, out, ob, q, dqb, dqa)
    # ---- push
    n = si[X_N] + 1
    si[X_N] = n
    si[X_CLK] = clk
    si[X_PTS] = ts
    row = n % ring
    for j in range(NSER):
        R[row, j] = q[j]
    mids[row] = mid
    clk_ring[row] = clk
    for k in range(nt):
        w = p[off + 4 + k]
        if n > w:
            old = (n - w) % ring
            for j in range(NSER):
                S[k, j] += q[j] - R[old, j]
        else:
            for j in range(NSER):
                S[k, j] += q[j]
    for t in range(ns):
        k = nt + t
        W = p[off + 4 + nt + t]
        for j in range(NSER):
            S[k, j] += q[j]
        while tails[t] <= n and clk_ring[tails[t] % ring] <= clk - W:
            old = tails[t] % ring
            for j in range(NSER):
                S[k, j] -= R[old, j]
            tails[t] += 1
        if n - tails[t] + 1 > ring - 2:
            old = tails[t] % ring
            for j in range(NSER):
                S[k, j] -= R[old, j]
            tails[t] += 1  # truncated: the as-of tick below is then inside the window -> NaN
    if row == 0:
        _recompute(R, S, si, p, off, n)
    # ---- outputs
    o = ob + N_INSTANT
    for k in range(nw):
        bmax = dq0 + 2 * k * (2 + ring)
        bmin = bmax + 2 + ring
        _deque_push(si, bmax, ring, mids, n, True)
        _deque_push(si, bmin, ring, mids, n, False)
        if k < nt:
            w = p[off + 4 + k]
            start = n - w + 1
            ok = n > w
            cnt = float(w)
        else:
            t = k - nt
            W = p[off + 4 + k]
            start = tails[t]
            ok = start >= 2 and clk_ring[(start - 1) % ring] <= clk - W
            cnt = S[k, Q_ONE]
        hi = _deque_front(si, bmax, ring, mids, start)
        lo = _deque_front(si, bmin, ring, mids, start)
        if not ok:
            m = N_NEW if k < nt else N_NEW + N_TIMECORE
            for i in range(m):
                out[o + i] = np.nan
            o += m
            continue
        Sk = S[k]
        if k >= nt:  # core families over the time window
            W = p[off + 4 + k]
            asof = mids[(tails[k - nt] - 1) % ring]
            out[o] = np.log(mid / asof)
            out[o + 1] = np.sqrt(max(Sk[Q_R2], 0.0))
            out[o + 2] = Sk[Q_OFI]
            out[o + 3] = Sk[Q_DVOL]
            out[o + 4] = Sk[Q_SV]
            out[o + 5] = Sk[Q_DOI]
            out[o + 6] = cnt * 1e9 / W
            o += N_TIMECORE
        o = _new_families(Sk, cnt, mid, pt, (hi - lo) / pt, out, o)
    # ---- remember this tick
    for i in range(20):
        pf[XP_BOOK + i] = x[BP + i]
    pf[XP_LAST] = x[LAST]
    pf[XP_VOL] = x[VOL]
    pf[XP_AMT] = x[AMT]
    pf[XP_OI] = x[OI]
    pf[XP_MID] = mid
    si[X_CUM] = 1
