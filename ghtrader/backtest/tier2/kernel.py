"""The tier-2 event loop (numba): snapshots in, orders through latency and queues, fills out.

Per snapshot ``i`` (exchange time ``ts[i]``), in this order:

1. **Requests reach the exchange** (new orders, cancels) whose arrival time is ``<= ts[i]``; they
   meet the book as it was *before* snapshot ``i`` (snapshot ``i-1``). A marketable order takes the
   visible opposite levels up to its limit (partial across levels; liquidity taken is remembered
   until the next snapshot); FAK cancels the rest, FOK needs all of it visible or does nothing,
   LIMIT (good for the day) rests the rest with an empty queue ahead (it is a new best price).
   A passive order joins the back of its level: ``front`` = the level's visible size.
2. **Trades** of the interval, before any depth change stamped at the same time (trap): the
   one-sided volume walks the pre-trade book from its best to the last price (aggressor side from
   last / VWAP against the pre-trade quote). A trade through our price fills us; at our price it
   advances our queue.
3. **Depth changes** at our price (queue model, ``queue.py``). A level beyond the visible five is
   *unknown*, not empty (trap: diffing snapshots must not clear what it cannot see). If the new
   book trades through our price (best ask <= our bid), we are filled.
4. At a block's last snapshot every order is cancelled and the position is closed at the opposite
   best (forced taker fill), like tier-1.
5. The **strategy** sees snapshot ``i`` at ``ts[i] + md_lat[i]`` and knows only the fills whose
   responses arrived by then; its orders reach the exchange ``entry_lat[i]`` later.

Fees per fill by contract spec; closes use lots opened today first (``close_today``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ghtrader.backtest.tier2.account import F_KNOWN, F_QTY, F_SIDE, N_COLS, grow
from ghtrader.backtest.tier2.account import book_fill as _fill
from ghtrader.backtest.tier2.prints import trade_prints
from ghtrader.backtest.tier2.queue import filled_qty, on_depth

LIMIT, FAK, FOK = 0, 1, 2
MODE_TARGET, MODE_MM = 0, 1
FREE, FLIGHT, LIVE, DONE = 0, 1, 2, 3
MAXO = 64
# most fill rows one snapshot can add: every order slot filling on 5 levels on arrival, on 5 prints
# and on the book, each fill split into up to 3 parts (close_today / close / open), plus the flatten
HEADROOM = MAXO * (5 + 5 + 1) * 3 + 3
INF = np.int64(2**62)


@njit(cache=True)
def run_kernel(  # noqa: PLR0912, PLR0913, PLR0915
    ts, bid_px, bid_qty, ask_px, ask_qty, trade_qty, last_px, vwap_px, day, contract, block_last,
    tick, mult, basis, rates, mode, target, size, max_pos, order_type, offset, passive, requote,
    md_lat, entry_lat, resp_lat, model, model_n, partial, ctf, cap,
):  # fmt: skip
    """Replay; return (position, equity) per snapshot, the fill table (rows x 12, ``account.F_*``) and
    order counts. ``cap``: initial fill-table rows (it doubles whenever it runs short)."""
    n = ts.shape[0]
    pos_out = np.zeros(n)
    eq_out = np.zeros(n)
    fills = np.zeros((max(cap, 2 * HEADROOM), N_COLS))
    nf = 0
    st = np.zeros(4)  # position, lots opened today, cash, price tick
    o_side = np.zeros(MAXO, np.int64)
    o_px = np.zeros(MAXO, np.int64)
    o_leaves = np.zeros(MAXO)
    o_front = np.zeros(MAXO)
    o_cum = np.zeros(MAXO)
    o_lvl = np.zeros(MAXO)
    o_state = np.zeros(MAXO, np.int64)
    o_tif = np.zeros(MAXO, np.int64)
    o_arr = np.zeros(MAXO, np.int64)
    o_cxl = np.full(MAXO, INF)
    o_done = np.zeros(MAXO, np.int64)
    o_rest = np.zeros(MAXO, np.int64)
    o_id = np.zeros(MAXO, np.int64)
    pr_px = np.zeros(5, np.int64)
    pr_qty = np.zeros(5)
    taken_b = np.zeros(5)
    taken_a = np.zeros(5)
    counts = np.zeros(4, np.int64)  # orders sent, lots sent, cancels sent, snapshots replayed
    serial = 0
    top = 0  # slots >= top are free: loops stop there
    known_pos = 0.0
    kf = 0
    mark = np.nan
    for i in range(n):
        c = contract[i]
        st[3] = tick[c]
        if i > 0 and day[i] != day[i - 1]:
            st[1] = 0.0
        start = i == 0 or block_last[i - 1]
        if start:
            known_pos = st[0]
            kf = nf
            mark = np.nan
        # 1. requests reaching the exchange before this snapshot meet the previous book
        for k in range(top):
            if o_state[k] == LIVE and o_cxl[k] <= ts[i]:
                o_state[k] = DONE
                o_done[k] = o_cxl[k]
            if o_state[k] != FLIGHT or o_arr[k] > ts[i]:
                continue
            if start or o_cxl[k] <= o_arr[k]:
                o_state[k] = DONE
                o_done[k] = o_arr[k]
                continue
            j = i - 1
            s = o_side[k]
            opp_px = ask_px[j] if s > 0 else bid_px[j]
            opp_q = ask_qty[j] if s > 0 else bid_qty[j]
            taken = taken_a if s > 0 else taken_b
            avail = 0.0
            for lv in range(5):
                if opp_px[lv] >= 0 and s * (o_px[k] - opp_px[lv]) >= 0:
                    avail += max(opp_q[lv] - taken[lv], 0.0)
            if o_tif[k] == FOK and avail < o_leaves[k]:
                o_state[k] = DONE
                o_done[k] = o_arr[k]
                continue
            for lv in range(5):
                if o_leaves[k] <= 0 or opp_px[lv] < 0 or s * (o_px[k] - opp_px[lv]) < 0:
                    break
                q = min(o_leaves[k], max(opp_q[lv] - taken[lv], 0.0))
                if q > 0:
                    taken[lv] += q
                    o_leaves[k] -= q
                    nf = _fill(fills, nf, st, i, o_arr[k], s, q, float(opp_px[lv]), 0, -1, 0,
                               o_arr[k] + resp_lat[i], o_id[k], c, mult, basis, rates, ctf)  # fmt: skip
            if o_leaves[k] <= 0 or o_tif[k] != LIMIT:
                o_state[k] = DONE
                o_done[k] = o_arr[k]
                continue
            own_px = bid_px[j] if s > 0 else ask_px[j]
            own_q = bid_qty[j] if s > 0 else ask_qty[j]
            front = 0.0
            for lv in range(5):
                if own_px[lv] == o_px[k]:
                    front = own_q[lv]
            o_front[k] = front
            o_lvl[k] = front
            o_cum[k] = 0.0
            o_state[k] = LIVE
            o_rest[k] = o_arr[k]
        for lv in range(5):
            taken_a[lv] = 0.0
            taken_b[lv] = 0.0
        # 2. trades of the interval, walking the pre-trade book
        n_pr = 0
        s = 1
        if not start and trade_qty[i] > 0:
            j = i - 1
            s, n_pr = trade_prints(bid_px[j], bid_qty[j], ask_px[j], ask_qty[j], last_px[i], vwap_px[i],
                                   trade_qty[i], pr_px, pr_qty)  # fmt: skip
        for t in range(n_pr):
            p = pr_px[t]
            q = pr_qty[t]
            for k in range(top):  # resting orders on the passive side of this trade
                if o_state[k] != LIVE or o_side[k] != -s or s * (p - o_px[k]) < 0:
                    continue
                if s * (p - o_px[k]) > 0:
                    fq = o_leaves[k]  # traded through our price
                else:
                    o_front[k] -= q
                    o_cum[k] += q
                    fq = filled_qty(o_front[k], o_leaves[k], partial)
                if fq > 0:
                    o_leaves[k] -= fq
                    o_front[k] = 0.0
                    nf = _fill(fills, nf, st, i, ts[i], o_side[k], fq, float(o_px[k]), 1, ts[i] - o_rest[k],
                               0, ts[i] + resp_lat[i], o_id[k], c, mult, basis, rates, ctf)  # fmt: skip
                    if o_leaves[k] <= 0:
                        o_state[k] = DONE
                        o_done[k] = ts[i]
        # 3. depth changes at our prices; fills when the book trades through us
        for k in range(top):
            if o_state[k] != LIVE:
                continue
            s = o_side[k]
            own_px = bid_px[i] if s > 0 else ask_px[i]
            own_q = bid_qty[i] if s > 0 else ask_qty[i]
            opp0 = ask_px[i, 0] if s > 0 else bid_px[i, 0]
            if opp0 >= 0 and s * (o_px[k] - opp0) >= 0:
                nf = _fill(fills, nf, st, i, ts[i], s, o_leaves[k], float(o_px[k]), 1, ts[i] - o_rest[k], 0,
                           ts[i] + resp_lat[i], o_id[k], c, mult, basis, rates, ctf)  # fmt: skip
                o_leaves[k] = 0.0
                o_state[k] = DONE
                o_done[k] = ts[i]
                continue
            deepest = -1
            new_q = -1.0
            for lv in range(5):
                if own_px[lv] >= 0:
                    deepest = own_px[lv]
                    if own_px[lv] == o_px[k]:
                        new_q = own_q[lv]
            if new_q < 0:
                if deepest >= 0 and s * (o_px[k] - deepest) >= 0:
                    new_q = 0.0  # inside the visible range but absent: the level is empty
                else:
                    continue  # beyond the five visible levels: unknown, keep the estimate
            o_front[k] = on_depth(model, model_n, o_front[k], o_cum[k], o_lvl[k], new_q)
            o_cum[k] = 0.0
            o_lvl[k] = new_q
        # 4. block end: cancel everything, flatten at the opposite best
        b0 = bid_px[i, 0]
        a0 = ask_px[i, 0]
        if b0 >= 0 and a0 >= 0:
            mark = 0.5 * (b0 + a0)
        if block_last[i]:
            for k in range(top):
                if o_state[k] == LIVE or o_state[k] == FLIGHT:
                    o_state[k] = DONE
                    o_done[k] = ts[i]
            if st[0] != 0:
                s = 1 if st[0] < 0 else -1
                px = float(a0 if s > 0 else b0)
                if (a0 if s > 0 else b0) < 0:
                    px = mark
                nf = _fill(fills, nf, st, i, ts[i], s, abs(st[0]), px, 0, -1, 1, ts[i], -1, c, mult, basis,
                           rates, ctf)  # fmt: skip
        elif b0 >= 0 and a0 >= 0:
            # 5. the strategy acts on what it has seen by ts[i] + md_lat
            now = ts[i] + md_lat[i]
            while kf < nf and fills[kf, F_KNOWN] <= now:
                known_pos += fills[kf, F_SIDE] * fills[kf, F_QTY]
                kf += 1
            for s in (1, -1):
                want = 0.0
                want_px = -1
                tif = LIMIT
                if mode == MODE_TARGET:
                    need = target[i] - known_pos
                    if need * s > 0:
                        want = abs(need)
                        own = b0 if s > 0 else a0
                        want_px = own if passive else (a0 + offset if s > 0 else b0 - offset)
                        tif = order_type
                else:
                    if s * known_pos + size <= max_pos:
                        want = size
                        want_px = b0 if s > 0 else a0
                working = -1
                for k in range(top):
                    if o_side[k] == s and o_state[k] != FREE:
                        if o_state[k] == DONE and o_done[k] + resp_lat[i] <= now:
                            o_state[k] = FREE  # the strategy has heard that it is over
                            continue
                        working = k
                if working >= 0:
                    k = working
                    stale = want <= 0 or (o_px[k] != want_px and (mode == MODE_MM or (passive and requote)))
                    acked = o_arr[k] + resp_lat[i] <= now  # cancel only what the exchange confirmed
                    if stale and acked and o_cxl[k] == INF:
                        o_cxl[k] = now + entry_lat[i]
                        counts[2] += 1
                elif want > 0:
                    for k in range(MAXO):
                        if o_state[k] == FREE:
                            top = max(top, k + 1)
                            serial += 1
                            o_side[k] = s
                            o_px[k] = want_px
                            o_leaves[k] = want
                            o_tif[k] = tif
                            o_arr[k] = now + entry_lat[i]
                            o_cxl[k] = INF
                            o_state[k] = FLIGHT
                            o_id[k] = serial
                            counts[0] += 1
                            counts[1] += int(want)
                            break
        while top > 0 and o_state[top - 1] == FREE:
            top -= 1
        pos_out[i] = st[0]
        eq_out[i] = st[2] + (st[0] * mark * st[3] * mult[c] if st[0] != 0 else 0.0)
        counts[3] = i + 1
        if nf > fills.shape[0] - HEADROOM:
            fills = grow(fills, nf)
    return pos_out, eq_out, fills[:nf].copy(), counts
