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

from ghtrader.features.inputs import AMT, AP, BP, LAST, OI, PT, VOL
from ghtrader.features.kernels_ring import wrap
from ghtrader.features.kernels_xinst import (
    N_INSTANT,
    NSCRATCH,
    NSER,
    NXHEAD,
    NXPREV,
    Q_AR,
    Q_CIMB,
    Q_CIMB5,
    Q_CMIC,
    Q_CR,
    Q_CSPR,
    Q_DAMT,
    Q_DN,
    Q_DOI,
    Q_DOIS,
    Q_DVOL,
    Q_IMB,
    Q_IMB5,
    Q_KC,
    Q_KDM,
    Q_KDMSV,
    Q_KSV,
    Q_KSV2,
    Q_MIC,
    Q_MLOFI,
    Q_OFI,
    Q_ONE,
    Q_R,
    Q_R2,
    Q_R3,
    Q_SPR,
    Q_SV,
    Q_TRD,
    Q_UP,
    X_BRK,
    X_CLK,
    X_CUM,
    X_DAY,
    X_INIT,
    X_N,
    X_PTS,
    X_SEG,
    XP_AMT,
    XP_BOOK,
    XP_LAST,
    XP_MID,
    XP_OI,
    XP_VOL,
    _instant,
)

GAP_CAP_NS = 30_000_000_000
BREAK_NS = 60_000_000_000
MAX_RATE = 4  # ticks per second the time-window ring is sized for
N_NEW = 14  # new families per window (tick and time)
N_TIMECORE = 7  # core families repeated over time windows


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
def _deque_push(si: np.ndarray, base: int, ring: int, mids: np.ndarray, idx: int, is_max: bool) -> None:
    """Monotonic deque (abs tick indices) at ``si[base:]``: head, tail counters then ``ring`` slots."""
    v = mids[wrap(idx, ring)]
    if np.isnan(v):
        return
    while si[base + 1] > si[base]:
        last = si[base + 2 + wrap(si[base + 1] - 1, ring)]
        lv = mids[wrap(last, ring)]
        if (lv <= v) if is_max else (lv >= v):
            si[base + 1] -= 1
        else:
            break
    si[base + 2 + wrap(si[base + 1], ring)] = idx
    si[base + 1] += 1


@njit(cache=True, inline="always")
def _deque_front(si: np.ndarray, base: int, ring: int, mids: np.ndarray, start: int) -> float:
    """Extreme mid over abs indices >= ``start`` (pops older fronts); NaN when empty."""
    while si[base + 1] > si[base] and si[base + 2 + wrap(si[base], ring)] < start:
        si[base] += 1
    if si[base + 1] == si[base]:
        return np.nan
    return mids[wrap(si[base + 2 + wrap(si[base], ring)], ring)]


@njit(cache=True, inline="always")
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
            row = wrap(i, ring)
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
    row = wrap(n, ring)
    for j in range(NSER):
        R[row, j] = q[j]
    mids[row] = mid
    clk_ring[row] = clk
    for k in range(nt):
        w = p[off + 4 + k]
        if n > w:
            old = wrap(n - w, ring)
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
        while tails[t] <= n and clk_ring[wrap(tails[t], ring)] <= clk - W:
            old = wrap(tails[t], ring)
            for j in range(NSER):
                S[k, j] -= R[old, j]
            tails[t] += 1
        if n - tails[t] + 1 > ring - 2:
            old = wrap(tails[t], ring)
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
            ok = start >= 2 and clk_ring[wrap(start - 1, ring)] <= clk - W
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
            asof = mids[wrap(tails[k - nt] - 1, ring)]
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
