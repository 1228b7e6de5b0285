"""Booking a tier-2 fill (numba): fill-table rows, position, lots opened today, cash and SHFE fees.

A fill that reduces the position is split into ``close_today`` / ``close`` parts (lots opened today
first when ``ctf``), the rest opens; each part pays its fee rate from the contract spec (per lot, or a
share of notional for value-based fees). The fill table has one row per part, columns ``F_*``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

F_I, F_T, F_SIDE, F_QTY, F_PX, F_FEE, F_ACT, F_MAKER, F_WAIT, F_FORCED, F_KNOWN, F_ORDER = range(12)
N_COLS = 12


@njit(cache=True, inline="always")
def _rec(fills, nf, i, t, side, q, px, fee, act, maker, wait, forced, known, oid):
    fills[nf, F_I] = i
    fills[nf, F_T] = t
    fills[nf, F_SIDE] = side
    fills[nf, F_QTY] = q
    fills[nf, F_PX] = px
    fills[nf, F_FEE] = fee
    fills[nf, F_ACT] = act
    fills[nf, F_MAKER] = maker
    fills[nf, F_WAIT] = wait
    fills[nf, F_FORCED] = forced
    fills[nf, F_KNOWN] = known
    fills[nf, F_ORDER] = oid
    return nf + 1


@njit(cache=True, inline="always")
def book_fill(
    fills, nf, st, i, t, side, qty, px, maker, wait, forced, known, oid, c, mult, basis, rates, ctf
):
    """Book a fill: split into close_today / close / open parts, update position, today lots, cash."""
    pos = st[0]
    left = qty
    value = px * st[3] * mult[c]  # st[3] = price tick of the current contract
    if pos * side < 0:
        close_qty = min(left, abs(pos))
        older = abs(pos) - st[1]
        ct = min(close_qty, st[1]) if ctf else max(0.0, close_qty - older)
        for act in (2, 1):
            q = ct if act == 2 else close_qty - ct
            if q > 0:
                fee = rates[c, act] * q * (value if basis[c] else 1.0)
                nf = _rec(fills, nf, i, t, side, q, px, fee, act, maker, wait, forced, known, oid)
                st[2] -= side * value * q + fee
        st[1] -= ct
        pos += side * close_qty
        left -= close_qty
    if left > 0:
        fee = rates[c, 0] * left * (value if basis[c] else 1.0)
        nf = _rec(fills, nf, i, t, side, left, px, fee, 0, maker, wait, forced, known, oid)
        st[2] -= side * value * left + fee
        st[1] += left
        pos += side * left
    st[0] = pos
    return nf


@njit(cache=True)
def grow(fills: np.ndarray, nf: int) -> np.ndarray:
    """A fill table twice as long holding the first ``nf`` rows of ``fills``."""
    out = np.zeros((2 * fills.shape[0], N_COLS))
    out[:nf] = fills[:nf]
    return out
