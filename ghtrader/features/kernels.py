"""The one definition of every factor: a jitted streaming ``step`` over O(1) state.

Batch (``run``) is a jitted loop calling ``step`` per row; the online engine calls ``step`` for one
tick. State is two flat arrays so it can be copied and persisted exactly:

* ``sf`` (float64): ring buffers ``H[series, ring]`` then the windowed running sums then prev-tick
  scalars (bid1, ask1, bid vol1, ask vol1, mid, volume, amount, open interest);
* ``si`` (int64): header (ticks since reset, ring position, segment, trading day, cumulative-valid,
  prev ts, initialised), then the finite and the non-zero counts of each running sum, then the ts ring.

Traps: a segment change (roll) resets everything; a new trading day only invalidates the cumulative
fields (volume, amount, OI restart each day) so their first delta is NaN while windows continue.
Running sums are recomputed exactly from the ring each time it wraps, bounding float drift, and a
window holding only zeros reads exactly 0 (no ``1e-23`` residue under a sqrt); since this happens
inside ``step``, batch and online stay bit-identical. ``error_model="numpy"``: x/0 is
inf/NaN instead of raising.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from ghtrader.features.jitcache import drop_stale_cache

drop_stale_cache()  # before any cached kernel loads (see ``jitcache``)

from ghtrader.features import kernels_ext as X  # noqa: E402

# ---- input row layout (see ``inputs``) -------------------------------------------------------------
from ghtrader.features.inputs import AMT, AP, AV, BP, BV, LAST, NX, OI, PT, VM, VOL  # noqa: E402,F401
from ghtrader.features.kernels_ring import wrap  # noqa: E402

# ---- series kept in the ring -----------------------------------------------------------------------
S_MID, S_R2, S_OFI, S_DVOL, S_SV, S_DOI = 0, 1, 2, 3, 4, 5
NSERIES = 6
SUM_SERIES = (S_R2, S_OFI, S_DVOL, S_SV, S_DOI)  # the summed families rv, ofi, vol, signed_vol, doi

# ---- int header ------------------------------------------------------------------------------------
I_N, I_POS, I_SEG, I_DAY, I_CUM, I_PTS, I_INIT = 0, 1, 2, 3, 4, 5, 6
NIHEAD = 7
# prev-tick float scalars (after the sums)
F_B1, F_A1, F_BV1, F_AV1, F_MID, F_VOL, F_AMT, F_OI = range(8)
NFPREV = 8
NINSTANT = 28


@njit(cache=True, inline="always")
def layout(p: np.ndarray) -> tuple[int, int, int, int, int, int]:
    """(ring L, n_sums, float size, int size, prev-scalar offset, n outputs) from the params vector."""
    ring = p[0]
    n_sums = p[2] + p[3] + p[4] + p[5] + p[6]
    n_out = NINSTANT + p[1] + n_sums + p[7]
    nf = NSERIES * ring + n_sums + NFPREV
    ni = NIHEAD + 2 * n_sums + ring
    return ring, n_sums, nf, ni, NSERIES * ring + n_sums, n_out


@njit(cache=True)
def reset(p: np.ndarray, sf: np.ndarray, si: np.ndarray) -> None:
    """Forget everything (segment change): empty windows, no previous tick."""
    ring = p[0]
    sf[: NSERIES * ring] = np.nan
    sf[NSERIES * ring :] = 0.0
    prev = layout(p)[4]
    sf[prev : prev + NFPREV] = np.nan
    si[:] = 0
    si[I_POS] = ring - 1


@njit(cache=True, inline="always")
def _windows(p: np.ndarray, fam: int) -> np.ndarray:
    start = 8
    for k in range(fam):
        start += p[1 + k]
    return p[start : start + p[1 + fam]]


@njit(cache=True, inline="always")
def _imb(x: np.ndarray, levels: int) -> float:
    sb = 0.0
    sa = 0.0
    for i in range(levels):
        sb += x[BV + i]
        sa += x[AV + i]
    den = sb + sa
    if den > 0.0:
        return (sb - sa) / den
    return np.nan


@njit(cache=True)
def _recompute(p: np.ndarray, sf: np.ndarray, si: np.ndarray, pos: int, n: int) -> None:
    """Exact window sums from the ring (called when the ring wraps)."""
    ring, n_sums = p[0], layout(p)[1]
    j = 0
    for fam in range(5):
        base = SUM_SERIES[fam] * ring
        for w in _windows(p, 1 + fam):
            s = 0.0
            c = 0
            nz = 0
            for k in range(min(n, w)):
                v = sf[base + wrap(pos - k, ring)]
                if not np.isnan(v):
                    s += v
                    c += 1
                    nz += v != 0.0
            sf[NSERIES * ring + j] = s
            si[NIHEAD + j] = c
            si[NIHEAD + n_sums + j] = nz
            j += 1


@njit(cache=True, error_model="numpy")
def core_step(
    x: np.ndarray, ts: int, day: int, seg: int, p: np.ndarray, sf: np.ndarray, si: np.ndarray, out: np.ndarray
) -> None:
    """Core block: consume one tick (row ``x`` in the input layout) and write its factors into ``out``."""
    ring, n_sums, _, _, pv, _ = layout(p)
    if si[I_INIT] == 0 or si[I_SEG] != seg:
        reset(p, sf, si)
        si[I_INIT] = 1
        si[I_SEG] = seg
        si[I_DAY] = day
    cum_ok = si[I_CUM] == 1 and si[I_DAY] == day
    si[I_DAY] = day
    n_prev = si[I_N]
    pt = x[PT]
    b1 = x[BP]
    a1 = x[AP]
    bv1 = x[BV]
    av1 = x[AV]
    mid = 0.5 * (a1 + b1)
    p_b1 = sf[pv + F_B1]
    p_a1 = sf[pv + F_A1]
    p_bv1 = sf[pv + F_BV1]
    p_av1 = sf[pv + F_AV1]
    p_mid = sf[pv + F_MID]
    nan = np.nan

    out[0] = (a1 - b1) / pt
    out[1] = (a1 - b1) / mid
    den = bv1 + av1
    out[2] = ((a1 * bv1 + b1 * av1) / den - mid) / pt if den > 0.0 else nan
    out[3] = _imb(x, 1)
    out[4] = _imb(x, 3)
    out[5] = _imb(x, 5)
    wb = 0.0
    wa = 0.0
    for i in range(5):
        wb += x[BV + i] / (i + 1)
        wa += x[AV + i] / (i + 1)
    out[6] = (wb - wa) / (wb + wa) if wb + wa > 0.0 else nan
    # queue changes / OFI at L1 (NaN when a quote or the previous tick is missing)
    dq_b = nan
    dq_a = nan
    if not (np.isnan(b1) or np.isnan(p_b1) or np.isnan(bv1) or np.isnan(p_bv1)):
        dq_b = bv1 - p_bv1 if b1 == p_b1 else (bv1 if b1 > p_b1 else -p_bv1)
    if not (np.isnan(a1) or np.isnan(p_a1) or np.isnan(av1) or np.isnan(p_av1)):
        dq_a = av1 - p_av1 if a1 == p_a1 else (av1 if a1 < p_a1 else -p_av1)
    ofi = dq_b - dq_a
    out[7] = ofi
    out[8] = dq_b
    out[9] = dq_a
    # cumulative-field deltas (restart every trading day)
    dvol = x[VOL] - sf[pv + F_VOL] if cum_ok else nan
    damt = x[AMT] - sf[pv + F_AMT] if cum_ok else nan
    doi = x[OI] - sf[pv + F_OI] if cum_ok else nan
    out[10] = dvol
    out[11] = damt
    vwap_mid = nan
    sv = nan
    if dvol > 0.0:
        vwap_mid = (damt / (dvol * x[VM]) - p_mid) / pt
        sv = dvol * np.sign(vwap_mid) if not np.isnan(vwap_mid) else nan
    elif dvol == 0.0:
        sv = 0.0
    out[12] = vwap_mid
    out[13] = sv
    out[14] = doi / dvol if dvol > 0.0 else nan
    out[15] = (ts - si[I_PTS]) / 1e9 if n_prev > 0 else nan
    out[16] = doi
    out[17] = (x[LAST] - mid) / pt
    db = 0.0
    da = 0.0
    for i in range(5):
        db += x[BV + i]
        da += x[AV + i]
    out[18] = np.log1p(db)
    out[19] = np.log1p(da)
    out[20] = out[18] - out[19]
    out[21] = db / ((b1 - x[BP + 4]) / pt + 1.0)
    out[22] = da / ((x[AP + 4] - a1) / pt + 1.0)
    out[23] = (b1 - x[BP + 1]) / pt
    out[24] = (x[AP + 1] - a1) / pt
    out[25] = np.log1p(bv1)
    out[26] = np.log1p(av1)
    out[27] = (mid - p_mid) / pt
    r1 = np.log(mid / p_mid)

    # ---- push into the rings
    pos = wrap(si[I_POS] + 1, ring)
    n = n_prev + 1
    si[I_POS] = pos
    si[I_N] = n
    sf[S_MID * ring + pos] = mid
    sf[S_R2 * ring + pos] = r1 * r1
    sf[S_OFI * ring + pos] = ofi
    sf[S_DVOL * ring + pos] = dvol
    sf[S_SV * ring + pos] = sv
    sf[S_DOI * ring + pos] = doi
    tsr = NIHEAD + 2 * n_sums
    si[tsr + pos] = ts
    # ---- windowed outputs
    o = NINSTANT
    for w in _windows(p, 0):
        out[o] = np.log(mid / sf[S_MID * ring + wrap(pos - w, ring)]) if n > w else nan
        o += 1
    j = 0
    for fam in range(5):
        base = SUM_SERIES[fam] * ring
        for w in _windows(p, 1 + fam):
            v = sf[base + pos]
            if not np.isnan(v):
                sf[NSERIES * ring + j] += v
                si[NIHEAD + j] += 1
                si[NIHEAD + n_sums + j] += v != 0.0
            if n > w:
                old = sf[base + wrap(pos - w, ring)]
                if not np.isnan(old):
                    sf[NSERIES * ring + j] -= old
                    si[NIHEAD + j] -= 1
                    si[NIHEAD + n_sums + j] -= old != 0.0
            j += 1
    if pos == 0:
        _recompute(p, sf, si, pos, n)
    j = 0
    for fam in range(5):
        for w in _windows(p, 1 + fam):
            s = sf[NSERIES * ring + j] if si[NIHEAD + n_sums + j] > 0 else 0.0
            if n > w and si[NIHEAD + j] > 0:
                out[o] = np.sqrt(max(s, 0.0)) if fam == 0 else s
            else:
                out[o] = nan
            o += 1
            j += 1
    for w in _windows(p, 6):
        span = ts - si[tsr + wrap(pos - w, ring)]
        out[o] = w * 1e9 / span if n > w and span > 0 else nan
        o += 1
    # ---- remember this tick
    sf[pv + F_B1] = b1
    sf[pv + F_A1] = a1
    sf[pv + F_BV1] = bv1
    sf[pv + F_AV1] = av1
    sf[pv + F_MID] = mid
    sf[pv + F_VOL] = x[VOL]
    sf[pv + F_AMT] = x[AMT]
    sf[pv + F_OI] = x[OI]
    si[I_CUM] = 1
    si[I_PTS] = ts


@njit(cache=True)
def ext_offset(p: np.ndarray) -> int:
    """Where the extended block's params start (after the core windows)."""
    return 8 + p[1] + p[2] + p[3] + p[4] + p[5] + p[6] + p[7]


