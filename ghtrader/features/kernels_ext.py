"""The extended factor block (set ``full``): L5 shape, multi-level OFI, time windows, impact estimates.

Runs inside the same jitted ``kernels.step`` / ``run`` as the core block (one definition, batch ==
online), on its own O(1) state appended after the core state (offsets ``fb`` / ``ib``):

* ``sf``: ring ``R[ring, NQ]`` (tick-major) of per-tick series, the mid ring, running window sums
  ``S[n_windows, NQ]``, the mids of the two deques, a (mid, as-of mid, return) cache per time window, then prev-tick scalars (full L5 book, last,
  volume, amount, OI, mid, the time-of-day cache);
* ``si``: header, per time-window tail index (first tick inside), the session-clock ring, then one
  monotonic deque of mid for the max and one for the min (counters, tick indices), shared by all
  windows (every window is a suffix of the same tick sequence, so its extreme is the first deque
  entry inside it: one cursor per window into each deque instead of a deque per window).

The physical ring is the power of two >= the configured capacity (a ring index is ``i & mask``); the
windows and the truncation are defined by the capacity (``p[off + 1]``), the exact recompute runs
every ``capacity`` ticks, so values do not depend on the physical size. Row / slice views (free: the
kernels compile with ``_nrt=False``) keep the per-series loops vectorizable.

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

from ghtrader.features.inputs import AMT, BP, LAST, OI, PT, VOL
from ghtrader.features.kernels_math import log_ratio
from ghtrader.features.kernels_ring import wrap
from ghtrader.features.kernels_xinst import (
    N_INSTANT,
    NQ,
    NXHEAD,
    NXPREV,
    X_BRK,
    X_CLK,
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
from ghtrader.features.kernels_xwin import N_NEW, N_TIMECORE, _deque_front, _deque_push, _window_out

GAP_CAP_NS = 30_000_000_000
BREAK_NS = 60_000_000_000
MAX_RATE = 4  # ticks per second the time-window ring is sized for


@njit(cache=True, inline="always")
def xlayout(p: np.ndarray, off: int) -> tuple[int, int, int, int, int, int]:
    """(on, ring, n_tick, n_time, float size, int size) of the block whose params start at ``off``.

    ``p[off + 1]`` is the ring capacity the windows are defined by (``FeatureConfig.ext_ring_length``).
    """
    on, cap, nt, ns = p[off], p[off + 1], p[off + 2], p[off + 3]
    if on == 0:
        return 0, 0, 0, 0, 0, 0
    ring = 2  # physical ring: the power of two >= the capacity, so a ring index is ``i & (ring - 1)``
    while ring < cap:
        ring *= 2
    nw = nt + ns
    nf = ring * NQ + ring + nw * NQ + 2 * ring + 3 * ns + NXPREV
    ni = NXHEAD + ns + ring + 2 * (2 + ring) + 2 * nw
    return on, ring, nt, ns, nf, ni


@njit(cache=True)
def xn_out(p: np.ndarray, off: int) -> int:
    on, _, nt, ns, _, _ = xlayout(p, off)
    return 0 if on == 0 else N_INSTANT + nt * N_NEW + ns * (N_TIMECORE + N_NEW)


@njit(cache=True)
def _reset(p: np.ndarray, off: int, sf: np.ndarray, fb: int, si: np.ndarray, ib: int) -> None:
    _, ring, _, ns, nf, ni = xlayout(p, off)
    sf[fb : fb + nf] = 0.0
    sf[fb + ring * NQ : fb + ring * NQ + ring] = np.nan
    sf[fb + nf - NXPREV : fb + nf] = np.nan
    si[ib : ib + ni] = 0
    for k in range(ns):
        si[ib + NXHEAD + k] = 1  # tail = first tick of the segment


@njit(cache=True)
def _recompute(p: np.ndarray, off: int, sf: np.ndarray, fb: int, si: np.ndarray, ib: int, n: int) -> None:
    """Exact window sums from the ring (every ``capacity`` ticks, bounding float drift)."""
    _, ring, nt, ns, _, _ = xlayout(p, off)
    fs = fb + ring * NQ + ring
    for k in range(nt + ns):
        lo = n - p[off + 4 + k] + 1 if k < nt else si[ib + NXHEAD + k - nt]
        lo = max(lo, 1)
        sk = fs + k * NQ
        for j in range(NQ):
            sf[sk + j] = 0.0
        for t in range(lo, n + 1):
            row = fb + (t & (ring - 1)) * NQ
            for j in range(NQ):
                sf[sk + j] += sf[row + j]


@njit(cache=True, inline="always")
def _add_row(s: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """``s += a - b`` over one ring row (views: the index is then provably >= 0 and the loop vectorizes)."""
    for j in range(NQ):
        s[j] += a[j] - b[j]


@njit(cache=True, inline="always")
def _push_sums(p: np.ndarray, off: int, sf: np.ndarray, fb: int, si: np.ndarray, ib: int, n: int,
               clk: int) -> None:  # fmt: skip
    """Add this tick's ring row to every window sum and drop the rows that left each window."""
    _, ring, nt, ns, _, _ = xlayout(p, off)
    mask = ring - 1
    fs = fb + ring * NQ + ring
    fq = fb + (n & mask) * NQ
    q = sf[fq : fq + NQ]
    for k in range(nt):
        w = p[off + 4 + k]
        sk = fs + k * NQ
        s = sf[sk : sk + NQ]
        if n > w:
            fo = fb + ((n - w) & mask) * NQ
            _add_row(s, q, sf[fo : fo + NQ])
        else:
            for j in range(NQ):
                s[j] += q[j]
    it = ib + NXHEAD
    ic = it + ns
    cap = p[off + 1]
    for t in range(ns):
        sk = fs + (nt + t) * NQ
        s = sf[sk : sk + NQ]
        lim = clk - p[off + 4 + nt + t]
        for j in range(NQ):
            s[j] += q[j]
        tail = si[it + t]
        while tail <= n and (si[ic + (tail & mask)] <= lim or n - tail + 1 > cap - 2):
            # left the window, or truncated (over MAX_RATE: the as-of tick is then inside -> NaN)
            fo = fb + (tail & mask) * NQ
            row = sf[fo : fo + NQ]
            for j in range(NQ):
                s[j] -= row[j]
            tail += 1
        si[it + t] = tail


