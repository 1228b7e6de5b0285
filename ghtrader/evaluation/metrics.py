"""Classification metrics for the 3-class DOWN/FLAT/UP labels.

Conventions (stated in every report):

- Classes are 0 DOWN, 1 FLAT, 2 UP; the predicted class is the argmax of the probabilities.
- Macro-F1 averages the three per-class F1 scores, a class never predicted nor present scoring 0.
- Log loss is scikit-learn's (probabilities clipped at float eps) over all three labels.
- ECE: confidence = max probability; equal-width bins over [0, 1], ``floor(conf * n_bins)`` (a
  confidence of exactly 1 falls into the last bin); ECE = sum over bins of
  ``count / n * |accuracy - mean confidence|``.
- Without probabilities (the oracle reference) log loss, ECE and the calibration bins are ``None``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

LABELS = (0, 1, 2)


def _check(y: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.int64)
    pred = np.asarray(pred, dtype=np.int64)
    if y.shape != pred.shape:
        raise ValueError(f"y has {y.shape}, predictions have {pred.shape}")
    if len(y) and (y.min() < 0 or y.max() > 2 or pred.min() < 0 or pred.max() > 2):
        raise ValueError("classes must lie in {0, 1, 2}")
    return y, pred


def confusion(y: np.ndarray, pred: np.ndarray) -> list[list[int]]:
    """3x3 counts, rows = true class, columns = predicted class."""
    y, pred = _check(y, pred)
    m = np.bincount(y * 3 + pred, minlength=9).reshape(3, 3)
    return m.tolist()


def calibration_bins(proba: np.ndarray, y: np.ndarray, n_bins: int = 10) -> list[dict[str, Any]]:
    """Per equal-width bin of max probability: [lo, hi), count, mean confidence, accuracy (None if empty)."""
    proba = np.asarray(proba, dtype=np.float64)
    conf = proba.max(axis=1) if len(proba) else np.zeros(0)
    correct = (proba.argmax(axis=1) == np.asarray(y)) if len(proba) else np.zeros(0, dtype=bool)
    idx = np.minimum((conf * n_bins).astype(np.int64), n_bins - 1)
    count = np.bincount(idx, minlength=n_bins)
    conf_sum = np.bincount(idx, weights=conf, minlength=n_bins)
    hit_sum = np.bincount(idx, weights=correct.astype(np.float64), minlength=n_bins)
    out = []
    for b in range(n_bins):
        n = int(count[b])
        out.append(
            {
                "lo": b / n_bins,
                "hi": (b + 1) / n_bins,
                "count": n,
                "confidence": float(conf_sum[b] / n) if n else None,
                "accuracy": float(hit_sum[b] / n) if n else None,
            }
        )
    return out


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, n_bins: int = 10) -> float:
    """ECE over equal-width bins of the max probability (see the module docstring)."""
    bins = calibration_bins(proba, y, n_bins)
    n = sum(b["count"] for b in bins)
    if n == 0:
        return float("nan")
    return float(sum(b["count"] / n * abs(b["accuracy"] - b["confidence"]) for b in bins if b["count"]))


def classification_metrics(
    y: np.ndarray, proba: np.ndarray | None = None, *, pred: np.ndarray | None = None, n_bins: int = 10
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class F1, log loss, ECE, calibration bins and confusion matrix.

    Give ``proba`` (n, 3), or only ``pred`` for a predictor without probabilities.
    """
    from sklearn.metrics import f1_score, log_loss

    if proba is None and pred is None:
        raise ValueError("give proba or pred")
    if proba is not None:
        proba = np.asarray(proba, dtype=np.float64)
        if proba.ndim != 2 or proba.shape[1] != 3:
            raise ValueError(f"proba must have shape (n, 3), got {proba.shape}")
        pred = proba.argmax(axis=1)
    assert pred is not None
    y, pred = _check(y, pred)
    n = len(y)
    per_class = f1_score(y, pred, labels=list(LABELS), average=None, zero_division=0) if n else np.zeros(3)
    out: dict[str, Any] = {
        "n": n,
        "accuracy": float(np.mean(y == pred)) if n else None,
        "macro_f1": float(np.mean(per_class)) if n else None,
        "f1_down": float(per_class[0]),
        "f1_flat": float(per_class[1]),
        "f1_up": float(per_class[2]),
        "log_loss": None,
        "ece": None,
        "calibration": None,
        "confusion": confusion(y, pred),
        "class_counts": np.bincount(y, minlength=3).tolist(),
    }
    if proba is not None and n:
        out["log_loss"] = float(log_loss(y, proba, labels=list(LABELS)))
        out["ece"] = expected_calibration_error(proba, y, n_bins)
        out["calibration"] = calibration_bins(proba, y, n_bins)
    return out


SUMMARY_KEYS = ("accuracy", "macro_f1", "log_loss", "ece")


def summarize(per_split: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and population std (ddof=0) of the scalar metrics over splits; ``None`` where undefined."""
    out: dict[str, Any] = {}
    for key in SUMMARY_KEYS:
        vals = [m[key] for m in per_split if m.get(key) is not None]
        out[f"{key}_mean"] = float(np.mean(vals)) if vals and len(vals) == len(per_split) else None
        out[f"{key}_std"] = float(np.std(vals)) if vals and len(vals) == len(per_split) else None
    return out
