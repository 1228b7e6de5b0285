"""The one definition of every factor: a jitted streaming ``step`` over O(1) state.

Batch (``run``) loops the per-tick code (``_core`` then ``kernels_ext.xtick``, inlined) over the rows;
the online engine runs the same code for one tick through ``step``. State is two flat arrays so it can
be copied and persisted exactly (layout in ``kernels_cwin``; the extended block's in ``kernels_ext``):

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
from ghtrader.features.kernels_cwin import (  # noqa: E402
    F_A1,
    F_AMT,
    F_AV1,
    F_B1,
    F_BV1,
    F_MID,
    F_OI,
    F_VOL,
    I_CUM,
    I_DAY,
    I_INIT,
    I_N,
    I_POS,
    I_PTS,
    I_SEG,
    NFPREV,
    NIHEAD,
    S_DOI,
    S_DVOL,
    S_MID,
    S_OFI,
    S_R2,
    S_SV,
    core_windows,
    layout,
    reset,
)
from ghtrader.features.kernels_math import log1p_lots, log_ratio  # noqa: E402

# The entry points run without numba's reference counting: they allocate nothing, and every array view
# (a batch row, a state slice) would otherwise cost an atomic increment / decrement pair per tick.
_TOP: dict[str, Any] = {"cache": True, "error_model": "numpy", "_nrt": False}


@njit(cache=True, error_model="numpy", inline="always")
def _core(x: np.ndarray, ts: int, day: int, seg: int, p: np.ndarray, sf: np.ndarray, si: np.ndarray,
          ow: np.ndarray) -> tuple[float, float, float, float, float]:  # fmt: skip
    """Core block: consume input row ``x`` (state at the start of ``sf`` / ``si``), write ``ow[:n_out]``.

    Returns this tick's (mid, 1-tick log-return, dvol, damount, doi) for the extended block.
    """
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
    last = x[LAST]
    vol = x[VOL]
    amt = x[AMT]
    oi = x[OI]
    mid = 0.5 * (a1 + b1)
    pf = sf[pv : pv + NFPREV]
    p_b1 = pf[F_B1]
    p_a1 = pf[F_A1]
    p_bv1 = pf[F_BV1]
    p_av1 = pf[F_AV1]
    p_mid = pf[F_MID]
    nan = np.nan
    # depth sums over levels 1, 1-3, 1-5 and the 1/level-weighted ones (before any store into out)
    db = 0.0
    da = 0.0
    db3 = 0.0
    da3 = 0.0
    wb = 0.0
    wa = 0.0
    for k in range(5):
        db += x[BV + k]
        da += x[AV + k]
        wb += x[BV + k] / (k + 1)
        wa += x[AV + k] / (k + 1)
        if k == 2:
            db3 = db
            da3 = da
    b2 = x[BP + 1]
    a2 = x[AP + 1]
    b5 = x[BP + 4]
    a5 = x[AP + 4]
    vm = x[VM]

    ow[0] = (a1 - b1) / pt
    ow[1] = (a1 - b1) / mid
    den = bv1 + av1
    ow[2] = ((a1 * bv1 + b1 * av1) / den - mid) / pt if den > 0.0 else nan
    s1 = 0.0 + bv1
    t1 = 0.0 + av1
    ow[3] = (s1 - t1) / (s1 + t1) if s1 + t1 > 0.0 else nan
    ow[4] = (db3 - da3) / (db3 + da3) if db3 + da3 > 0.0 else nan
    ow[5] = (db - da) / (db + da) if db + da > 0.0 else nan
    ow[6] = (wb - wa) / (wb + wa) if wb + wa > 0.0 else nan
    # queue changes / OFI at L1 (NaN when a quote or the previous tick is missing)
    dq_b = nan
    dq_a = nan
    if not (np.isnan(b1) or np.isnan(p_b1) or np.isnan(bv1) or np.isnan(p_bv1)):
        dq_b = bv1 - p_bv1 if b1 == p_b1 else (bv1 if b1 > p_b1 else -p_bv1)
    if not (np.isnan(a1) or np.isnan(p_a1) or np.isnan(av1) or np.isnan(p_av1)):
        dq_a = av1 - p_av1 if a1 == p_a1 else (av1 if a1 < p_a1 else -p_av1)
    ofi = dq_b - dq_a
    ow[7] = ofi
    ow[8] = dq_b
    ow[9] = dq_a
    # cumulative-field deltas (restart every trading day)
    dvol = vol - pf[F_VOL] if cum_ok else nan
    damt = amt - pf[F_AMT] if cum_ok else nan
    doi = oi - pf[F_OI] if cum_ok else nan
    ow[10] = dvol
    ow[11] = damt
    vwap_mid = nan
    sv = nan
    if dvol > 0.0:
        vwap_mid = (damt / (dvol * vm) - p_mid) / pt
        sv = dvol * np.sign(vwap_mid) if not np.isnan(vwap_mid) else nan
    elif dvol == 0.0:
        sv = 0.0
    ow[12] = vwap_mid
    ow[13] = sv
    ow[14] = doi / dvol if dvol > 0.0 else nan
    ow[15] = (ts - si[I_PTS]) / 1e9 if n_prev > 0 else nan
    ow[16] = doi
    ow[17] = (last - mid) / pt
    ldb = log1p_lots(db)
    lda = log1p_lots(da)
    ow[18] = ldb
    ow[19] = lda
    ow[20] = ldb - lda
    ow[21] = db / ((b1 - b5) / pt + 1.0)
    ow[22] = da / ((a5 - a1) / pt + 1.0)
    ow[23] = (b1 - b2) / pt
    ow[24] = (a2 - a1) / pt
    ow[25] = log1p_lots(bv1)
    ow[26] = log1p_lots(av1)
    ow[27] = (mid - p_mid) / pt
    r1 = log_ratio(mid, p_mid)

    # ---- push into the rings
    pos = si[I_POS] + 1
    if pos >= ring:
        pos = 0
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
    core_windows(p, sf, si, ow, pos, n, ts, mid)
    # ---- remember this tick
    pf[F_B1] = b1
    pf[F_A1] = a1
    pf[F_BV1] = bv1
    pf[F_AV1] = av1
    pf[F_MID] = mid
    pf[F_VOL] = vol
    pf[F_AMT] = amt
    pf[F_OI] = oi
    si[I_CUM] = 1
    si[I_PTS] = ts
    return mid, r1, dvol, damt, doi


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


@njit(**_TOP)
def core_step(
    x: np.ndarray, ts: int, day: int, seg: int, p: np.ndarray, sf: np.ndarray, si: np.ndarray, out: np.ndarray
) -> None:
    """Core block only: consume one tick (row ``x`` in the input layout) and write its factors into ``out``."""
    _core(x, ts, day, seg, p, sf, si, out)


@njit(**_TOP)
def step(
    x: np.ndarray, ts: int, day: int, seg: int, p: np.ndarray, sf: np.ndarray, si: np.ndarray, out: np.ndarray
) -> None:
    """Consume one tick through the core block and (when configured) the extended block."""
    mid, r1, dvol, damt, doi = _core(x, ts, day, seg, p, sf, si, out)
    off = ext_offset(p)
    if p[off] != 0:
        nf, ni, n_out, _, _, _ = sizes(p)
        X.xtick(x, ts, seg, p, off, sf, nf, si, ni, out, n_out, mid, r1, dvol, damt, doi)


@njit(**_TOP)
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
    """Batch: the same per-tick code as ``step`` over every row in order (state continues from ``sf``/``si``).

    Compiled without reference counting (``_nrt=False``): the per-row views are then free.
    """
    off = ext_offset(p)
    if p[off] == 0:
        run_core(xs, ts, day, seg, p, sf, si, out)
        return
    nf, ni, n_out, _, _, _ = sizes(p)
    for i in range(xs.shape[0]):
        x = xs[i]
        ow = out[i]
        mid, r1, dvol, damt, doi = _core(x, ts[i], day[i], seg[i], p, sf, si, ow)
        X.xtick(x, ts[i], seg[i], p, off, sf, nf, si, ni, ow, n_out, mid, r1, dvol, damt, doi)


@njit(**_TOP)
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
    """Batch over the core block only (no extended block configured)."""
    for i in range(xs.shape[0]):
        _core(xs[i], ts[i], day[i], seg[i], p, sf, si, out[i])


def kernels_for(extended: bool) -> tuple[Any, Any]:
    """``(step, run)`` for a config: the core-only pair skips compiling the extended block (~30 s cold).

    Both pairs call the same ``core_step``, so a core factor is bit-identical either way.
    """
    return (step, run) if extended else (core_step, run_core)
