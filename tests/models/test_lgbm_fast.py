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


def test_thread_count_changes_nothing_but_speed() -> None:
    """The demo trains LightGBM on every core (``ghtrader.pipeline.demo.demo_params``), the nightly DAG
    on one: with ``deterministic`` + ``force_row_wise`` both give the same trees and probabilities,
    and the single-row path stays on one thread whatever the model was trained with."""
    from ghtrader.pipeline.demo import demo_params

    rng = np.random.default_rng(7)
    X = rng.normal(size=(4000, 20)).astype(np.float32)
    y = np.digitize(X[:, 0] - X[:, 2] + rng.normal(scale=0.7, size=len(X)), [-0.5, 0.5])
    one = LgbmModel({"n_estimators": 25, "num_leaves": 31, "num_threads": 1}).fit(X, y)
    two = LgbmModel({"n_estimators": 25, "num_leaves": 31, "num_threads": 2}).fit(X, y)
    trees = [m.estimator.booster_.model_to_string().split("\nparameters:")[0] for m in (one, two)]
    assert len(trees[0]) > 10_000 and trees[0] == trees[1]  # the params block records num_threads
    assert np.array_equal(one.predict_proba(X), two.predict_proba(X))
    assert np.array_equal(two.predict_proba_one(X[:1]), one.predict_proba(X[:1])[0])
    params = demo_params()
    assert params["lgbm"]["num_threads"] >= 1 and params["logistic"] == {"max_iter": 50}
