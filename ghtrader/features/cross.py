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

import numpy as np
import pandas as pd
from numba import njit

from ghtrader.features.catalog import CROSS, CROSS_WINDOWS

WINDOWS = CROSS_WINDOWS
NAMES: tuple[str, ...] = tuple(f"x_{name}" for name, _, _ in CROSS)
FORMULAS = {f"x_{name}": formula for name, _, formula in CROSS}
RING = max(WINDOWS) + 1
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


@njit(cache=True)
def cross_aux(ts: int, mid: float, seg: int, sf: np.ndarray, si: np.ndarray) -> None:
    """An aux tick arrived: B takes it; A keeps the newest quote strictly older than B's."""
    if si[I_B + 2] == 1 and si[I_B] < ts:
        sf[F_A] = sf[F_B]
        si[I_A : I_A + 3] = si[I_B : I_B + 3]
    sf[F_B] = mid
    si[I_B] = ts
    si[I_B + 1] = seg
    si[I_B + 2] = 1


@njit(cache=True, error_model="numpy")
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
        si[I_CUR : I_CUR + 3] = si[I_B : I_B + 3]
    elif si[I_A + 2] == 1 and si[I_A] < ts and si[I_A] >= si[I_CUR]:
        sf[F_CUR] = sf[F_A]
        si[I_CUR : I_CUR + 3] = si[I_A : I_A + 3]
    aux = sf[F_CUR] if si[I_CUR + 2] == 1 else np.nan
    n = si[I_N] + 1
    si[I_N] = n
    pos = n % RING
    sf[F_RM + pos] = mid
    sf[F_RA + pos] = aux
    si[I_RS + pos] = si[I_CUR + 1]
    out[0] = np.log(mid / aux)
    out[1] = (aux - mid) / pt
    out[2] = (ts - si[I_CUR]) / 1e9 if si[I_CUR + 2] == 1 else np.nan
    for k, w in enumerate(WINDOWS):
        ra = np.nan
        rd = np.nan
        if n > w:
            old = (n - w) % RING
            if si[I_RS + old] == si[I_CUR + 1]:  # the same aux contract at both ends
                ra = np.log(aux / sf[F_RA + old])
                rd = np.log(mid / sf[F_RM + old]) - ra
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
    ats, amid, aseg = aux
    n, m = len(ts), len(ats)
    all_ts = np.concatenate([np.asarray(ts, np.int64), np.asarray(ats, np.int64)])
    kind = np.concatenate([np.zeros(n, np.int64), np.ones(m, np.int64)])
    order = np.lexsort((kind, all_ts))  # by ts, main (0) before aux (1) at ties
    mids = np.concatenate([np.asarray(mid, np.float64), np.asarray(amid, np.float64)])
    segs = np.concatenate([np.asarray(seg, np.int64), np.asarray(aseg, np.int64)])
    out = np.empty((n, len(NAMES)))
    _run(order, kind, all_ts, mids, segs, np.ascontiguousarray(pt, np.float64), sf, si, out)
    return out


@njit(cache=True)
def _run(order, kind, ts, mids, segs, pt, sf, si, out):  # noqa: ANN001, ANN202, PLR0913
    row = 0
    for e in order:
        if kind[e] == 1:
            cross_aux(ts[e], mids[e], segs[e], sf, si)
        else:
            cross_main(ts[e], mids[e], pt[row], segs[e], sf, si, out[row])
            row += 1
