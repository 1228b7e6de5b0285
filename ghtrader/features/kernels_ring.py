"""Ring-buffer index arithmetic for the factor kernels.

``wrap(i, ring)`` is ``i % ring`` for ``-ring <= i < 2**52`` without a 64-bit integer division: the ring
length is a runtime parameter, so ``%`` compiles to ``idiv`` (tens of cycles), and the kernels take
several per window per tick. The quotient from a float reciprocal is off by at most one there, and
the remainder is corrected into ``[0, ring)``, so the index is exactly the one ``%`` gives.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def wrap(i: int, ring: int) -> int:
    """``i % ring`` (exact) for ``-ring <= i < 2**52`` and ``ring >= 1``."""
    q = np.int64(i * (1.0 / ring))
    r = i - q * ring
    if r < 0:
        r += ring
    elif r >= ring:
        r -= ring
    return int(r)
