"""Event-driven L5 book of the sim: queues persist between snapshots and change only by events.

Between two snapshots the book sees, in this order (SHFE matches continuously; a snapshot shows
the state after all of them):

1. **Trades** against the *pre-trade* book: the interval's volume walks the opposite side from its
   best queue. Levels that the new best price has passed are consumed (then whatever is left of them
   is cancelled); the surviving best queue loses at most all but one lot, the rest of the volume
   matched orders arriving at that price. ``last_price`` is the last price walked, so trades print
   inside the pre-trade book, never at a quote that only exists afterwards.
2. **Price moves**: the best prices follow targets from the latent fair value (``best_prices``);
   stale levels are cancelled and new, small queues are added at improved prices (intermediate
   ticks filled with probability ``1 - wide_prob``). Levels behind the best keep their sizes.
3. **Limit adds / cancels** at each level: a Poisson event with level-dependent rate (the best
   queue is busiest); an event adds or cancels a geometric number of lots, biased towards the
   level's desired size (pressure and microprice tilt), so sizes persist, shrink and refill.

A session start (``restart``) rebuilds the book (the opening call auction clears it). Randomness
comes from numba's generator seeded per call, so output depends only on the inputs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

K = 8  # price levels kept per side (5 visible; the rest keep sizes when the best moves away)
REL_RATE = np.array([1.0, 0.7, 0.12, 0.08, 0.05, 0.05, 0.05, 0.05])  # event rate per level vs L1
REL_CUM = np.cumsum(REL_RATE)
REL_SUM = float(REL_CUM[-1])
PULL = 0.3  # share of the gap to the desired size closed by one event
CHANGE_FRAC = 0.08  # mean lots of one add/cancel event, as a share of the desired size
WANT_NOISE = 0.5  # log-noise of a desired size (uniform, sd ~0.14)
NEW_MIN, NEW_SPAN = 0.15, 0.6  # a new best queue starts at U(NEW_MIN, NEW_MIN + NEW_SPAN) x desired


@njit(cache=True, inline="always")
def _lots(d: float) -> int:
    return max(1, int(d + 0.5))


@njit(cache=True, inline="always")
def _want(scale: np.ndarray, k: int, tilt: np.ndarray) -> float:
    """Desired lots at level ``k`` (0-based) given this side's (L1, deeper) log tilt."""
    j = min(k, 4)
    return scale[j] * np.exp(tilt[min(j, 1)] + WANT_NOISE * (np.random.random() - 0.5))


@njit(cache=True, inline="always")
def _gap(wide_prob: float) -> int:
    return 1 + (np.random.geometric(0.5) if np.random.random() < wide_prob else 0)


@njit(cache=True, inline="always")
def _init_side(
    px: np.ndarray,
    sz: np.ndarray,
    best: int,
    sign: int,
    scale: np.ndarray,
    tilt: np.ndarray,
    wide_prob: float,
) -> int:
    p = best
    for k in range(K):
        px[k] = p
        sz[k] = _lots(_want(scale, k, tilt))
        p -= sign * _gap(wide_prob)
    return K


@njit(cache=True, inline="always")
def _pop_front(px: np.ndarray, sz: np.ndarray, cnt: int) -> int:
    for k in range(1, cnt):
        px[k - 1] = px[k]
        sz[k - 1] = sz[k]
    return cnt - 1


@njit(cache=True, inline="always")
def _push_front(px: np.ndarray, sz: np.ndarray, cnt: int, p: int, s: int) -> int:
    top = min(cnt, K - 1)
    for k in range(top, 0, -1):
        px[k] = px[k - 1]
        sz[k] = sz[k - 1]
    px[0] = p
    sz[0] = s
    return top + 1


