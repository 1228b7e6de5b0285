"""Parameters of the synthetic SHFE market (frozen, passed explicitly).

Per-variety figures are calibrated against the real fixtures in ``../shared/data/real`` (see
``calibration.py``): per-minute log-return volatility and volume per minute of cu1905 / au1912 in
2019, and the thin delivery-month book of cu1909 (median snapshot gap 3 s, spread mean 1.4 ticks).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class VarietyParams:
    """Market figures of one variety.

    ``anchors`` are (date, price) knots of the long-run price level (linear in log between knots);
    the simulated daily level is an AR(1) deviation around them, so any era gets plausible prices.
    ``month_weights`` scale open interest by delivery month (au/ag trade mostly June/December, so
    their main contract lives about six months; cu trades every month and rolls monthly).
    """

    var: str
    anchors: tuple[tuple[str, float], ...]
    vol_per_min: float  # 1-minute log-return std of the fair value (last-price bounce adds ~15% for cu)
    volume_per_min: float  # main contract lots per minute in the day session
    night_volume_factor: float  # night-session volume relative to the day session
    oi_scale: float  # peak end-of-day open interest (lots) of a main contract
    oi_peak_days: float  # days before the delivery month at which OI peaks
    oi_width: float  # width of the OI hump in log(days)
    month_weights: tuple[float, ...] = (1.0,) * 12
    l1_depth: float = 40.0  # median L1 queue of the main contract (lots)
    level_daily_vol: float = 0.01  # daily log-level innovation
    level_reversion: float = 0.03  # daily pull of the level towards the anchor path
    carry: float = 0.01  # annual contango of far months over the level (negative = backwardation)


CU = VarietyParams(
    var="cu",
    anchors=(
        ("2015-12-01", 36000),
        ("2017-01-01", 46000),
        ("2018-01-01", 55000),
        ("2019-01-01", 48000),
        ("2019-06-01", 47000),
        ("2020-03-20", 38000),
        ("2021-05-01", 72000),
        ("2022-06-01", 68000),
        ("2023-01-01", 66000),
        ("2024-01-01", 68000),
        ("2024-05-20", 82000),
        ("2025-01-01", 74000),
        ("2025-06-01", 78000),
        ("2027-12-31", 80000),
    ),
    vol_per_min=2.1e-4,
    volume_per_min=160.0,
    night_volume_factor=0.6,
    oi_scale=120_000,
    oi_peak_days=30.0,
    oi_width=0.5,
    month_weights=(1.0, 0.95, 1.0, 0.95, 1.0, 1.0, 0.95, 1.0, 0.95, 1.0, 1.0, 0.95),
)
AU = VarietyParams(
    var="au",
    anchors=(
        ("2015-12-01", 225),
        ("2017-01-01", 270),
        ("2018-01-01", 275),
        ("2019-01-01", 285),
        ("2019-06-01", 300),
        ("2019-08-15", 345),
        ("2020-08-01", 440),
        ("2021-06-01", 380),
        ("2022-06-01", 390),
        ("2023-06-01", 450),
        ("2024-01-01", 480),
        ("2024-10-01", 600),
        ("2025-01-01", 630),
        ("2025-03-15", 680),
        ("2025-06-01", 700),
        ("2027-12-31", 760),
    ),
    vol_per_min=3.5e-4,
    volume_per_min=500.0,
    night_volume_factor=0.85,
    oi_scale=230_000,
    oi_peak_days=60.0,
    oi_width=0.9,
    month_weights=(0.04, 0.08, 0.04, 0.08, 0.04, 1.0, 0.04, 0.08, 0.04, 0.08, 0.04, 1.0),
    l1_depth=30.0,
    carry=0.025,
)
AG = VarietyParams(
    var="ag",
    anchors=(
        ("2015-12-01", 3300),
        ("2017-01-01", 4100),
        ("2018-01-01", 3700),
        ("2019-06-01", 3600),
        ("2019-09-01", 4500),
        ("2020-08-01", 5800),
        ("2021-06-01", 5300),
        ("2022-09-01", 4300),
        ("2023-06-01", 5500),
        ("2024-06-01", 7800),
        ("2025-01-01", 7600),
        ("2025-03-15", 8100),
        ("2027-12-31", 8500),
    ),
    vol_per_min=4.0e-4,
    volume_per_min=900.0,
    night_volume_factor=0.9,
    oi_scale=400_000,
    oi_peak_days=60.0,
    oi_width=0.9,
    month_weights=(0.05, 0.15, 0.05, 0.1, 0.05, 1.0, 0.05, 0.3, 0.05, 0.1, 0.05, 1.0),
    l1_depth=60.0,
    carry=0.03,
)


@dataclass(frozen=True)
class SimConfig:
    """Knobs of the sim source; ``seed`` fixes every stream (derived per variety/contract/day)."""

    seed: int = 20250303
    hz: float = 2.0  # snapshot rate of a liquid contract
    jitter_ms: int = 120  # stamps land 1..jitter_ms ms after the 2 Hz grid, never exactly on it
    alpha_tau_s: float = 20.0  # correlation time of the latent pressure
    alpha_share: float = 0.6  # share of fair-value variance driven by the pressure (predictable)
    epoch: dt.date = dt.date(2015, 12, 1)  # start of the daily price-level walk
    horizon: int = 50  # snapshots ahead for the oracle's expected mid change in the sidecar
    delivery_gap_median_s: float = 3.0  # delivery-month snapshot gaps (real cu1909: 3 s, p90 14.6 s)
    delivery_gap_p90_s: float = 14.6
    delivery_wide_prob: float = 0.19  # delivery-month share of spreads wider than one tick
    delivery_wide_extra: float = 2.05  # mean extra ticks of a wide spread (mean spread ~1.4 ticks)
    delivery_volume_share: float = 0.7  # real cu1909 on 2019-09-12: ~117 reported lots/min
    delivery_spread_tau_s: float = 10.0  # real cu1909: the mid moves in ~17% of snapshot pairs
    varieties: tuple[VarietyParams, ...] = field(default=(CU, AU, AG))

    def params(self, var: str) -> VarietyParams:
        for p in self.varieties:
            if p.var == var:
                return p
        raise ValueError(f"sim has no parameters for variety {var!r}")
