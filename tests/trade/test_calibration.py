"""Online calibration: learns from delayed labels (never across a roll/day); the drift guard falls back."""

from __future__ import annotations

import numpy as np

from ghtrader.trade.calibration import CalibrationConfig, OnlineCalibrator

OVERCONFIDENT_UP = np.array([0.01, 0.01, 0.98])


def feed(cal: OnlineCalibrator, n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    mid, alerts = 75_000.0, []
    for _ in range(n):
        mid += 10.0 * rng.choice([-1, 0, 1])  # a random walk: "UP with 98%" is badly overconfident
        _, alert = cal.step(("d1", 0), mid, 10.0, OVERCONFIDENT_UP)
        if alert:
            alerts.append(alert)
    return alerts


def test_learns_to_temper_overconfidence() -> None:
    cal = OnlineCalibrator(CalibrationConfig(horizon=5, min_labels=50, max_ece=1.0, lr=0.05))
    feed(cal, 3000)
    p, _ = cal.step(("d1", 0), 75_000.0, 10.0, OVERCONFIDENT_UP)
    assert cal.labels > 2900 and p[2] < 0.8  # no longer 98% sure
    assert abs(p.sum() - 1.0) < 1e-12


def test_drift_guard_falls_back_to_raw() -> None:
    cal = OnlineCalibrator(CalibrationConfig(horizon=5, min_labels=50, max_ece=0.01, lr=1e-6))
    alerts = feed(cal, 400)
    assert alerts and "raw probabilities" in alerts[0]
    p, _ = cal.step(("d1", 0), 75_000.0, 10.0, OVERCONFIDENT_UP)
    assert np.array_equal(p, OVERCONFIDENT_UP)


def test_labels_never_cross_a_group() -> None:
    cal = OnlineCalibrator(CalibrationConfig(horizon=5, min_labels=1))
    for i in range(4):
        cal.step(("d1", 0), 75_000.0 + i, 10.0, OVERCONFIDENT_UP)
    for i in range(4):
        cal.step(("d2", 0), 76_000.0 + i, 10.0, OVERCONFIDENT_UP)
    assert cal.labels == 0  # 4 + 4 ticks, horizon 5: no label completes inside either group
