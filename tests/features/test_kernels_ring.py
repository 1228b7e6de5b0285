"""``wrap`` (the division-free ring index) equals ``%`` over its whole documented domain."""

from __future__ import annotations

import numpy as np
from numba import njit

from ghtrader.features.kernels_ring import wrap


@njit(cache=False)
def _wrap_all(xs: np.ndarray, ring: int) -> np.ndarray:
    out = np.empty_like(xs)
    for k in range(xs.shape[0]):
        out[k] = wrap(xs[k], ring)
    return out


def test_wrap_equals_modulo() -> None:
    rng = np.random.default_rng(0)
    for ring in (1, 2, 3, 7, 101, 482, 1_000_003, 2**31 - 1):
        mult = np.arange(1, 200, dtype=np.int64) * ring
        top = ring * ((2**52 - 1) // ring)
        xs = np.concatenate(
            [
                np.arange(-ring, min(0, 5000 - ring), dtype=np.int64),
                np.arange(-min(ring, 5000), min(ring, 5000), dtype=np.int64),
                rng.integers(0, 2**52, 20_000, dtype=np.int64),
                mult - 1,
                mult,
                mult + 1,
                np.array([top - 1, top, 2**52 - 1], dtype=np.int64),
            ]
        )
        np.testing.assert_array_equal(_wrap_all(xs, ring), xs % ring)
