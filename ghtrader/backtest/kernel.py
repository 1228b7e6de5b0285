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

One definition: ``fill_tick`` (fills of one tick) and ``set_pending`` (what the next tick executes)
are the whole rule set over a small state (``FS``/``SI`` slots). ``fill_loop`` is the batch loop
calling them per row; the trade runner's simulated account (``ghtrader.trade.broker.SimAccount``)
calls the very same two functions tick by tick, so a replay and a backtest fill identically.
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


# float state slots
F_CASH, F_MARK, F_LAST_BID, F_LAST_ASK, F_RT_CASH0 = 0, 1, 2, 3, 4
NFS = 5
# int state slots
I_POS, I_TODAY, I_PENDING, I_RT_START = 0, 1, 2, 3
NSI = 4
MAX_FILLS = 6  # per tick: (close_today, close, open) for the pending order and for a forced flatten
MAX_RT = 2


def new_state() -> tuple[np.ndarray, np.ndarray]:
    """Fresh (float, int) state: flat, no pending order, nothing marked."""
    fs = np.zeros(NFS, np.float64)
    fs[F_MARK] = fs[F_LAST_BID] = fs[F_LAST_ASK] = np.nan
    return fs, np.zeros(NSI, np.int64)


def new_buffers() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-tick outputs: fills float (px, fee), fills int (side, qty, action, forced), round trips."""
    return np.zeros((MAX_FILLS, 2)), np.zeros((MAX_FILLS, 4), np.int64), np.zeros((MAX_RT, 2))


@numba.njit(cache=True)
def fill_tick(  # noqa: PLR0913, PLR0915
    i: int,
    b: float,
    a: float,
    c: int,
    new_day: bool,
    new_block: bool,
    block_last: bool,
    mult: np.ndarray,
    value_basis: np.ndarray,
    rates: np.ndarray,
    close_today_first: bool,
    fs: np.ndarray,
    si: np.ndarray,
    fill_f: np.ndarray,
    fill_i: np.ndarray,
    rt: np.ndarray,
) -> tuple[int, int]:
    """Execute tick ``i`` (best bid ``b``, ask ``a``, contract code ``c``): the pending order, then a
    forced flatten if ``block_last``; update the mark. Returns (fills, round trips) written to the
    buffers. ``new_day``: first tick of a trading day; ``new_block``: the previous tick ended a block."""
    if new_day:
        si[I_TODAY] = 0
    if new_block:
        si[I_PENDING] = 0
        fs[F_MARK] = np.nan
        fs[F_LAST_BID] = np.nan
        fs[F_LAST_ASK] = np.nan
    if not np.isnan(b):
        fs[F_LAST_BID] = b
    if not np.isnan(a):
        fs[F_LAST_ASK] = a
    nt = 0
    nrt = 0
    pos = si[I_POS]
    today = si[I_TODAY]
    cash = fs[F_CASH]
    for step in range(2):  # 0: the pending order; 1: forced flatten at a block end
        if step == 0:
            want = si[I_PENDING]
            px = a if want > pos else b
            forced = False
        else:
            if not block_last or pos == 0:
                break
            want = 0
            px = fs[F_LAST_BID] if pos > 0 else fs[F_LAST_ASK]
            if np.isnan(px):
                px = fs[F_MARK]
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
                    fill_f[nt, 0] = px
                    fill_f[nt, 1] = fee
                    fill_i[nt, 0] = side
                    fill_i[nt, 1] = q
                    fill_i[nt, 2] = act
                    fill_i[nt, 3] = forced
                    nt += 1
                    cash -= side * px * q * mult[c] + fee
            today -= ct
            pos += side * close_qty
            qty_left -= close_qty
            if pos == 0:
                rt[nrt, 0] = cash - fs[F_RT_CASH0]
                rt[nrt, 1] = i - si[I_RT_START]
                nrt += 1
        if qty_left > 0:
            if pos == 0:
                si[I_RT_START] = i
                fs[F_RT_CASH0] = cash
            fee = _fee(c, ACTION_OPEN, px, qty_left, mult, value_basis, rates)
            fill_f[nt, 0] = px
            fill_f[nt, 1] = fee
            fill_i[nt, 0] = side
            fill_i[nt, 1] = qty_left
            fill_i[nt, 2] = ACTION_OPEN
            fill_i[nt, 3] = forced
            nt += 1
            cash -= side * px * qty_left * mult[c] + fee
            today += qty_left
            pos += side * qty_left
        if np.isnan(fs[F_MARK]):
            fs[F_MARK] = px
    if not (np.isnan(a) or np.isnan(b)):
        fs[F_MARK] = 0.5 * (a + b)
    si[I_POS] = pos
    si[I_TODAY] = today
    fs[F_CASH] = cash
    return nt, nrt


@numba.njit(cache=True)
def set_pending(si: np.ndarray, target: int, block_last: bool, next_block_last: bool) -> None:
    """The order the next tick executes: ``target``, except 0 at and just before a block end (the
    flatten decided at the second-to-last tick fills at the last one)."""
    si[I_PENDING] = 0 if (block_last or next_block_last) else target


@numba.njit(cache=True)
def equity_of(fs: np.ndarray, si: np.ndarray, c: int, mult: np.ndarray) -> float:
    """Net PnL so far: cash plus the position marked at the last mark."""
    pos = si[I_POS]
    return fs[F_CASH] + pos * fs[F_MARK] * mult[c] if pos != 0 else fs[F_CASH]


@numba.njit(cache=True)
def fill_loop(  # noqa: PLR0913
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
    """Run the fill rules over every tick; return per-tick (position, equity) and the fill / round-trip
    arrays. ``rates[c]`` holds (open, close, close_today) of contract code ``c``; ``cap`` bounds the fills.
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
    fs = np.zeros(NFS, np.float64)
    fs[F_MARK] = np.nan
    fs[F_LAST_BID] = np.nan
    fs[F_LAST_ASK] = np.nan
    si = np.zeros(NSI, np.int64)
    fill_f = np.zeros((MAX_FILLS, 2))
    fill_i = np.zeros((MAX_FILLS, 4), np.int64)
    rt = np.zeros((MAX_RT, 2))
    nt = 0
    nrt = 0
    for i in range(n):
        c = contract[i]
        new_day = i > 0 and day[i] != day[i - 1]
        new_block = i == 0 or block_last[i - 1]
        k, r = fill_tick(
            i, bid[i], ask[i], c, new_day, new_block, block_last[i], mult, value_basis, rates,
            close_today_first, fs, si, fill_f, fill_i, rt,
        )  # fmt: skip
        for j in range(k):
            t_idx[nt] = i
            t_px[nt] = fill_f[j, 0]
            t_fee[nt] = fill_f[j, 1]
            t_side[nt] = fill_i[j, 0]
            t_qty[nt] = fill_i[j, 1]
            t_act[nt] = fill_i[j, 2]
            t_forced[nt] = fill_i[j, 3] != 0
            nt += 1
        for j in range(r):
            rt_pnl[nrt] = rt[j, 0]
            rt_hold[nrt] = np.int64(rt[j, 1])
            nrt += 1
        end_now = block_last[i] or i == n - 1
        set_pending(si, target[i], end_now, (not end_now) and block_last[i + 1])
        pos_out[i] = si[I_POS]
        eq_out[i] = equity_of(fs, si, c, mult)
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