@njit(cache=True, inline="always")
def _reprice(
    px: np.ndarray,
    sz: np.ndarray,
    cnt: int,
    target: int,
    sign: int,
    scale: np.ndarray,
    tilt: np.ndarray,
    wide_prob: float,
) -> int:
    """Cancel levels better than ``target`` (sign +1 bids, -1 asks); add queues up to it."""
    while cnt > 0 and sign * (px[0] - target) > 0:
        cnt = _pop_front(px, sz, cnt)
    if cnt == 0 or px[0] != target:
        inner = px[0] if cnt > 0 else target - sign * 2
        p = inner + sign
        while sign * (target - p) > 0:  # intermediate ticks between the old and the new best
            if np.random.random() >= wide_prob:
                cnt = _push_front(
                    px, sz, cnt, p, _lots(_want(scale, 0, tilt) * (NEW_MIN + NEW_SPAN * np.random.random()))
                )
            p += sign
        cnt = _push_front(
            px, sz, cnt, target, _lots(_want(scale, 0, tilt) * (NEW_MIN + NEW_SPAN * np.random.random()))
        )
    return cnt


@njit(cache=True, inline="always")
def _refresh(
    px: np.ndarray,
    sz: np.ndarray,
    cnt: int,
    sign: int,
    scale: np.ndarray,
    tilt: np.ndarray,
    clock: np.ndarray,
    now: float,
    rate: float,
    wide_prob: float,
) -> int:
    """Adds / cancels up to time ``now``, then refill the back of the book up to ``K`` levels.

    One Poisson stream per side with rate ``rate * sum(REL_RATE)`` (``clock[0]`` holds its next
    event time); each event picks level k with probability ``REL_RATE[k] / sum`` - the same as a
    Poisson process per level, at the cost of one comparison per snapshot without events."""
    total = rate * REL_SUM
    while total > 0 and clock[0] <= now:
        u = np.random.random() * REL_SUM
        k = 0
        while k < K - 1 and u >= REL_CUM[k]:
            k += 1
        if k < cnt:
            d = _want(scale, k, tilt)
            m = np.random.geometric(1.0 / (1.0 + CHANGE_FRAC * d))
            pull = int(PULL * (d - sz[k]))  # adds where the queue is short of desire, cancels where long
            if np.random.random() < d / (d + sz[k]):
                sz[k] = max(1, sz[k] + pull + m)
            else:
                sz[k] = max(1, sz[k] + pull - m)
        clock[0] += -np.log(1.0 - np.random.random()) / total
    while cnt < K:
        px[cnt] = px[cnt - 1] - sign * _gap(wide_prob)
        sz[cnt] = _lots(_want(scale, cnt, tilt))
        cnt += 1
    return cnt


@njit(cache=True, inline="always")
def _walk(px: np.ndarray, sz: np.ndarray, cnt: int, qty: int, sign: int, target: int) -> tuple:
    """Consume ``qty`` lots from the best of one side (``sign`` +1 bids, -1 asks).

    Levels beyond ``target`` (which the new best passes) may empty; the surviving level keeps at
    least one lot. The walk stops after the 5 visible levels (a print must lie inside the book
    the previous snapshot showed); what is left trades at the last level walked.
    Returns (cnt, first and last price walked, notional in tick-lots)."""
    first = px[0]
    last = px[0]
    notional = 0.0
    walked = 0
    while qty > 0 and cnt > 0 and walked < 5:
        walked += 1
        p = px[0]
        last = p
        if sign * (p - target) > 0:
            take = min(sz[0], qty)
            sz[0] -= take
            qty -= take
            notional += p * take
            if sz[0] == 0:
                cnt = _pop_front(px, sz, cnt)
        else:
            take = min(sz[0] - 1, qty)
            sz[0] -= take
            notional += p * qty  # the remainder matched orders arriving at this price
            qty = 0
    if qty > 0:
        notional += last * qty
    return cnt, first, last, notional


