"""Split one interval's traded volume into trade prints against the pre-trade book.

Shared by the tier-2 kernel and the hftbacktest converter, so both engines see the same trades.
The aggressor side comes from the last price against the pre-trade quote (at/above the ask: buyer;
at/below the bid: seller; inside: VWAP against the mid). The volume then walks the aggressor's
opposite side from its best: full visible levels up to the last price, the remainder at it.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def trade_prints(
    bid_px: np.ndarray,
    bid_qty: np.ndarray,
    ask_px: np.ndarray,
    ask_qty: np.ndarray,
    last: int,
    vwap: float,
    qty: float,
    out_px: np.ndarray,
    out_qty: np.ndarray,
) -> tuple[int, int]:
    """Fill ``out_px`` / ``out_qty`` (length >= 5); return (aggressor side +1/-1, number of prints)."""
    if qty <= 0:
        return 1, 0
    buy = True
    if last >= 0 and ask_px[0] >= 0 and last >= ask_px[0]:
        buy = True
    elif last >= 0 and bid_px[0] >= 0 and last <= bid_px[0]:
        buy = False
    elif not np.isnan(vwap) and bid_px[0] >= 0 and ask_px[0] >= 0:
        buy = vwap >= 0.5 * (bid_px[0] + ask_px[0])
    s = 1 if buy else -1
    lp = ask_px if buy else bid_px
    lq = ask_qty if buy else bid_qty
    end = last if last >= 0 else lp[0]
    left = qty
    k = 0
    for lv in range(5):
        if left <= 0:
            break
        p = lp[lv]
        if p < 0 or s * (p - end) > 0:
            p = end
        q = left if p == end or lv == 4 else min(lq[lv], left)
        if q > 0:
            out_px[k] = p
            out_qty[k] = q
            k += 1
        left -= q
        if p == end:
            break
    return s, k
