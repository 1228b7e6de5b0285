"""The deep zoo: train, save, load (sha256-verified), export, TorchScript/onnxruntime parity, serving."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ghtrader.models import load_artifact, make_model, save_artifact
from ghtrader.models.serving import load_serving_model
from ghtrader.testing.deep import DEEP_MODELS, BookWindows, book_windows, tiny_params

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")


@pytest.fixture(scope="session")
def windows(sim_data_dir: Path) -> BookWindows:
    return book_windows(sim_data_dir / "lake_v2")


@pytest.fixture(scope="session")
def trained(windows: BookWindows, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each deep model trained once on tiny windows and saved as an artifact (shared by the session)."""
    out = {}
    for name in DEEP_MODELS:
        model = make_model(name, tiny_params(name)).fit(windows.train, windows.y[windows.train.ends])
        d = tmp_path_factory.mktemp(f"deep_{name}")
        save_artifact(
            d, model, {"feature_names": list(windows.train.columns), "decision": {"threshold": 0.25}}
        )
        out[name] = d
    return out


def _real_windows(real_data: Path, seq_len: int, n: int = 64) -> np.ndarray:
    from ghtrader.market.calendar import TradingCalendar
    from ghtrader.models.deep.inputs import book_rows
    from ghtrader.sources.csv import read_tick_csv
    from ghtrader.testing import real_tick_csv

    ticks, _ = read_tick_csv(real_tick_csv(real_data), calendar=TradingCalendar.bundled())
    rows = book_rows(ticks)
    assert len(rows) >= n + seq_len and not np.isnan(rows[:, :4]).all()
    start = len(rows) // 2
    return np.stack([rows[start + i : start + i + seq_len] for i in range(n)])


@pytest.mark.parametrize("name", DEEP_MODELS)
def test_round_trip_export_and_parity(name: str, trained: dict[str, Path], windows: BookWindows) -> None:
    d = trained[name]
    model, meta = load_artifact(d)
    assert set(meta["files"]) == {"net.pt", "model.ts", "model.onnx", "deep.json"}
    assert meta["params"]["arch"].items() >= tiny_params(name)["arch"].items()
    assert model.params == meta["params"]
    sample = windows.every_row.subset(np.arange(0, len(windows.every_row), 997))
    proba = model.predict_proba(sample)
    assert proba.shape == (len(sample), 3) and np.allclose(proba.sum(axis=1), 1.0)
    xb, _ = sample.batch(np.arange(len(sample)))
    for backend in ("onnx", "torchscript"):
        served = load_serving_model(d, backend=backend)
        assert served.input_kind == "windows" and served.seq_len == 12 and served.threshold == 0.25
        assert np.abs(served.predict_proba(xb) - proba).max() <= 1e-5
        assert np.abs(served.predict_proba(xb[0]) - proba[:1]).max() <= 1e-5  # batch 1


@pytest.mark.realdata
@pytest.mark.parametrize("name", DEEP_MODELS)
def test_onnx_parity_on_real_fixture_windows(name: str, trained: dict[str, Path], real_data: Path) -> None:
    x = _real_windows(real_data, 12)
    model, _ = load_artifact(trained[name])
    served = load_serving_model(trained[name])
    assert np.abs(served.predict_proba(x) - model.predict_proba(x)).max() <= 1e-5


def test_tampered_onnx_refused(trained: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    d = tmp_path / "a"
    shutil.copytree(trained["tcn"], d)
    (d / "model.onnx").write_bytes((d / "model.onnx").read_bytes() + b"\0")
    with pytest.raises(ValueError, match="changed"):
        load_serving_model(d)
    with pytest.raises(ValueError, match="changed"):
        load_artifact(d)


def test_same_seed_same_model(windows: BookWindows, trained: dict[str, Path]) -> None:
    again = make_model("tcn", tiny_params("tcn")).fit(windows.train, windows.y[windows.train.ends])
    first, _ = load_artifact(trained["tcn"])
    assert (
        again.info["train"]["history"]
        == json.loads((trained["tcn"] / "deep.json").read_text())["train"]["history"]
    )
    sample = windows.every_row.subset(np.arange(0, len(windows.every_row), 4001))
    np.testing.assert_array_equal(again.predict_proba(sample), first.predict_proba(sample))


def test_training_report_and_early_stopping(trained: dict[str, Path]) -> None:
    info = json.loads((trained["deeplob"] / "deep.json").read_text())["train"]
    assert info["n_val"] > 0 and info["n_train"] > 0 and 1 <= info["epochs_run"] <= 2
    assert 0 <= info["best_epoch"] < info["epochs_run"]
    assert info["best_val_loss"] == min(h["val_loss"] for h in info["history"])


def test_params_validation() -> None:
    with pytest.raises(ValueError, match="unknown params"):
        make_model("tcn", {"hidden": 3})
    with pytest.raises(ValueError, match="unknown arch"):
        make_model("tcn", {"arch": {"dim": 3}})
    assert make_model("deeplob").params["inputs"] == "book"
    assert make_model("ssm").params["seq_len"] == 100
