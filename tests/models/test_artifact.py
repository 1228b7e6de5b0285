"""Model registry and the artifact contract: round trip, integrity check, metadata."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ghtrader.datasets.xy import load_xy
from ghtrader.evaluation.data import available_days, data_provenance
from ghtrader.models import code_commit, load_artifact, make_model, model_names, save_artifact

SYMBOL = "KQ.m@SHFE.cu"
FAST = {
    "logistic": {"max_iter": 100},
    "lgbm": {"n_estimators": 15, "num_leaves": 15},
    "xgboost": {"n_estimators": 15, "max_depth": 4},
}


@pytest.fixture(scope="module")
def xy(sim_data_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lake = sim_data_dir / "lake_v2"
    days = available_days(lake, SYMBOL)
    d = load_xy(lake, SYMBOL, days[:3], horizon=50)
    return d.X[::40], d.y[::40], d.X[-2000:]


@pytest.mark.parametrize("name", ["logistic", "lgbm", "xgboost"])
def test_round_trip_predictions_equal(name: str, xy: tuple, tmp_path: Path, sim_data_dir: Path) -> None:
    X, y, X_new = xy
    model = make_model(name, FAST[name]).fit(X, y)
    proba = model.predict_proba(X_new)
    assert proba.shape == (len(X_new), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    lake = sim_data_dir / "lake_v2"
    prov = data_provenance(lake, SYMBOL, available_days(lake, SYMBOL)[:3], 50)
    save_artifact(tmp_path, model, {"data": prov, "code_commit": code_commit(), "metrics": {"x": 1}})
    loaded, meta = load_artifact(tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(X_new), proba)
    assert meta["model"] == name and meta["params"] == model.params
    assert meta["data"]["features"]["config_hash"] and meta["data"]["labels"]["config_hash"]
    assert len(meta["data"]["features"]["manifests"]) == 3
    assert meta["data"]["tick_schema_hash"] and meta["data"]["data_hash"]
    assert set(meta["files"]) == {"model.joblib"}


def test_tampered_or_unfinished_artifact_refused(xy: tuple, tmp_path: Path) -> None:
    X, y, _ = xy
    save_artifact(tmp_path, make_model("logistic", FAST["logistic"]).fit(X, y), {})
    (tmp_path / "model.joblib").write_bytes((tmp_path / "model.joblib").read_bytes() + b"x")
    with pytest.raises(ValueError, match="changed"):
        load_artifact(tmp_path)
    (tmp_path / "meta.json").unlink()
    with pytest.raises(FileNotFoundError):
        load_artifact(tmp_path)


@pytest.mark.parametrize("name", ["lgbm", "xgboost"])
def test_unseen_class_still_three_columns(name: str, xy: tuple) -> None:
    X, y, X_new = xy
    keep = y != 0
    model = make_model(name, FAST[name]).fit(X[keep], y[keep])
    proba = model.predict_proba(X_new)
    assert proba.shape == (len(X_new), 3) and np.all(proba[:, 0] == 0)
    one = getattr(model, "predict_proba_one", None)  # the trade runner's one-row path (binary booster)
    if one is not None:
        np.testing.assert_allclose(one(X_new[:1]), proba[0], rtol=0, atol=1e-12)


def test_xgboost_deterministic_and_served(xy: tuple, tmp_path: Path) -> None:
    from ghtrader.models.serving import load_serving_model

    X, y, X_new = xy
    a = make_model("xgboost", FAST["xgboost"]).fit(X, y).predict_proba(X_new)
    model = make_model("xgboost", FAST["xgboost"]).fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X_new), a)
    save_artifact(tmp_path, model, {"feature_names": [f"f_{i}" for i in range(X.shape[1])]})
    served = load_serving_model(tmp_path)
    assert served.input_kind == "rows" and len(served.columns) == X.shape[1]
    np.testing.assert_allclose(served.predict_proba(X_new), a, atol=1e-6)


def test_registry_errors() -> None:
    assert model_names() == ["deeplob", "lgbm", "logistic", "ssm", "tcn", "tlob", "transformer", "xgboost"]
    with pytest.raises(ValueError, match="unknown model"):
        make_model("xgb")
    with pytest.raises(ValueError, match="unknown params"):
        make_model("lgbm", {"n_trees": 3})
    with pytest.raises(ValueError, match="classes"):
        make_model("logistic").fit(np.zeros((3, 2)), np.array([0, 1, 5]))


def test_code_commit_never_fails(tmp_path: Path) -> None:
    assert code_commit(tmp_path) == "unknown"
    sha = code_commit()
    assert sha == "unknown" or len(sha) == 40
    json.dumps(sha)
