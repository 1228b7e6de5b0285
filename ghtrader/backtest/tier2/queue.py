"""Queue position models (numba), after hftbacktest's ``RiskAdverseQueueModel`` / ``ProbQueueModel``.

``front`` is the quantity ahead of our order at its price. Trades at our price always advance it.
A depth *decrease* that trades do not explain is a cancel somewhere in the queue:

* risk-averse (``RISK_AVERSE``): cancels never advance us, only cap ``front`` at the level size;
* probabilistic (``POWER`` with exponent n, ``LOG``): the share ``p = f(back) / (f(back) + f(front))``
  of a cancel happened behind us (``f(x) = x**n`` or ``log(1 + x)``), the rest ahead of us.

Trap: a snapshot's depth change at our price already includes the trades of that interval, so the
trade quantity accumulated since the last depth update (``cum``) is subtracted before it is read
as cancels (otherwise traded lots would advance the queue twice).
"""

from __future__ import annotations

import numpy as np
from numba import njit

RISK_AVERSE, POWER, LOG = 0, 1, 2
MODELS = {"risk_averse": RISK_AVERSE, "power": POWER, "log": LOG}


@njit(cache=True, inline="always")
def _f(model: int, n: float, x: float) -> float:
    if model == LOG:
        return np.log1p(max(x, 0.0))
    return max(x, 0.0) ** n


@njit(cache=True, inline="always")
def on_depth(model: int, n: float, front: float, cum: float, prev: float, new: float) -> float:
    """New ``front`` after the level at our price went from ``prev`` to ``new`` lots."""
    if model == RISK_AVERSE:
        return min(front, new)
    chg = prev - new - cum
    if chg < 0.0:
        return min(front, new)
    back = prev - front
    fb = _f(model, n, back)
    ff = _f(model, n, front)
    prob = fb / (fb + ff) if fb + ff > 0.0 else 1.0
    est = front - (1.0 - prob) * chg + min(back - prob * chg, 0.0)
    return min(est, new)


@njit(cache=True, inline="always")
def filled_qty(front: float, leaves: float, partial: bool) -> float:
    """Lots of ``leaves`` filled once the queue ahead is exhausted (``front < 0``: traded past us)."""
    if np.round(front) >= 0.0:
        return 0.0
    if not partial:
        return leaves
    return min(leaves, np.floor(-front + 1e-9))