@njit(cache=True)
def evolve_book(  # noqa: PLR0913, PLR0915
    bid1: np.ndarray,
    ask1: np.ndarray,
    dt_s: np.ndarray,
    restart: np.ndarray,
    dvol: np.ndarray,
    buy_prob: np.ndarray,
    tilt_l1: np.ndarray,
    tilt_deep: np.ndarray,
    scale: np.ndarray,
    u_dir: np.ndarray,
    wide_prob: float,
    rate: float,
    seed: int,
) -> tuple:
    """Run the events; return (bid px, bid lots, ask px, ask lots) n x 5, last/high/low tick index
    and traded notional (tick index x lots) per snapshot. Desired sizes are ``scale`` (lots, levels
    1-5) times ``exp(+-tilt / 2)``: bids get ``+tilt_l1 / 2`` at L1 and ``+tilt_deep / 2`` deeper."""
    np.random.seed(seed)
    n = bid1.shape[0]
    obp = np.empty((n, 5), np.int64)
    obs = np.empty((n, 5), np.int64)
    oap = np.empty((n, 5), np.int64)
    oas = np.empty((n, 5), np.int64)
    last = np.empty(n, np.int64)
    high = np.empty(n, np.int64)
    low = np.empty(n, np.int64)
    notional = np.zeros(n)
    bp = np.empty(K, np.int64)
    bs = np.empty(K, np.int64)
    ap = np.empty(K, np.int64)
    az = np.empty(K, np.int64)
    nb = 0
    na = 0
    tb = np.empty(2)
    ta = np.empty(2)
    bclock = np.zeros(1)  # next add/cancel event time of each side (seconds since the start)
    aclock = np.zeros(1)
    now = 0.0
    cur = bid1[0] if n > 0 else 0
    hi = -(2**62)
    lo = 2**62
    for i in range(n):
        buy = u_dir[i] < buy_prob[i]
        tb[0] = 0.5 * tilt_l1[i]
        tb[1] = 0.5 * tilt_deep[i]
        ta[0] = -tb[0]
        ta[1] = -tb[1]
        now += dt_s[i]
        if i == 0 or restart[i]:
            bclock[0] = now - np.log(1.0 - np.random.random()) / max(rate * REL_SUM, 1e-12)
            aclock[0] = now - np.log(1.0 - np.random.random()) / max(rate * REL_SUM, 1e-12)
            nb = _init_side(bp, bs, bid1[i], 1, scale, tb, wide_prob)
            na = _init_side(ap, az, ask1[i], -1, scale, ta, wide_prob)
            if dvol[i] > 0:  # the opening auction prints at the new book's best
                cur = ask1[i] if buy else bid1[i]
                notional[i] = cur * dvol[i]
        else:
            if ask1[i] > ap[0]:
                buy = True  # the asks are being lifted
            elif bid1[i] < bp[0]:
                buy = False
            if dvol[i] > 0:
                if buy:
                    na, first, cur, notional[i] = _walk(ap, az, na, dvol[i], -1, ask1[i])
                else:
                    nb, first, cur, notional[i] = _walk(bp, bs, nb, dvol[i], 1, bid1[i])
                hi = max(hi, first)
                lo = min(lo, first)
            nb = _reprice(bp, bs, nb, bid1[i], 1, scale, tb, wide_prob)
            na = _reprice(ap, az, na, ask1[i], -1, scale, ta, wide_prob)
            nb = _refresh(bp, bs, nb, 1, scale, tb, bclock, now, rate, wide_prob)
            na = _refresh(ap, az, na, -1, scale, ta, aclock, now, rate, wide_prob)
        if dvol[i] > 0:
            hi = max(hi, cur)
            lo = min(lo, cur)
        last[i] = cur
        high[i] = hi
        low[i] = lo
        for k in range(5):
            obp[i, k] = bp[k]
            obs[i, k] = bs[k]
            oap[i, k] = ap[k]
            oas[i, k] = az[k]
    return obp, obs, oap, oas, last, high, low, notional
