"""Numba kernels of the sim: the latent pressure / fair value path and the best bid/ask targets.

All randomness is drawn beforehand with numpy Generators (per contract-day streams) and passed
in, so the kernels are pure and results do not depend on numba's own RNG state. Prices are kept
as integer tick indices; callers multiply by the price tick.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def latent_path(
    t_s: np.ndarray,
    restart: np.ndarray,
    z_a: np.ndarray,
    z_x: np.ndarray,
    x0: float,
    target: float,
    tau: float,
    kappa: float,
    sigma: float,
    max_dt: float,
    min_pull_s: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Pressure ``a`` (stationary OU, unit variance) and fair value ``x`` (ticks).

    ``x`` drifts by ``kappa * a`` ticks/s plus Brownian noise ``sigma`` ticks/sqrt(s): the
    predictable part of price moves is the pressure. Across a session break ``dt`` is capped
    at ``max_dt`` so the open does not jump by hours of variance. A bridge pull
    ``(target - x) / remaining`` (remaining floored at ``min_pull_s``) lands the close near the
    next day's opening level, so days chain without artificial overnight gaps.
    """
    n = t_s.shape[0]
    a_out = np.empty(n)
    x_out = np.empty(n)
    steps = np.empty(n)
    for i in range(n):
        dt = t_s[i] - t_s[i - 1] if i > 0 else 0.0
        steps[i] = max_dt if restart[i] and dt > max_dt else dt
    remaining = steps.sum()
    a = z_a[0] if n > 0 else 0.0
    x = x0
    for i in range(n):
        if i > 0:
            dt = steps[i]
            remaining -= dt
            rho = np.exp(-dt / tau)
            pull = (target - x) / max(remaining + dt, min_pull_s)
            x += (kappa * a + pull) * dt + sigma * np.sqrt(dt) * z_x[i]
            a = rho * a + np.sqrt(1.0 - rho * rho) * z_a[i]
        a_out[i] = a
        x_out[i] = x
    return a_out, x_out


@njit(cache=True)
def best_prices(
    x: np.ndarray,
    dt_s: np.ndarray,
    u_change: np.ndarray,
    u_wide: np.ndarray,
    wide_draw: np.ndarray,
    u_split: np.ndarray,
    wide_prob: float,
    spread_tau: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Best bid/ask tick indices: ``bid1 = floor(x) - eb``, ``ask1 = floor(x) + 1 + ea``.

    The extra spread ``eb + ea`` is a Markov state redrawn with rate ``1/spread_tau``: zero
    with probability ``1 - wide_prob``, else ``wide_draw`` ticks split between the sides.
    Deeper levels and all queue sizes come from the event-driven book (``book.evolve_book``).
    """
    n = x.shape[0]
    bid = np.empty(n, np.int64)
    ask = np.empty(n, np.int64)
    eb = 0
    ea = 0
    for i in range(n):
        if i == 0 or u_change[i] < 1.0 - np.exp(-dt_s[i] / spread_tau):
            w = wide_draw[i] if u_wide[i] < wide_prob else 0
            eb = int(u_split[i] * (w + 1))
            if eb > w:
                eb = w
            ea = w - eb
        core = np.int64(np.floor(x[i]))
        bid[i] = core - eb
        ask[i] = core + 1 + ea
    return bid, ask
