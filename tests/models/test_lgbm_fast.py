"""LightGBM's single-row fast path (the trade runner's inference) equals the batch prediction bit for bit."""

from __future__ import annotations

import numpy as np

from ghtrader.models.tabular import LgbmModel


def test_predict_proba_one_fast_path_equals_batch() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3000, 40)).astype(np.float32)
    y = np.digitize(X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=len(X)), [-0.5, 0.5])
    X[rng.random(X.shape) < 0.05] = np.nan  # factors carry NaN; LightGBM routes it natively
    model = LgbmModel({"n_estimators": 30, "num_leaves": 15}).fit(X, y)
    batch = model.predict_proba(X[:500])
    one = np.stack([model.predict_proba_one(X[i : i + 1]) for i in range(500)])
    assert model._fast is not None  # the C fast path was used
    assert np.array_equal(one, batch)
    slow = np.stack([model.predict_proba_one(X[i : i + 1].astype(np.float64)) for i in range(50)])
    assert np.array_equal(slow, model.predict_proba(X[:50].astype(np.float64)))  # float64: Booster.predict


def test_fast_path_on_a_binary_booster() -> None:
    """Two classes seen in training: the booster is binary and the fast path keeps its output shape."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(2000, 12)).astype(np.float32)
    y = np.where(X[:, 0] > 0, 2, 1)  # FLAT / UP only
    model = LgbmModel({"n_estimators": 10, "num_leaves": 7}).fit(X, y)
    one = np.stack([model.predict_proba_one(X[i : i + 1]) for i in range(200)])
    assert model._fast is not None and np.array_equal(one, model.predict_proba(X[:200]))
    assert not one[:, 0].any()  # DOWN never seen: probability 0
