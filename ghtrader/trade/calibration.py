"""Optional online calibration of the champion's probabilities from delayed labels, with a drift guard.

A prediction made at tick ``t`` gets its label at tick ``t + horizon`` of the same segment and trading
day (the research rule: ``ghtrader.labels.core.classify`` of the mid move in ticks; never across a roll
or a day). Each label takes one SGD step of temperature + per-class bias scaling on the log
probabilities (cross-entropy). Drift guard: the top-label expected calibration error of the
*calibrated* probabilities over the last ``window`` labels; above ``max_ece`` the runner falls back to
the raw probabilities (and logs the alert) until the error is back under half the bound.

Trap: calibration changes the decisions, so a replay with ``--calibrate`` no longer equals the research
backtest (which scores raw probabilities); the flag is off by default.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from ghtrader.labels.core import classify

EPS = 1e-9


@dataclass(frozen=True)
class CalibrationConfig:
    horizon: int = 50
    k: float = 1.0
    window: int = 2000
    min_labels: int = 200
    max_ece: float = 0.15
    lr: float = 0.01
    bins: int = 10


class OnlineCalibrator:
    def __init__(self, config: CalibrationConfig) -> None:
        self.cfg = config
        self.log_t = 0.0  # log temperature
        self.bias = np.zeros(3)
        self.pending: deque[tuple[int, float, np.ndarray]] = deque()
        self.group: object = None
        self.n = 0  # ticks in the current group
        self.recent: deque[tuple[float, bool]] = deque(maxlen=config.window)  # (top prob, correct)
        self.fallback = False
        self.labels = 0

    def _calibrated(self, raw: np.ndarray) -> np.ndarray:
        z = np.log(np.clip(raw, EPS, 1.0)) / np.exp(self.log_t) + self.bias
        e = np.exp(z - z.max())
        return e / e.sum()

    def _learn(self, raw: np.ndarray, y: int) -> None:
        p = self._calibrated(raw)
        grad_z = p.copy()
        grad_z[y] -= 1.0  # d(cross-entropy)/d(logits)
        logp = np.log(np.clip(raw, EPS, 1.0))
        t = np.exp(self.log_t)
        self.bias -= self.cfg.lr * grad_z
        self.log_t -= self.cfg.lr * float(grad_z @ (-logp / t))  # dz/dlog_t = -logp / t
        top = int(np.argmax(p))
        self.recent.append((float(p[top]), top == y))
        self.labels += 1

    def ece(self) -> float | None:
        if len(self.recent) < self.cfg.min_labels:
            return None
        conf = np.array([c for c, _ in self.recent])
        hit = np.array([h for _, h in self.recent], dtype=np.float64)
        bins = np.minimum((conf * self.cfg.bins).astype(int), self.cfg.bins - 1)
        err = 0.0
        for b in np.unique(bins):
            m = bins == b
            err += m.mean() * abs(conf[m].mean() - hit[m].mean())
        return float(err)

    def step(
        self, group: object, mid: float, price_tick: float, raw: np.ndarray
    ) -> tuple[np.ndarray, str | None]:
        """Learn from the label this tick completes, then return (probabilities to use, alert or None)."""
        if group != self.group:
            self.group, self.n = group, 0
            self.pending.clear()  # labels never cross a segment or a trading day
        if len(self.pending) == self.cfg.horizon:
            _, mid0, raw0 = self.pending.popleft()
            if np.isfinite(mid0) and np.isfinite(mid) and np.isfinite(raw0).all():
                self._learn(raw0, int(classify(np.array([(mid - mid0) / price_tick]), self.cfg.k)[0]))
        self.pending.append((self.n, mid, np.asarray(raw, dtype=np.float64).copy()))
        self.n += 1
        alert = None
        ece = self.ece()
        if ece is not None and not self.fallback and ece > self.cfg.max_ece:
            self.fallback, alert = (
                True,
                f"calibration error {ece:.3f} > {self.cfg.max_ece}: raw probabilities",
            )
        elif ece is not None and self.fallback and ece < self.cfg.max_ece / 2:
            self.fallback, alert = False, f"calibration error {ece:.3f} back under bound: calibrated"
        if self.fallback or self.labels < self.cfg.min_labels or not np.isfinite(raw).all():
            return np.asarray(raw, dtype=np.float64), alert
        return self._calibrated(np.asarray(raw, dtype=np.float64)), alert
