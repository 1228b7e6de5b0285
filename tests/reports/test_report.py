"""``ghtrader benchmark`` on the small sim lake: the HTML report, its plots and tables, and ``compare``."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ghtrader.cli.models import benchmark, compare
from ghtrader.evaluation import compare as compare_runs

ARGS = [
    "--symbol",
    "KQ.m@SHFE.cu",
    "--models",
    "logistic,lgbm",
    "--min-train-days",
    "2",
    "--test-days",
    "1",
    "--train-stride",
    "50",
    "--param",
    "lgbm.n_estimators=20",
    "--param",
    "lgbm.num_leaves=15",
    "--param",
    "logistic.max_iter=50",
]


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("benchmark")(benchmark)
    app.command("compare")(compare)
    return app


@pytest.fixture(scope="module")
def report(sim_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("runs")
    res = CliRunner().invoke(
        _app(), ["benchmark", *ARGS, "--data-dir", str(sim_data_dir), "--runs-dir", str(runs)]
    )
    assert res.exit_code == 0, res.output
    path = Path(res.stdout.strip().splitlines()[-1])
    assert path.is_file() and path.name == "report.html"
    assert path.parent.parent == runs / "reports" / "KQ.m@SHFE.cu"
    return path


def test_report_has_six_png_plots(report: Path) -> None:
    html = report.read_text()
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', html)
    assert [alt for alt, _ in images] == [
        "equity curve",
        "calibration diagram",
        "confusion matrix",
        "per-split macro-F1",
        "per-split log loss",
        "per-split net PnL",
    ]
    for _, b64 in images:
        assert base64.b64decode(b64)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "http" not in html.replace("https://", "").split("<body>")[0]  # self-contained head


def test_report_tables_and_metrics(report: Path) -> None:
    html = report.read_text()
    metrics = json.loads((report.parent / "metrics.json").read_text())
    names = [r["name"] for r in metrics["table"]]
    assert names == ["logistic", "lgbm", "majority", "oracle"]
    for name in names:
        assert f">{name}</td>" in html
    assert set(metrics["backtests"]) == {"logistic", "lgbm", "oracle"}
    for key in ("net_pnl", "sharpe", "max_drawdown", "trade_count"):
        assert key in html
    data = metrics["data"]
    assert data["data_hash"] in html and data["features"]["config_hash"] in html
    assert len(metrics["splits"]) == 5 and all(s["test"][0] in html for s in metrics["splits"])
    assert all(Path(report.parent.parent.parent.parent / r).is_dir() for r in metrics["runs"].values())


def test_compare_saved_runs(report: Path) -> None:
    metrics = json.loads((report.parent / "metrics.json").read_text())
    runs_dir = report.parents[3]
    model_dirs = [runs_dir / r for r in metrics["runs"].values()]
    rows = compare_runs([report.parent, *model_dirs])
    assert [r["name"] for r in rows[:4]] == ["logistic", "lgbm", "majority", "oracle"]
    by_model = {r["name"]: r for r in rows[4:] if r["kind"] == "model"}
    assert by_model["lgbm"]["macro_f1_mean"] == rows[1]["macro_f1_mean"]
    res = CliRunner().invoke(_app(), ["compare", str(report.parent), *map(str, model_dirs), "--json"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)["rows"]) == len(rows)
    bad = CliRunner().invoke(_app(), ["compare", str(runs_dir / "nope")])
    assert bad.exit_code == 1 and "no metrics.json" in bad.output
