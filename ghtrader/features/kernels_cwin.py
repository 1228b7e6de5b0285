"""The core block's state layout and its windowed families (``kernels._core`` calls ``core_windows``).

State (see ``kernels``): ``sf`` = rings ``H[series, ring]``, the windowed running sums, the prev-tick
scalars; ``si`` = header, finite and non-zero counts per running sum, the ts ring. The running sums are
recomputed exactly from the ring each time it wraps (slot 0), bounding float drift; a window holding
only zeros reads exactly 0. The windows of one family are nested suffixes of the same series, so the
recompute sums each family once, newest to oldest, and reads every window off the way (same order of
additions as summing each window on its own: the same values).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ghtrader.features.kernels_math import log_ratio

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
    """Forget everything (segment change): empty windows, no previous tick (core state only)."""
    ring, _, nf, ni, prev, _ = layout(p)
    sf[: NSERIES * ring] = np.nan
    sf[NSERIES * ring : nf] = 0.0
    sf[prev : prev + NFPREV] = np.nan
    si[:ni] = 0
    si[I_POS] = ring - 1


@njit(cache=True, inline="always")
def back(pos: int, w: int, ring: int) -> int:
    """Ring slot ``w`` ticks before slot ``pos`` (``0 <= pos < ring``, ``0 <= w < ring``): ``(pos - w) % ring``."""
    j = pos - w
    return j + ring if j < 0 else j


@njit(cache=True)
def _recompute(p: np.ndarray, sf: np.ndarray, si: np.ndarray, pos: int, n: int) -> None:
    """Exact window sums, finite and non-zero counts from the ring (the current tick at slot ``pos``)."""
    ring, n_sums = p[0], layout(p)[1]
    j0 = 0
    wp = 8 + p[1]
    for fam in range(5):
        base = SUM_SERIES[fam] * ring
        nw = p[2 + fam]
        m = 0
        for q in range(nw):
            m = max(m, min(n, p[wp + q]))
        s = 0.0
        c = 0
        nz = 0
        slot = pos
        for k in range(m):
            v = sf[base + slot]
            if not np.isnan(v):
                s += v
                c += 1
                nz += v != 0.0
            for q in range(nw):
                if k + 1 == min(n, p[wp + q]):
                    sf[NSERIES * ring + j0 + q] = s
                    si[NIHEAD + j0 + q] = c
                    si[NIHEAD + n_sums + j0 + q] = nz
            slot = slot - 1 if slot > 0 else ring - 1
        j0 += nw
        wp += nw


@njit(cache=True, error_model="numpy", inline="always")
def core_windows(p: np.ndarray, sf: np.ndarray, si: np.ndarray, ow: np.ndarray, pos: int, n: int, ts: int,
                 mid: float) -> None:  # fmt: skip
    """Windowed outputs ``ow[NINSTANT:n_out]`` after this tick was pushed at ring slot ``pos``."""
    ring, n_sums, _, _, _, _ = layout(p)
    nan = np.nan
    o = NINSTANT
    wp = 8  # params index of the current window
    for _ in range(p[1]):
        w = p[wp]
        ow[o] = log_ratio(mid, sf[S_MID * ring + back(pos, w, ring)]) if n > w else nan
        o += 1
        wp += 1
    if pos == 0:  # the ring wrapped: exact sums instead of the running update
        _recompute(p, sf, si, pos, n)
    sums = sf[NSERIES * ring : NSERIES * ring + n_sums]
    cnts = si[NIHEAD : NIHEAD + n_sums]
    nzs = si[NIHEAD + n_sums : NIHEAD + 2 * n_sums]
    j = 0
    for fam in range(5):
        hist = sf[SUM_SERIES[fam] * ring : (SUM_SERIES[fam] + 1) * ring]
        v = hist[pos]
        vok = not np.isnan(v)
        vz = vok and v != 0.0
        for _ in range(p[2 + fam]):
            w = p[wp]
            s = sums[j]
            c = cnts[j]
            z = nzs[j]
            if pos != 0:
                if vok:
                    s += v
                    c += 1
                    z += vz
                if n > w:
                    old = hist[back(pos, w, ring)]
                    if not np.isnan(old):
                        s -= old
                        c -= 1
                        z -= old != 0.0
                sums[j] = s
                cnts[j] = c
                nzs[j] = z
            if n > w and c > 0:
                s = s if z > 0 else 0.0
                ow[o] = np.sqrt(max(s, 0.0)) if fam == 0 else s
            else:
                ow[o] = nan
            o += 1
            j += 1
            wp += 1
    tsr = NIHEAD + 2 * n_sums
    for _ in range(p[7]):
        w = p[wp]
        span = ts - si[tsr + back(pos, w, ring)]
        ow[o] = w * 1e9 / span if n > w and span > 0 else nan
        o += 1
        wp += 1
