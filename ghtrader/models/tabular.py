"""Tabular models on the factor matrix: multinomial logistic regression, LightGBM and XGBoost.

Both wrap a scikit-learn-style estimator and share save/load (``model.joblib``, a pickle whose sha256
``meta.json`` pins, see ``ghtrader.models.base``). Traps:

- Class imbalance: at h=50 most rows are FLAT, and an unweighted model that maximizes likelihood
  almost never predicts DOWN/UP, which scores no better than the majority class on macro-F1. The
  default ``class_weight="balanced"`` trades calibration (log loss/ECE) for recall of the moves; set
  it to ``None`` for calibrated probabilities.
- Determinism: LightGBM runs with ``deterministic=True``, ``force_row_wise=True``, a fixed thread
  count and seed, so a rerun on the same rows gives bit-identical trees.
- Threads: LightGBM's OpenMP workers spin-wait; with ``num_threads=2`` on a 2-core box shared with
  other processes a 45k-row fit was measured at 37-130 s instead of 6 s single-threaded, so the
  default is 1 thread (raise it on a dedicated machine).
- XGBoost has no ``class_weight``: "balanced" becomes per-row sample weights n / (3 * count(class)).
  ``tree_method="hist"`` on CPU is deterministic for a fixed ``nthread`` and seed; ``device="cuda"`` is
  used only when torch sees a GPU (``device="auto"``), and that path is not exercised on CPU boxes.
- Features carry NaN (e.g. VWAP when nothing traded): LightGBM handles it natively, the logistic
  pipeline imputes the training median then standardizes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ghtrader.models.base import as_three_columns

MODEL_FILE = "model.joblib"


class SklearnModel:
    """Shared fit/predict/save/load of an estimator built from ``params`` by ``build``."""

    name: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, params: dict[str, Any] | None = None, estimator: Any = None) -> None:
        unknown = set(params or {}) - set(self.defaults)
        if unknown:
            raise ValueError(f"{self.name}: unknown params {sorted(unknown)}; known: {sorted(self.defaults)}")
        self.params: dict[str, Any] = {**self.defaults, **(params or {})}
        self.estimator = estimator

    def build(self) -> Any:
        raise NotImplementedError

    def fit(self, X: np.ndarray, y: np.ndarray) -> SklearnModel:
        y = np.asarray(y, dtype=np.int64)
        if len(y) == 0 or y.min() < 0 or y.max() > 2:
            raise ValueError("fit needs labelled rows with classes in {0, 1, 2}")
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            self.estimator = self.build().fit(np.asarray(X), y)
        for w in caught:  # lbfgs hitting max_iter is expected on noisy ticks: log it, do not spam stderr
            if issubclass(w.category, ConvergenceWarning):
                logging.getLogger(__name__).info("%s: %s", self.name, str(w.message).splitlines()[0])
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probabilities (n, 3) for DOWN/FLAT/UP; a class unseen in training gets probability 0."""
        if self.estimator is None:
            raise ValueError(f"{self.name}: model is not fitted")
        X = np.asarray(X)
        if len(X) == 0:
            return np.zeros((0, 3))
        proba = np.asarray(self.estimator.predict_proba(X), dtype=np.float64)  # float32 in -> float32 out
        return as_three_columns(proba / proba.sum(axis=1, keepdims=True), self._classes())

    def _classes(self) -> np.ndarray:
        return np.asarray(self.estimator.classes_)

    def save(self, directory: Path) -> list[str]:
        import joblib

        joblib.dump(self.estimator, Path(directory) / MODEL_FILE, compress=3)
        return [MODEL_FILE]

    @classmethod
    def load(cls, directory: Path, params: dict[str, Any]) -> SklearnModel:
        """Unpickle ``model.joblib``; call through ``load_artifact`` (it verifies the sha256 first)."""
        import joblib

        return cls(params, joblib.load(Path(directory) / MODEL_FILE))


class LogisticModel(SklearnModel):
    """Multinomial logistic regression (lbfgs) after median imputation and standardization."""

    name: ClassVar[str] = "logistic"
    defaults: ClassVar[dict[str, Any]] = {"C": 1.0, "max_iter": 200, "class_weight": "balanced", "tol": 1e-4}

    def build(self) -> Any:
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        p = self.params
        clf = LogisticRegression(
            C=p["C"], max_iter=p["max_iter"], class_weight=p["class_weight"], tol=p["tol"]
        )
        return Pipeline(
            [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler()), ("clf", clf)]
        )


