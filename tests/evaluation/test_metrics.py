"""Classification metrics against scikit-learn and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss

from ghtrader.evaluation.metrics import (
    calibration_bins,
    classification_metrics,
    expected_calibration_error,
    summarize,
)

PROBA = np.array(
    [
        [0.10, 0.20, 0.70],  # y=2, conf .70 correct -> bin 7
        [0.60, 0.30, 0.10],  # y=1, conf .60 wrong   -> bin 6
        [0.05, 0.90, 0.05],  # y=1, conf .90 correct -> bin 9
        [0.20, 0.75, 0.05],  # y=0, conf .75 wrong   -> bin 7
        [0.00, 0.00, 1.00],  # y=2, conf 1.0 correct -> last bin (9)
    ]
)
Y = np.array([2, 1, 1, 0, 2])


def test_hand_case() -> None:
    m = classification_metrics(Y, PROBA)
    assert m["accuracy"] == pytest.approx(0.6)
    # F1: DOWN 0 (1 fp, 1 fn), FLAT 0.5 (P = R = 1/2), UP 1
    assert (m["f1_down"], m["f1_flat"], m["f1_up"]) == pytest.approx((0.0, 0.5, 1.0))
    assert m["macro_f1"] == pytest.approx(0.5)
    assert m["confusion"] == [[0, 1, 0], [1, 1, 0], [0, 0, 2]]
    assert m["log_loss"] == pytest.approx(
        -(math.log(0.7) + math.log(0.3) + math.log(0.9) + math.log(0.2)) / 5
    )
    # ECE: bin6 1/5*|0-.6| + bin7 2/5*|.5-.725| + bin9 2/5*|1-.95| = .12 + .09 + .02
    assert m["ece"] == pytest.approx(0.23)
    assert m["class_counts"] == [1, 2, 2]


def test_calibration_bins_edges() -> None:
    bins = calibration_bins(PROBA, Y, n_bins=10)
    assert [b["count"] for b in bins] == [0, 0, 0, 0, 0, 0, 1, 2, 0, 2]
    assert bins[9]["confidence"] == pytest.approx(0.95) and bins[9]["accuracy"] == 1.0
    assert bins[0]["confidence"] is None and bins[0]["accuracy"] is None
    assert expected_calibration_error(PROBA, Y, n_bins=5) == pytest.approx(
        # 5 bins: [.6,.8): conf .6,.7,.75 acc 1/3 ; [.8,1]: conf .9,1.0 acc 1
        3 / 5 * abs(1 / 3 - (0.6 + 0.7 + 0.75) / 3) + 2 / 5 * abs(1 - 0.95)
    )


def test_against_sklearn_random() -> None:
    rng = np.random.default_rng(3)
    raw = rng.gamma(1.0, size=(500, 3))
    proba = raw / raw.sum(axis=1, keepdims=True)
    y = rng.choice(3, size=500, p=[0.2, 0.6, 0.2])
    m = classification_metrics(y, proba)
    pred = proba.argmax(axis=1)
    assert m["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert m["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro", labels=[0, 1, 2]))
    assert m["log_loss"] == pytest.approx(log_loss(y, proba, labels=[0, 1, 2]))
    assert m["confusion"] == confusion_matrix(y, pred, labels=[0, 1, 2]).tolist()


def test_missing_class_and_pred_only() -> None:
    y = np.array([1, 1, 2])
    m = classification_metrics(y, pred=np.array([1, 1, 1]))
    assert m["log_loss"] is None and m["ece"] is None and m["calibration"] is None
    assert m["macro_f1"] == pytest.approx(
        f1_score(y, [1, 1, 1], average="macro", labels=[0, 1, 2], zero_division=0)
    )
    with pytest.raises(ValueError):
        classification_metrics(np.array([0, 3]), pred=np.array([0, 1]))


def test_summarize_mean_std() -> None:
    s = summarize(
        [
            {"accuracy": 0.5, "macro_f1": 0.2, "log_loss": None, "ece": 0.1},
            {"accuracy": 0.7, "macro_f1": 0.4, "log_loss": None, "ece": 0.3},
        ]
    )
    assert s["accuracy_mean"] == pytest.approx(0.6) and s["accuracy_std"] == pytest.approx(0.1)
    assert s["log_loss_mean"] is None and s["ece_std"] == pytest.approx(0.1)