@njit(cache=True)
def sizes(p: np.ndarray) -> tuple[int, int, int, int, int, int]:
    """(core float size, core int size, core outputs, total float, total int, total outputs)."""
    _, _, nf, ni, _, n_out = layout(p)
    off = ext_offset(p)
    xl = X.xlayout(p, off)
    return nf, ni, n_out, nf + xl[4], ni + xl[5], n_out + X.xn_out(p, off)


@njit(cache=True, error_model="numpy")
def step(
    x: np.ndarray, ts: int, day: int, seg: int, p: np.ndarray, sf: np.ndarray, si: np.ndarray, out: np.ndarray
) -> None:
    """Consume one tick through the core block and (when configured) the extended block."""
    nf, ni, n_out, _, _, _ = sizes(p)
    core_step(x, ts, day, seg, p, sf[:nf], si[:ni], out)
    off = ext_offset(p)
    if p[off] != 0:
        X.xstep(x, ts, day, seg, p, off, sf[nf:], si[ni:], out, n_out)


@njit(cache=True)
def run(
    xs: np.ndarray,
    ts: np.ndarray,
    day: np.ndarray,
    seg: np.ndarray,
    p: np.ndarray,
    sf: np.ndarray,
    si: np.ndarray,
    out: np.ndarray,
) -> None:
    """Batch: ``step`` over every row in order (state continues from ``sf``/``si``).

    Same calls as ``step`` with the state views made once for the whole batch.
    """
    nf, ni, n_out, _, _, _ = sizes(p)
    off = ext_offset(p)
    sfc, sic, sfx, six = sf[:nf], si[:ni], sf[nf:], si[ni:]
    if p[off] == 0:
        for i in range(xs.shape[0]):
            core_step(xs[i], ts[i], day[i], seg[i], p, sfc, sic, out[i])
        return
    v = X.xviews(p, off, sfx, six)
    for i in range(xs.shape[0]):
        row = out[i]
        core_step(xs[i], ts[i], day[i], seg[i], p, sfc, sic, row)
        X.xstep_v(xs[i], ts[i], day[i], seg[i], p, off, sfx, six, row, n_out, v)


@njit(cache=True)
def run_core(
    xs: np.ndarray,
    ts: np.ndarray,
    day: np.ndarray,
    seg: np.ndarray,
    p: np.ndarray,
    sf: np.ndarray,
    si: np.ndarray,
    out: np.ndarray,
) -> None:
    """Batch over the core block only (no extended block configured): ``core_step`` per row."""
    for i in range(xs.shape[0]):
        core_step(xs[i], ts[i], day[i], seg[i], p, sf, si, out[i])


def kernels_for(extended: bool) -> tuple[Any, Any]:
    """``(step, run)`` for a config: the core-only pair skips compiling the extended block (~30 s cold).

    Both pairs call the same ``core_step``, so a core factor is bit-identical either way.
    """
    return (step, run) if extended else (core_step, run_core)
