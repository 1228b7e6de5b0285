"""The tier-1 fill loop (numba): target positions in, fills, positions and equity out.

Rules (SPEC §5, TqSim-like), one pass over the ticks in time order:

* A target decided at tick ``t`` is executed at tick ``t+1`` at that snapshot's opposite best (buy at
  ``ask_price1``, sell at ``bid_price1``). Never at tick ``t`` itself: the decision was made from
  ``t``'s book, so filling at ``t``'s prices would be look-ahead.
* Full quantity or nothing (no partial fills). If the needed side is missing (NaN) the order waits
  and is retried at the next tick, towards the *latest* target.
* Orders never cross a block boundary (a block is a segment, and also a trading day when flattening
  daily): the decision at the second-to-last tick of a block is forced to 0 so the flatten fills at
  the last tick; if that side is missing there, the position is closed at the last seen opposite
  best of the block (a stale price, flagged ``forced``). Nothing is carried into the next block.
* Closing fills consume lots opened today first (TqSdk ``TargetPosTask`` default "今昨,开") and pay
  ``close_today``; lots from earlier trading days pay ``close``.
* Mark-to-market at mid; while one side is missing the last mark of the block is kept (or the
  fill price if no mid was seen yet).
"""

from __future__ import annotations

import numba
import numpy as np

ACTION_OPEN, ACTION_CLOSE, ACTION_CLOSE_TODAY = 0, 1, 2
ACTIONS = ("open", "close", "close_today")


@numba.njit(cache=True)
def _fee(
    c: int, action: int, px: float, qty: int, mult: np.ndarray, value_basis: np.ndarray, rates: np.ndarray
) -> float:
    base = px * mult[c] if value_basis[c] else 1.0
    return rates[c, action] * qty * base


@numba.njit(cache=True)
def fill_loop(  # noqa: PLR0913, PLR0915
    bid: np.ndarray,
    ask: np.ndarray,
    day: np.ndarray,
    contract: np.ndarray,
    block_last: np.ndarray,
    target: np.ndarray,
    mult: np.ndarray,
    value_basis: np.ndarray,
    rates: np.ndarray,
    close_today_first: bool,
    cap: int,
) -> tuple:
    """Run the fill rules; return per-tick (position, equity) and the fill / round-trip arrays.

    ``rates[c]`` holds (open, close, close_today) of contract code ``c``; ``cap`` bounds the fills.
    """
    n = bid.shape[0]
    pos_out = np.zeros(n, np.int64)
    eq_out = np.zeros(n, np.float64)
    t_idx = np.zeros(cap, np.int64)
    t_side = np.zeros(cap, np.int64)
    t_qty = np.zeros(cap, np.int64)
    t_px = np.zeros(cap, np.float64)
    t_fee = np.zeros(cap, np.float64)
    t_act = np.zeros(cap, np.int64)
    t_forced = np.zeros(cap, np.bool_)
    rt_pnl = np.zeros(cap, np.float64)
    rt_hold = np.zeros(cap, np.int64)
    nt = 0
    nrt = 0
    pos = 0
    today = 0  # lots of |pos| opened on the current trading day
    cash = 0.0
    pending = 0
    mark = np.nan
    last_bid = np.nan
    last_ask = np.nan
    rt_start = 0
    rt_cash0 = 0.0
    for i in range(n):
        c = contract[i]
        if i > 0 and day[i] != day[i - 1]:
            today = 0
        if i == 0 or block_last[i - 1]:
            pending = 0
            mark = np.nan
            last_bid = np.nan
            last_ask = np.nan
        b = bid[i]
        a = ask[i]
        if not np.isnan(b):
            last_bid = b
        if not np.isnan(a):
            last_ask = a
        for step in range(2):  # 0: the pending order; 1: forced flatten at a block end
            if step == 0:
                want = pending
                px = a if want > pos else b
                forced = False
            else:
                if not block_last[i] or pos == 0:
                    break
                want = 0
                px = last_bid if pos > 0 else last_ask
                if np.isnan(px):
                    px = mark
                forced = True
            if want == pos or np.isnan(px):
                continue
            side = 1 if want > pos else -1
            qty_left = abs(want - pos)
            if pos * side < 0:  # closing part
                close_qty = min(qty_left, abs(pos))
                older = abs(pos) - today
                ct = min(close_qty, today) if close_today_first else max(0, close_qty - older)
                for act, q in ((ACTION_CLOSE_TODAY, ct), (ACTION_CLOSE, close_qty - ct)):
                    if q > 0:
                        fee = _fee(c, act, px, q, mult, value_basis, rates)
                        t_idx[nt] = i
                        t_side[nt] = side
                        t_qty[nt] = q
                        t_px[nt] = px
                        t_fee[nt] = fee
                        t_act[nt] = act
                        t_forced[nt] = forced
                        nt += 1
                        cash -= side * px * q * mult[c] + fee
                today -= ct
                pos += side * close_qty
                qty_left -= close_qty
                if pos == 0:
                    rt_pnl[nrt] = cash - rt_cash0
                    rt_hold[nrt] = i - rt_start
                    nrt += 1
            if qty_left > 0:
                if pos == 0:
                    rt_start = i
                    rt_cash0 = cash
                fee = _fee(c, ACTION_OPEN, px, qty_left, mult, value_basis, rates)
                t_idx[nt] = i
                t_side[nt] = side
                t_qty[nt] = qty_left
                t_px[nt] = px
                t_fee[nt] = fee
                t_act[nt] = ACTION_OPEN
                t_forced[nt] = forced
                nt += 1
                cash -= side * px * qty_left * mult[c] + fee
                today += qty_left
                pos += side * qty_left
            if np.isnan(mark):
                mark = px
        if block_last[i] or i == n - 1:
            pending = 0
        elif block_last[i + 1]:
            pending = 0  # flatten order: fills at the block's last tick
        else:
            pending = target[i]
        if not (np.isnan(a) or np.isnan(b)):
            mark = 0.5 * (a + b)
        pos_out[i] = pos
        eq_out[i] = cash + pos * mark * mult[c] if pos != 0 else cash
    return (
        pos_out,
        eq_out,
        t_idx[:nt],
        t_side[:nt],
        t_qty[:nt],
        t_px[:nt],
        t_fee[:nt],
        t_act[:nt],
        t_forced[:nt],
        rt_pnl[:nrt],
        rt_hold[:nrt],
    )
