"""Windowed outputs of the extended block (``kernels_ext``): the shared max/min deques of mid and the
families computed from one window's sums. Split out of ``kernels_ext`` to keep modules small.

A deque is head and tail counters (absolute positions) in ``si`` and ``ring`` slots (``position & mask``,
the ring a power of two) holding increasing tick indices (``si``) with their strictly monotonic mids
(``sf``). Each window keeps a cursor (absolute position) at its first entry inside the window; the
head is the smallest cursor.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ghtrader.features.kernels_xinst import (
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
    Q_R,
    Q_R2,
    Q_R3,
    Q_SPR,
    Q_SV,
    Q_TRD,
    Q_UP,
)

N_NEW = 14  # new families per window (tick and time)
N_TIMECORE = 7  # core families repeated over time windows


@njit(cache=True, inline="always")
def _deque_push(hc: np.ndarray, di: np.ndarray, dv: np.ndarray, cur: np.ndarray, mask: int, idx: int, v: float,
                is_max: bool) -> None:  # fmt: skip
    """Append tick ``idx`` (mid ``v``, not NaN) after popping the entries it dominates; pull back the
    cursors that pointed at popped entries (the new one is inside every window).

    ``hc``: head and tail counters; ``di`` / ``dv``: the slots' tick indices and mids; ``cur``: cursors.
    """
    head = hc[0]
    tail = hc[1]
    while tail > head:
        lv = dv[(tail - 1) & mask]
        if (lv <= v) if is_max else (lv >= v):
            tail -= 1
        else:
            break
    di[tail & mask] = idx
    dv[tail & mask] = v
    hc[1] = tail + 1
    for k in range(cur.shape[0]):
        if cur[k] > tail:
            cur[k] = tail


@njit(cache=True, inline="always")
def _deque_front(di: np.ndarray, dv: np.ndarray, tail: int, cur: np.ndarray, k: int, mask: int,
                 start: int) -> tuple[float, int]:  # fmt: skip
    """(extreme mid over ticks >= ``start``, NaN when none; the cursor), advancing window ``k``'s cursor."""
    c = cur[k]
    while c < tail and di[c & mask] < start:
        c += 1
    cur[k] = c
    return (dv[c & mask] if c < tail else np.nan), c


@njit(cache=True, error_model="numpy", inline="always")
def _new_families(S: np.ndarray, cnt: float, mid: float, pt: float, rng: float, ow: np.ndarray) -> None:
    """The 14 new windowed families from one window's sums ``S`` into ``ow[:14]``."""
    nan = np.nan
    n = S[Q_CR]
    s_r = S[Q_R]
    s_r2 = S[Q_R2]
    s_r3 = S[Q_R3]
    vol = S[Q_DVOL]
    damt = S[Q_DAMT]
    kc = S[Q_KC]
    ksv = S[Q_KSV]
    ksv2 = S[Q_KSV2]
    kdm = S[Q_KDM]
    kdmsv = S[Q_KDMSV]
    ar = S[Q_AR]
    doi = S[Q_DOI]
    c_imb = S[Q_CIMB]
    c_imb5 = S[Q_CIMB5]
    c_spr = S[Q_CSPR]
    c_mic = S[Q_CMIC]
    up = S[Q_UP]
    dn = S[Q_DN]
    s_imb = S[Q_IMB]
    s_imb5 = S[Q_IMB5]
    s_spr = S[Q_SPR]
    s_mic = S[Q_MIC]
    mlofi = S[Q_MLOFI]
    dois = S[Q_DOIS]
    trd = S[Q_TRD]
    sk_ = nan
    if n >= 3.0:
        m1 = s_r / n
        m2 = s_r2 / n
        m3 = s_r3 / n
        var = m2 - m1 * m1
        sk_ = (m3 - 3.0 * m1 * m2 + 2.0 * m1**3) / (var * np.sqrt(var)) if var > 1e-14 else 0.0
    den = kc * ksv2 - ksv * ksv
    ow[0] = rng
    ow[1] = sk_
    ow[2] = mlofi
    ow[3] = (damt / vol - mid) / pt if vol > 0.0 else nan
    ow[4] = (kc * kdmsv - kdm * ksv) / den if den > 0.0 else nan
    ow[5] = max(ar, 0.0) / vol if vol > 0.0 else nan
    ow[6] = doi / vol if vol > 0.0 else nan
    ow[7] = dois
    ow[8] = s_imb / c_imb if c_imb > 0.0 else nan
    ow[9] = s_imb5 / c_imb5 if c_imb5 > 0.0 else nan
    ow[10] = s_spr / c_spr if c_spr > 0.0 else nan
    ow[11] = s_mic / c_mic if c_mic > 0.0 else nan
    ow[12] = (up - dn) / max(up + dn, 1.0)
    ow[13] = trd / cnt if cnt > 0.0 else nan


@njit(cache=True, error_model="numpy", inline="always")
def _window_out(S: np.ndarray, is_time: bool, ok: bool, cnt: float, mid: float, pt: float, rng: float,
                ret: float, w_ns: int, ow: np.ndarray) -> None:  # fmt: skip
    """One window's outputs ``ow`` (time windows first repeat the core families) from its sums ``S``."""
    if not ok:
        for j in range(ow.shape[0]):
            ow[j] = np.nan
        return
    if is_time:  # core families over the time window
        ow[0] = ret
        ow[1] = np.sqrt(max(S[Q_R2], 0.0))
        ow[2] = S[Q_OFI]
        ow[3] = S[Q_DVOL]
        ow[4] = S[Q_SV]
        ow[5] = S[Q_DOI]
        ow[6] = cnt * 1e9 / w_ns
        _new_families(S, cnt, mid, pt, rng, ow[N_TIMECORE:])
    else:
        _new_families(S, cnt, mid, pt, rng, ow)