@njit(cache=True, error_model="numpy", inline="always")
def xtick(x: np.ndarray, ts: int, seg: int, p: np.ndarray, off: int, sf: np.ndarray, fb: int, si: np.ndarray,
          ib: int, ow: np.ndarray, ob: int, mid: float, r1: float, dvol: float, damt: float,
          doi: float) -> None:  # fmt: skip
    """Consume input row ``x`` into the block's state at ``sf[fb:]`` / ``si[ib:]``; write ``ow[ob:]``.

    ``mid``, ``r1``, ``dvol``, ``damt``, ``doi``: this tick's values from the core block.
    """
    _, ring, nt, ns, nf, _ = xlayout(p, off)
    nw = nt + ns
    if si[ib + X_INIT] == 0 or si[ib + X_SEG] != seg:
        _reset(p, off, sf, fb, si, ib)
        si[ib + X_INIT] = 1
        si[ib + X_SEG] = seg
    fm = fb + ring * NQ  # mid ring
    fs = fm + ring  # window sums
    fp = fb + nf - NXPREV  # prev-tick scalars
    it = ib + NXHEAD  # time-window tails
    ic = it + ns  # session-clock ring
    dmax = ic + ring  # deques (head, tail, ring slots), then the per-window cursors
    dmin = dmax + 2 + ring
    cur = dmin + 2 + ring
    first = si[ib + X_N] == 0
    if first:
        clk = 0
        si[ib + X_BRK] = ts
    else:
        gap = ts - si[ib + X_PTS]
        clk = si[ib + X_CLK] + min(gap, GAP_CAP_NS)
        if gap >= BREAK_NS:
            si[ib + X_BRK] = ts
    n = si[ib + X_N] + 1
    mask = ring - 1
    row = n & mask
    fq = fb + row * NQ
    pf = sf[fp : fp + NXPREV]
    _instant(x, ts, si[ib + X_BRK], first, pf, sf[fq : fq + NQ], ow[ob : ob + N_INSTANT], mid, r1,
             dvol, damt, doi)  # fmt: skip
    # ---- push
    si[ib + X_N] = n
    si[ib + X_CLK] = clk
    si[ib + X_PTS] = ts
    sf[fm + row] = mid
    si[ic + row] = clk
    _push_sums(p, off, sf, fb, si, ib, n, clk)
    if wrap(n, p[off + 1]) == 0:  # every ``capacity`` ticks
        _recompute(p, off, sf, fb, si, ib, n)
    fv = fs + nw * NQ  # deque mids: max then min
    hc_max = si[dmax : dmax + 2]
    hc_min = si[dmin : dmin + 2]
    di_max = si[dmax + 2 : dmax + 2 + ring]
    di_min = si[dmin + 2 : dmin + 2 + ring]
    dv_max = sf[fv : fv + ring]
    dv_min = sf[fv + ring : fv + 2 * ring]
    cur_max = si[cur : cur + nw]
    cur_min = si[cur + nw : cur + 2 * nw]
    if not np.isnan(mid):
        _deque_push(hc_max, di_max, dv_max, cur_max, mask, n, mid, True)
        _deque_push(hc_min, di_min, dv_min, cur_min, mask, n, mid, False)
    # ---- outputs
    pt = x[PT]
    o = ob + N_INSTANT
    t_max = hc_max[1]
    t_min = hc_min[1]
    h_max = t_max
    h_min = t_min
    for k in range(nw):
        if k < nt:
            w = p[off + 4 + k]
            start = n - w + 1
            ok = n > w
            cnt = float(w)
            ret = np.nan
        else:
            t = k - nt
            start = si[it + t]
            ok = start >= 2 and si[ic + ((start - 1) & mask)] <= clk - p[off + 4 + k]
            cnt = sf[fs + k * NQ]  # Q_ONE
            ret = np.nan
            if ok:  # log(mid / as-of mid), cached: both mids are sticky (same inputs, same value)
                asof = sf[fm + ((start - 1) & mask)]
                rc = sf[fv + 2 * ring + 3 * t : fv + 2 * ring + 3 * t + 3]
                if rc[0] == mid and rc[1] == asof:
                    ret = rc[2]
                else:
                    ret = log_ratio(mid, asof)
                    rc[0] = mid
                    rc[1] = asof
                    rc[2] = ret
        hi, c_max = _deque_front(di_max, dv_max, t_max, cur_max, k, mask, start)
        lo, c_min = _deque_front(di_min, dv_min, t_min, cur_min, k, mask, start)
        h_max = min(h_max, c_max)
        h_min = min(h_min, c_min)
        m = N_NEW if k < nt else N_NEW + N_TIMECORE
        sk = fs + k * NQ
        _window_out(sf[sk : sk + NQ], k >= nt, ok, cnt, mid, pt, (hi - lo) / pt, ret, p[off + 4 + k],
                    ow[o : o + m])  # fmt: skip
        o += m
    hc_max[0] = h_max
    hc_min[0] = h_min
    # ---- remember this tick
    for k in range(20):
        pf[XP_BOOK + k] = x[BP + k]
    pf[XP_LAST] = x[LAST]
    pf[XP_VOL] = x[VOL]
    pf[XP_AMT] = x[AMT]
    pf[XP_OI] = x[OI]
    pf[XP_MID] = mid
