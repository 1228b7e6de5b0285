"""The extended factor block (set ``full``): L5 shape, multi-level OFI, time windows, impact estimates.

Runs inside the same jitted ``kernels.step`` / ``run`` as the core block (one definition, batch ==
online), on its own O(1) state appended after the core state (offsets ``fb`` / ``ib``):

* ``sf``: ring ``R[ring, NQ]`` (tick-major) of per-tick series, the mid ring, running window sums
  ``S[n_windows, NQ]``, then prev-tick scalars (full L5 book, last, volume, amount, OI, mid);
* ``si``: header, per time-window tail index (first tick inside), the session-clock ring, then one
  monotonic deque of mid for the max and one for the min, shared by all windows (every window is a
  suffix of the same tick sequence, so its extreme is the first deque entry inside it: one cursor
  per window into each deque instead of a deque per window).

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
    """(on, ring, n_tick, n_time, float size, int size) of the block whose params start at ``off``."""
    on, ring, nt, ns = p[off], p[off + 1], p[off + 2], p[off + 3]
    if on == 0:
        return 0, 0, 0, 0, 0, 0
    nw = nt + ns
    nf = ring * NQ + ring + nw * NQ + NXPREV
    ni = NXHEAD + ns + ring + 2 * (2 + ring) + 2 * nw
    return on, ring, nt, ns, nf, ni


@njit(cache=True)
def xn_out(p: np.ndarray, off: int) -> int:
    on, _, nt, ns, _, _ = xlayout(p, off)
    return 0 if on == 0 else N_INSTANT + nt * N_NEW + ns * (N_TIMECORE + N_NEW)


@njit(cache=True)
def _reset(p: np.ndarray, off: int, sf: np.ndarray, fb: int, si: np.ndarray, ib: int) -> None:
    _, ring, nt, ns, nf, ni = xlayout(p, off)
    nw = nt + ns
    sf[fb : fb + nf] = 0.0
    sf[fb + ring * NQ : fb + ring * NQ + ring] = np.nan
    sf[fb + nf - NXPREV : fb + nf] = np.nan
    si[ib : ib + ni] = 0
    for k in range(ns):
        si[ib + NXHEAD + k] = 1  # tail = first tick of the segment
    assert nw >= 0


@njit(cache=True)
def _recompute(p: np.ndarray, off: int, sf: np.ndarray, fb: int, si: np.ndarray, ib: int, n: int) -> None:
    """Exact window sums from the ring (at each wrap)."""
    _, ring, nt, ns, _, _ = xlayout(p, off)
    fs = fb + ring * NQ + ring
    for k in range(nt + ns):
        lo = n - p[off + 4 + k] + 1 if k < nt else si[ib + NXHEAD + k - nt]
        lo = max(lo, 1)
        sk = fs + k * NQ
        for j in range(NQ):
            sf[sk + j] = 0.0
        for t in range(lo, n + 1):
            row = fb + wrap(t, ring) * NQ
            for j in range(NQ):
                sf[sk + j] += sf[row + j]


@njit(cache=True, inline="always")
def _push_sums(p: np.ndarray, off: int, sf: np.ndarray, fb: int, si: np.ndarray, ib: int, n: int,
               clk: int) -> None:  # fmt: skip
    """Add this tick's ring row to every window sum and drop the rows that left each window."""
    _, ring, nt, ns, _, _ = xlayout(p, off)
    fs = fb + ring * NQ + ring
    fq = fb + wrap(n, ring) * NQ
    for k in range(nt):
        w = p[off + 4 + k]
        sk = fs + k * NQ
        if n > w:
            fo = fb + wrap(n - w, ring) * NQ
            for j in range(NQ):
                sf[sk + j] += sf[fq + j] - sf[fo + j]
        else:
            for j in range(NQ):
                sf[sk + j] += sf[fq + j]
    it = ib + NXHEAD
    ic = it + ns
    for t in range(ns):
        sk = fs + (nt + t) * NQ
        lim = clk - p[off + 4 + nt + t]
        for j in range(NQ):
            sf[sk + j] += sf[fq + j]
        tail = si[it + t]
        while tail <= n and si[ic + wrap(tail, ring)] <= lim:
            fo = fb + wrap(tail, ring) * NQ
            for j in range(NQ):
                sf[sk + j] -= sf[fo + j]
            tail += 1
        if n - tail + 1 > ring - 2:
            fo = fb + wrap(tail, ring) * NQ
            for j in range(NQ):
                sf[sk + j] -= sf[fo + j]
            tail += 1  # truncated: the as-of tick below is then inside the window -> NaN
        si[it + t] = tail


@njit(cache=True, error_model="numpy", inline="always")
def xtick(xs: np.ndarray, i: int, ts: int, seg: int, p: np.ndarray, off: int, sf: np.ndarray, fb: int,
          si: np.ndarray, ib: int, out: np.ndarray, r: int, ob: int, mid: float, r1: float, dvol: float,
          damt: float, doi: float) -> None:  # fmt: skip
    """Consume row ``i`` into the block's state at ``sf[fb:]`` / ``si[ib:]``; write ``out[r, ob:]``.

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
    row = wrap(n, ring)
    _instant(xs, i, ts, si[ib + X_BRK], first, sf, fp, fb + row * NQ, out, r, ob, mid, r1, dvol, damt, doi)
    # ---- push
    si[ib + X_N] = n
    si[ib + X_CLK] = clk
    si[ib + X_PTS] = ts
    sf[fm + row] = mid
    si[ic + row] = clk
    _push_sums(p, off, sf, fb, si, ib, n, clk)
    if row == 0:
        _recompute(p, off, sf, fb, si, ib, n)
    if not np.isnan(mid):
        _deque_push(si, dmax, cur, nw, ring, sf, fm, n, mid, True)
        _deque_push(si, dmin, cur + nw, nw, ring, sf, fm, n, mid, False)
    # ---- outputs
    pt = xs[i, PT]
    o = ob + N_INSTANT
    hmax = si[dmax + 1]
    hmin = si[dmin + 1]
    for k in range(nw):
        if k < nt:
            w = p[off + 4 + k]
            start = n - w + 1
            ok = n > w
            cnt = float(w)
            asof = np.nan
        else:
            t = k - nt
            start = si[it + t]
            ok = start >= 2 and si[ic + wrap(start - 1, ring)] <= clk - p[off + 4 + k]
            cnt = sf[fs + k * NQ]  # Q_ONE
            asof = sf[fm + wrap(start - 1, ring)]
        hi, hmax = _deque_front(si, dmax, cur + k, ring, sf, fm, start, hmax)
        lo, hmin = _deque_front(si, dmin, cur + nw + k, ring, sf, fm, start, hmin)
        o = _window_out(sf, fs + k * NQ, k >= nt, ok, cnt, mid, pt, (hi - lo) / pt, asof,
                        p[off + 4 + k], out, r, o)  # fmt: skip
    si[dmax] = hmax
    si[dmin] = hmin
    # ---- remember this tick
    for k in range(20):
        sf[fp + XP_BOOK + k] = xs[i, BP + k]
    sf[fp + XP_LAST] = xs[i, LAST]
    sf[fp + XP_VOL] = xs[i, VOL]
    sf[fp + XP_AMT] = xs[i, AMT]
    sf[fp + XP_OI] = xs[i, OI]
    sf[fp + XP_MID] = mid
