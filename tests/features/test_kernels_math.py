"""The exact libm shortcuts of the kernels (``kernels_math``) give the values of the calls they skip."""

from __future__ import annotations

import numpy as np
from numba import njit

from ghtrader.features.kernels_math import LOG1P_N, log1p_lots, log_ratio


@njit(cache=False, error_model="numpy")
def _both(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    out = np.empty((xs.shape[0], 4))
    for k in range(xs.shape[0]):
        out[k, 0] = log1p_lots(xs[k])
        out[k, 1] = np.log1p(xs[k])
        out[k, 2] = log_ratio(xs[k], ys[k])
        out[k, 3] = np.log(xs[k] / ys[k])
    return out


def test_shortcuts_equal_libm_bit_for_bit() -> None:
    rng = np.random.default_rng(0)
    xs = np.concatenate(
        [
            np.arange(LOG1P_N + 5, dtype=np.float64),  # the whole table and past its end
            rng.uniform(0, 3000, 2000),  # fractional: libm
            rng.integers(0, 100_000, 500).astype(np.float64),
            [0.0, -0.0, 0.5, np.nan, np.inf],
        ]
    )
    ys = np.where(rng.random(len(xs)) < 0.5, xs, xs + 0.5)  # half the ratios exactly 1
    got = _both(xs, ys)
    for a, b in ((0, 1), (2, 3)):
        assert np.array_equal(got[:, a], got[:, b], equal_nan=True)
        ok = ~np.isnan(got[:, b])
        assert np.array_equal(np.signbit(got[ok, a]), np.signbit(got[ok, b]))  # -0.0 kept
