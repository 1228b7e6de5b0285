"""``ghtrader train`` on the small sim lake: JSON summary, artifact on disk, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from ghtrader.cli.models import parse_params, train
from ghtrader.models import load_artifact


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("train")(train)
    app.command("noop")(lambda: None)  # keep typer in multi-command mode, as in ghtrader.cli.main
    return app


def test_train_json(sim_data_dir: Path, tmp_path: Path) -> None:
    args = [
        "train",
        "--model",
        "lgbm",
        "--symbol",
        "KQ.m@SHFE.cu",
        "--horizon",
        "50",
        "--data-dir",
        str(sim_data_dir),
        "--runs-dir",
        str(tmp_path),
        "--min-train-days",
        "2",
        "--test-days",
        "1",
        "--train-stride",
        "50",
        "--param",
        "n_estimators=15",
        "--param",
        "num_leaves=15",
        "--json",
    ]
    res = CliRunner().invoke(_app(), args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    run_dir = Path(out["run_dir"])
    assert run_dir.parent == tmp_path / "models" / "KQ.m@SHFE.cu" / "lgbm" / "h50"
    assert 0 < out["metrics"]["macro_f1_mean"] < 1 and out["latency_us_per_row"] > 0
    assert out["baselines"]["oracle"]["available"] and "macro_f1_mean" in out["baselines"]["majority"]
    model, meta = load_artifact(run_dir)
    assert meta["params"]["n_estimators"] == 15 and model.params == meta["params"]


def test_train_errors_are_one_line(sim_data_dir: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        _app(), ["train", "--model", "nope", "--data-dir", str(sim_data_dir), "--runs-dir", str(tmp_path)]
    )
    assert res.exit_code == 1 and "unknown model 'nope'" in res.output
    res = CliRunner().invoke(_app(), ["train", "--data-dir", str(tmp_path / "empty")])
    assert res.exit_code == 1 and "no data lake" in res.output


def test_parse_params() -> None:
    assert parse_params(["a=1", "b=x", "c=0.5", "d=null"]) == {"a": 1, "b": "x", "c": 0.5, "d": None}
