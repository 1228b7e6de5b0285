"""Lake snapshots -> hftbacktest's event format (``hftbacktest.types.event_dtype``), one block each.

Per snapshot, with ``exch_ts`` = its stamp and ``local_ts`` = stamp + feed latency:

1. its trades (``prints.trade_prints`` against the previous snapshot) - before any depth change
   stamped at the same time, as the exchange did them first;
2. levels that vanished *inside* the new visible range (or better than the new best) -> qty 0;
   levels that only fell beyond the 5 visible ones are left alone (diffing must not clear what a
   snapshot cannot see), and all removals come before additions so no transient crossed book
   fills resting orders that the real book never crossed;
3. new or changed levels.

The first snapshot of a block is a full depth load without trades (its volume is the call
auction's). Prices are in currency (``px`` = ticks x tick size), quantities in one-sided lots.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ghtrader.backtest.tier2.prints import trade_prints
from ghtrader.backtest.tier2.snapshots import Snapshots

EXCH_EVENT, LOCAL_EVENT, BUY_EVENT, SELL_EVENT = 1 << 31, 1 << 30, 1 << 29, 1 << 28
DEPTH_EVENT, TRADE_EVENT = 1, 2
EVENT_DTYPE = np.dtype(
    [
        ("ev", "u8"),
        ("exch_ts", "i8"),
        ("local_ts", "i8"),
        ("px", "f8"),
        ("qty", "f8"),
        ("order_id", "u8"),
        ("ival", "i8"),
        ("fval", "f8"),
    ],
    align=True,
)


@njit(cache=True)
def _events(ts, bid_px, bid_qty, ask_px, ask_qty, trade_qty, last_px, vwap_px, lo, hi, md_ns, out_ev, out_t,
            out_px, out_qty):  # fmt: skip
    pr_px = np.zeros(5, np.int64)
    pr_qty = np.zeros(5)
    m = 0
    for i in range(lo, hi):
        t = ts[i]
        if i > lo:
            j = i - 1
            s, k = trade_prints(bid_px[j], bid_qty[j], ask_px[j], ask_qty[j], last_px[i], vwap_px[i],
                                trade_qty[i], pr_px, pr_qty)  # fmt: skip
            for x in range(k):
                out_ev[m] = TRADE_EVENT | (BUY_EVENT if s > 0 else SELL_EVENT)
                out_t[m] = t
                out_px[m] = pr_px[x]
                out_qty[m] = pr_qty[x]
                m += 1
            for side in range(2):  # removals first
                opx = bid_px[j] if side == 0 else ask_px[j]
                npx = bid_px[i] if side == 0 else ask_px[i]
                sign = 1 if side == 0 else -1
                deepest = -1
                for lv in range(5):
                    if npx[lv] >= 0:
                        deepest = npx[lv]
                for lv in range(5):
                    p = opx[lv]
                    if p < 0:
                        continue
                    present = False
                    for w in range(5):
                        if npx[w] == p:
                            present = True
                    if not present and (deepest < 0 or sign * (p - deepest) >= 0):
                        out_ev[m] = DEPTH_EVENT | (BUY_EVENT if side == 0 else SELL_EVENT)
                        out_t[m] = t
                        out_px[m] = p
                        out_qty[m] = 0.0
                        m += 1
        for side in range(2):
            npx = bid_px[i] if side == 0 else ask_px[i]
            nq = bid_qty[i] if side == 0 else ask_qty[i]
            for lv in range(5):
                p = npx[lv]
                if p < 0:
                    continue
                changed = True
                if i > lo:
                    opx = bid_px[i - 1] if side == 0 else ask_px[i - 1]
                    oq = bid_qty[i - 1] if side == 0 else ask_qty[i - 1]
                    for w in range(5):
                        if opx[w] == p and oq[w] == nq[lv]:
                            changed = False
                if changed:
                    out_ev[m] = DEPTH_EVENT | (BUY_EVENT if side == 0 else SELL_EVENT)
                    out_t[m] = t
                    out_px[m] = p
                    out_qty[m] = nq[lv]
                    m += 1
    return m


def block_ranges(snap: Snapshots) -> list[tuple[int, int]]:
    """[lo, hi) row ranges of the blocks (each becomes its own hftbacktest run)."""
    ends = np.flatnonzero(snap.block_last) + 1
    starts = np.r_[0, ends[:-1]]
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def to_hftbacktest(snap: Snapshots, lo: int, hi: int, md_latency_ns: int) -> np.ndarray:
    """Events of snapshots ``[lo, hi)`` (one block; prices in currency of its contract)."""
    cap = (hi - lo) * 26 + 8
    ev = np.zeros(cap, np.uint64)
    t = np.zeros(cap, np.int64)
    px = np.zeros(cap, np.int64)
    qty = np.zeros(cap)
    m = _events(snap.ts, snap.bid_px, snap.bid_qty, snap.ask_px, snap.ask_qty, snap.trade_qty, snap.last_px,
                snap.vwap_px, lo, hi, md_latency_ns, ev, t, px, qty)  # fmt: skip
    out = np.zeros(m, EVENT_DTYPE)
    out["ev"] = ev[:m] | np.uint64(EXCH_EVENT | LOCAL_EVENT)
    out["exch_ts"] = t[:m]
    out["local_ts"] = t[:m] + md_latency_ns
    out["px"] = px[:m] * snap.tick[snap.contract[lo]]
    out["qty"] = qty[:m]
    return out
