"""Exact shortcuts for the libm calls of the factor kernels (same values, fewer calls).

``log`` / ``log1p`` cost tens of cycles per call and the kernels make about twenty per tick. Mids are
sticky (most ticks leave a return at exactly 0), depths are whole lots and most snapshots trade
nothing, so:

* ``log_ratio(a, b)`` returns 0 when ``a / b`` is exactly 1 (``log(1) == 0``);
* ``log1p_lots(x)`` reads ``log1p`` of a whole ``1 <= x < LOG1P_N`` from a table filled by
  ``math.log1p`` (CPython calls the same libm ``log1p`` as numba; ``tests/features`` checks the table
  against the jitted ``np.log1p``), returns +-0 unchanged and calls libm otherwise.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

LOG1P_N = 2048
LOG1P = np.array([math.log1p(k) for k in range(LOG1P_N)], dtype=np.float64)


@njit(cache=True, inline="always")
def log_ratio(a: float, b: float) -> float:
    """``log(a / b)``, skipping the libm call when the ratio is exactly 1."""
    q = a / b
    return 0.0 if q == 1.0 else np.log(q)


@njit(cache=True, inline="always")
def log1p_lots(x: float) -> float:
    """``log1p(x)``: a table read for whole ``1 <= x < LOG1P_N``, ``x`` itself at +-0, else libm."""
    if x >= 1.0 and x < LOG1P_N:
        k = int(x)
        if k == x:
            return LOG1P[k]
    if x == 0.0:
        return x
    return np.log1p(x)
