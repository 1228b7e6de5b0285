"""Cross-contract factors: the main series against another stream (next contract, or au vs ag).

One jitted definition (``cross_main`` / ``cross_aux``) serves batch (``cross_features``: both streams
merged by time) and online (``CrossEngine.update_main`` / ``update_aux``, fed as ticks arrive).

Traps: alignment is causal *as-of strictly before*: a main tick at ``t`` sees the latest aux quote with
``ts < t`` (a same-timestamp aux snapshot may arrive after the main one live, so it is never used; two
slots keep the right quote whatever the arrival order within a timestamp, but online the main stream
must not lag the aux stream by more than that). A change of the main segment
(roll) or of the aux stream's segment (its contract changed) empties the windows: no window mixes
contracts. The named sets ``full_x`` / ``full_xp`` store them (``ghtrader.features.aux`` reads the aux
streams; ``engine`` keeps this block's state after the kernel's in ``FactorState``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from ghtrader.features.catalog import CROSS, CROSS_WINDOWS
from ghtrader.features.kernels_math import log_ratio

WINDOWS = CROSS_WINDOWS
NAMES: tuple[str, ...] = tuple(f"x_{name}" for name, _, _ in CROSS)
FORMULAS = {f"x_{name}": formula for name, _, formula in CROSS}
RING = max(WINDOWS) + 1
# the batch loop compiles without numba's reference counting: it allocates nothing, and each per-row
# view would otherwise cost an atomic increment / decrement pair (see ``kernels``)
_NO_NRT: dict[str, Any] = {"cache": True, "error_model": "numpy", "_nrt": False}
# float state: mid of slots A, B and of the applied quote, ring of main mids, ring of aux mids
F_A, F_B, F_CUR = 0, 1, 2
F_RM = 3
F_RA = F_RM + RING
NF = F_RA + RING
# int state (epoch ns do not fit a float): n, main seg, init, then (ts, seg, present) of A, B, applied,
# then the ring of the aux segment of each sample
I_N, I_SEG, I_INIT = 0, 1, 2
I_A, I_B, I_CUR = 3, 6, 9
I_RS = 12
NI = I_RS + RING


@njit(cache=True, inline="always")
def _copy3(si: np.ndarray, dst: int, src: int) -> None:
    """``si[dst:dst + 3] = si[src:src + 3]`` (a quote's ts, segment, present) without a temporary."""
    for k in range(3):
        si[dst + k] = si[src + k]


@njit(cache=True, inline="always")
def cross_aux(ts: int, mid: float, seg: int, sf: np.ndarray, si: np.ndarray) -> None:
    """An aux tick arrived: B takes it; A keeps the newest quote strictly older than B's."""
    if si[I_B + 2] == 1 and si[I_B] < ts:
        sf[F_A] = sf[F_B]
        _copy3(si, I_A, I_B)
    sf[F_B] = mid
    si[I_B] = ts
    si[I_B + 1] = seg
    si[I_B + 2] = 1


@njit(cache=True, error_model="numpy", inline="always")
def cross_main(
    ts: int, mid: float, pt: float, seg: int, sf: np.ndarray, si: np.ndarray, out: np.ndarray
) -> None:
    """A main tick: apply the latest aux quote with ts < this tick's, then write every cross factor."""
    if si[I_INIT] == 0 or si[I_SEG] != seg:
        si[I_N] = 0
        si[I_SEG] = seg
        si[I_INIT] = 1
        sf[F_RM:NF] = np.nan
    if si[I_B + 2] == 1 and si[I_B] < ts:
        sf[F_CUR] = sf[F_B]
        _copy3(si, I_CUR, I_B)
    elif si[I_A + 2] == 1 and si[I_A] < ts and si[I_A] >= si[I_CUR]:
        sf[F_CUR] = sf[F_A]
        _copy3(si, I_CUR, I_A)
    aux = sf[F_CUR] if si[I_CUR + 2] == 1 else np.nan
    n = si[I_N] + 1
    si[I_N] = n
    pos = n % RING
    sf[F_RM + pos] = mid
    sf[F_RA + pos] = aux
    si[I_RS + pos] = si[I_CUR + 1]
    out[0] = log_ratio(mid, aux)
    out[1] = (aux - mid) / pt
    out[2] = (ts - si[I_CUR]) / 1e9 if si[I_CUR + 2] == 1 else np.nan
    for k, w in enumerate(WINDOWS):
        ra = np.nan
        rd = np.nan
        if n > w:
            old = (n - w) % RING
            if si[I_RS + old] == si[I_CUR + 1]:  # the same aux contract at both ends
                ra = log_ratio(aux, sf[F_RA + old])
                rd = log_ratio(mid, sf[F_RM + old]) - ra
        out[3 + k] = ra
        out[3 + len(WINDOWS) + k] = rd


def fresh_state() -> tuple[np.ndarray, np.ndarray]:
    sf = np.full(NF, np.nan)
    return sf, np.zeros(NI, dtype=np.int64)


class CrossEngine:
    """Online cross factors: feed aux ticks and main ticks as they arrive."""

    def __init__(self, price_tick: float) -> None:
        self.price_tick = price_tick
        self.sf, self.si = fresh_state()
        self._out = np.empty(len(NAMES))

    def update_aux(self, ts: int, mid: float, seg: int = 0) -> None:
        cross_aux(int(ts), float(mid), int(seg), self.sf, self.si)

    def update_main(self, ts: int, mid: float, seg: int = 0) -> np.ndarray:
        cross_main(int(ts), float(mid), self.price_tick, int(seg), self.sf, self.si, self._out)
        return self._out.copy()


def _mid(df: pd.DataFrame) -> np.ndarray:
    return 0.5 * (df["bid_price1"].to_numpy(float) + df["ask_price1"].to_numpy(float))


def _seg(df: pd.DataFrame) -> np.ndarray:
    return df["segment_id"].to_numpy(np.int64) if "segment_id" in df else np.zeros(len(df), np.int64)


def cross_features(main: pd.DataFrame, aux: pd.DataFrame, *, price_tick: float) -> pd.DataFrame:
    """Batch: both frames merged by time (aux after main at equal ts, as the online rule) -> one row per
    main tick. ``segment_id`` of each frame (0 when absent) marks its contract changes."""
    sf, si = fresh_state()
    out = cross_matrix(
        main["datetime_ns"].to_numpy(np.int64),
        _mid(main),
        np.full(len(main), float(price_tick)),
        _seg(main),
        (aux["datetime_ns"].to_numpy(np.int64), _mid(aux), _seg(aux)),
        sf,
        si,
    )
    return pd.DataFrame(out, columns=list(NAMES))


def cross_matrix(
    ts: np.ndarray,
    mid: np.ndarray,
    pt: np.ndarray,
    seg: np.ndarray,
    aux: tuple[np.ndarray, np.ndarray, np.ndarray],
    sf: np.ndarray,
    si: np.ndarray,
) -> np.ndarray:
    """(n_main, len(NAMES)) cross factors of main ticks (``ts``, ``mid``, per-row ``pt``, ``seg``) against
    the aux ticks ``(ts, mid, seg)``, merged by time (main first at equal ts), continuing state ``sf``/``si``."""
    ats, amid, aseg = (
        np.asarray(aux[0], np.int64),
        np.asarray(aux[1], np.float64),
        np.asarray(aux[2], np.int64),
    )
    ts, mid, seg = np.asarray(ts, np.int64), np.asarray(mid, np.float64), np.asarray(seg, np.int64)
    if not (_sorted(ts) and _sorted(ats)):  # both streams come time-sorted; anything else is sorted here
        o, q = np.argsort(ts, kind="stable"), np.argsort(ats, kind="stable")
        out = np.empty((len(ts), len(NAMES)))
        out[o] = cross_matrix(ts[o], mid[o], np.asarray(pt)[o], seg[o], (ats[q], amid[q], aseg[q]), sf, si)
        return out
    # aux tick j goes after the main ticks stamped <= its time (main first at equal ts)
    after = np.searchsorted(ts, ats, side="right")
    out = np.empty((len(ts), len(NAMES)))
    _run(ts, mid, np.ascontiguousarray(pt, np.float64), seg, after, ats, amid, aseg, sf, si, out)
    return out


def _sorted(a: np.ndarray) -> bool:
    return bool(len(a) < 2 or (a[1:] >= a[:-1]).all())


@njit(**_NO_NRT)
def _run(ts, mid, pt, seg, after, ats, amid, aseg, sf, si, out):  # noqa: ANN001, ANN202, PLR0913
    """Both streams in time order: aux tick ``j`` before main tick ``after[j]`` (after the last one
    when ``after[j] == n``)."""
    j = 0
    m = ats.shape[0]
    for i in range(ts.shape[0]):
        while j < m and after[j] <= i:
            cross_aux(ats[j], amid[j], aseg[j], sf, si)
            j += 1
        cross_main(ts[i], mid[i], pt[i], seg[i], sf, si, out[i])
    while j < m:
        cross_aux(ats[j], amid[j], aseg[j], sf, si)
        j += 1
