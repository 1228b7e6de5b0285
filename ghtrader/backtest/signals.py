"""Turn class probabilities into target positions."""

from __future__ import annotations

import numpy as np
import pandas as pd


def signal_from_proba(
    proba: np.ndarray,
    *,
    threshold: float | np.ndarray,
    max_pos: int = 1,
    hold: bool = False,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Target lots from ``proba`` (n, 3) ordered DOWN/FLAT/UP.

    Score ``p_up - p_down``: ``+max_pos`` above ``threshold``, ``-max_pos`` below ``-threshold``
    (a scalar, or one threshold per row, e.g. tuned per walk-forward split; NaN: no signal).
    In between (and for rows without a prediction, NaN): 0, or with ``hold`` the previous target,
    never carried across a change of ``groups`` (e.g. segment ids), where it restarts flat.
    """
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3:
        raise ValueError(f"proba must have shape (n, 3) DOWN/FLAT/UP, got {p.shape}")
    threshold = np.asarray(threshold, dtype=np.float64)
    if np.any(threshold < 0) or max_pos < 1:
        raise ValueError("threshold must be >= 0 and max_pos >= 1")
    score = p[:, 2] - p[:, 0]
    sig = np.where(score > threshold, 1.0, np.where(score < -threshold, -1.0, np.nan))
    sig[np.isnan(score)] = np.nan
    if hold:
        s = pd.Series(sig)
        sig = (s.groupby(groups).ffill() if groups is not None else s.ffill()).to_numpy()
    return (np.nan_to_num(sig, nan=0.0) * max_pos).astype(np.int64)


class OnlineSignal:
    """``signal_from_proba`` one row at a time, for the trade runner: the same threshold rule and the
    same ``hold`` (the last non-neutral target, restarting flat when ``group`` changes), so a replay's
    targets equal the batch targets. The rule is evaluated on Python floats (float64, the same
    subtraction and comparisons as the batch path; a NaN score gives no signal): the array call cost
    ~30 us per tick, the runner's second-largest stage."""

    def __init__(self, *, threshold: float, max_pos: int = 1, hold: bool = False) -> None:
        if threshold < 0 or max_pos < 1:
            raise ValueError("threshold must be >= 0 and max_pos >= 1")
        self.threshold, self.max_pos, self.hold = threshold, max_pos, hold
        self._group: object = None
        self._last = 0

    def step(self, proba: np.ndarray, group: object) -> int:
        if group != self._group:
            self._group, self._last = group, 0
        score = float(proba[2]) - float(proba[0])
        thr = float(self.threshold)
        s = self.max_pos if score > thr else -self.max_pos if score < -thr else 0
        if s != 0:
            self._last = s
        return self._last if self.hold else s


def hold_outside_sessions(target: np.ndarray, orderable: np.ndarray, block_start: np.ndarray) -> np.ndarray:
    """The trade runner's session guard applied to research targets: at a tick where no order may
    leave (outside the continuous session) the previous target stays in force; each block (day /
    segment) starts flat. With this, the backtest's pending order is what the runner's working order is.
    """
    t = np.asarray(target, dtype=np.int64)
    ok = np.asarray(orderable, dtype=np.bool_)
    start = np.asarray(block_start, dtype=np.bool_)
    # the target where orderable, 0 at a block start that is not, else the last value of the block
    vals = np.where(ok, t.astype(np.float64), np.where(start, 0.0, np.nan))
    held = pd.Series(vals).groupby(np.cumsum(start)).ffill().fillna(0.0).to_numpy()
    return held.astype(np.int64)