class LgbmModel(SklearnModel):
    """LightGBM multiclass gradient-boosted trees, deterministic on a fixed thread count."""

    name: ClassVar[str] = "lgbm"
    _fast: Any = False  # single-row predictor: False until the first predict_proba_one, None if unavailable
    defaults: ClassVar[dict[str, Any]] = {
        "num_leaves": 127,
        "learning_rate": 0.1,
        "n_estimators": 100,
        "min_child_samples": 50,
        "class_weight": "balanced",
        "colsample_bytree": 0.8,
        "reg_lambda": 1.0,
        "seed": 7,
        "num_threads": 1,
    }

    def build(self) -> Any:
        from lightgbm import LGBMClassifier

        p = self.params
        return LGBMClassifier(
            num_leaves=p["num_leaves"],
            learning_rate=p["learning_rate"],
            n_estimators=p["n_estimators"],
            min_child_samples=p["min_child_samples"],
            class_weight=p["class_weight"],
            colsample_bytree=p["colsample_bytree"],
            reg_lambda=p["reg_lambda"],
            random_state=p["seed"],
            n_jobs=p["num_threads"],
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        import warnings

        with warnings.catch_warnings():  # fitted on an ndarray: "X does not have valid feature names"
            warnings.simplefilter("ignore", UserWarning)
            return super().predict_proba(X)

    def predict_proba_one(self, X: np.ndarray) -> np.ndarray:
        """``predict_proba(X)[0]`` for one row without the scikit-learn wrapper's validation (~2 ms
        per call): the same booster, the same normalization, so the numbers are identical. A float32
        row goes through LightGBM's single-row fast path (``ghtrader.models.lgbm_fast``)."""
        if self.estimator is None:
            raise ValueError(f"{self.name}: model is not fitted")
        row = np.asarray(X).reshape(1, -1)
        fast = self._fast
        if fast is False:  # first call: set up the fast path once (None where it is unavailable)
            from ghtrader.models.lgbm_fast import fast_single_row

            # one row: extra threads only add wake-ups, whatever the model was trained with
            fast = self._fast = fast_single_row(self.estimator.booster_, 1)
        if fast is not None and row.dtype == np.float32:
            raw = fast.predict(row)
        else:
            raw = self.estimator.booster_.predict(row, num_threads=1)
        proba = np.asarray(raw, dtype=np.float64)
        if proba.ndim == 1:  # two classes seen: a binary booster returns P(second class) only
            proba = np.column_stack([1.0 - proba, proba])
        return as_three_columns(proba / proba.sum(axis=1, keepdims=True), self._classes())[0]


def balanced_weights(y: np.ndarray) -> np.ndarray:
    """Per-row weights n / (k * count(class)), the sklearn ``class_weight="balanced"`` rule."""
    y = np.asarray(y, dtype=np.int64)
    counts = np.bincount(y, minlength=3).astype(np.float64)
    present = counts > 0
    w = np.zeros(3)
    w[present] = len(y) / (present.sum() * counts[present])
    return w[y]


def _xgb_device(choice: str) -> str:
    if choice != "auto":
        return choice
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover - torch is part of the ml extra
        return "cpu"


class XgbModel(SklearnModel):
    """XGBoost multiclass boosted trees (hist), deterministic on a fixed thread count; CUDA when present."""

    name: ClassVar[str] = "xgboost"
    defaults: ClassVar[dict[str, Any]] = {
        "max_depth": 6,
        "learning_rate": 0.1,
        "n_estimators": 100,
        "min_child_weight": 5.0,
        "subsample": 1.0,
        "colsample_bytree": 0.8,
        "reg_lambda": 1.0,
        "class_weight": "balanced",
        "seed": 7,
        "num_threads": 1,
        "device": "auto",
    }

    def build(self) -> Any:
        from xgboost import XGBClassifier

        p = self.params
        return XGBClassifier(
            tree_method="hist",
            device=_xgb_device(p["device"]),
            max_depth=p["max_depth"],
            learning_rate=p["learning_rate"],
            n_estimators=p["n_estimators"],
            min_child_weight=p["min_child_weight"],
            subsample=p["subsample"],
            colsample_bytree=p["colsample_bytree"],
            reg_lambda=p["reg_lambda"],
            random_state=p["seed"],
            n_jobs=p["num_threads"],
        )  # objective inferred from the classes seen (softprob for 3, logistic for 2)

    def fit(self, X: np.ndarray, y: np.ndarray) -> XgbModel:
        """XGBoost needs classes 0..k-1: seen classes are remapped, then placed back in ``predict_proba``."""
        y = np.asarray(y, dtype=np.int64)
        if len(y) == 0 or y.min() < 0 or y.max() > 2:
            raise ValueError("fit needs labelled rows with classes in {0, 1, 2}")
        classes = np.unique(y)
        weight = balanced_weights(y) if self.params["class_weight"] == "balanced" else None
        est = self.build()
        est.fit(np.asarray(X), np.searchsorted(classes, y), sample_weight=weight)
        est.ghtrader_classes_ = classes  # pickled with the estimator
        self.estimator = est
        return self

    def _classes(self) -> np.ndarray:
        return np.asarray(self.estimator.ghtrader_classes_)
