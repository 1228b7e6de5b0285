from __future__ import annotations

import numpy as np
import pytest

from ghtrader.backtest import signal_from_proba

NAN = float("nan")
P = np.array(
    [
        [0.1, 0.3, 0.6],  # score +0.5 -> long
        [0.3, 0.4, 0.3],  # neutral
        [0.6, 0.3, 0.1],  # -0.5 -> short
        [0.35, 0.3, 0.35],  # neutral
        [NAN, NAN, NAN],  # no prediction
        [0.2, 0.2, 0.6],  # +0.4 -> long
    ]
)


def test_flat_mode() -> None:
    assert signal_from_proba(P, threshold=0.3).tolist() == [1, 0, -1, 0, 0, 1]
    assert signal_from_proba(P, threshold=0.45, max_pos=2).tolist() == [2, 0, -2, 0, 0, 0]


def test_threshold_is_strict() -> None:
    assert signal_from_proba(np.array([[0.2, 0.3, 0.5]]), threshold=0.3).tolist() == [0]


def test_hold_mode_and_groups() -> None:
    assert signal_from_proba(P, threshold=0.3, hold=True).tolist() == [1, 1, -1, -1, -1, 1]
    groups = np.array([0, 0, 0, 1, 1, 1])
    assert signal_from_proba(P, threshold=0.3, hold=True, groups=groups).tolist() == [1, 1, -1, 0, 0, 1]


def test_bad_shape() -> None:
    with pytest.raises(ValueError, match="shape"):
        signal_from_proba(np.zeros((3, 2)), threshold=0.1)


@pytest.mark.parametrize("hold", [False, True])
def test_online_signal_equals_batch(hold: bool) -> None:
    """The runner's scalar rule gives the batch targets exactly: ties at the threshold, NaN rows, groups."""
    from ghtrader.backtest.signals import OnlineSignal

    rng = np.random.default_rng(3)
    n = 4000
    p = rng.dirichlet([1.0, 2.0, 1.0], size=n)
    p[rng.random(n) < 0.05] = NAN
    tie = rng.random(n) < 0.05  # score exactly +-threshold (strict comparison)
    p[tie, 0], p[tie, 1], p[tie, 2] = 0.25, 0.45, 0.25 + 0.3 * rng.choice([-1, 1], tie.sum())
    groups = np.cumsum(rng.random(n) < 0.01)
    for threshold, max_pos in ((0.3, 1), (0.0, 3), (0.05, 2)):
        want = signal_from_proba(p, threshold=threshold, max_pos=max_pos, hold=hold, groups=groups)
        online = OnlineSignal(threshold=threshold, max_pos=max_pos, hold=hold)
        got = [online.step(row, g) for row, g in zip(p, groups, strict=True)]
        assert got == want.tolist()
