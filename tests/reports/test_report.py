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


TIER2_KEYS = (
    "net_pnl",
    "fees",
    "fills",
    "fill_ratio",
    "queue_wait_s_mean",
    "adverse_5s_ticks",
    "adverse_30s_ticks",
)


def test_report_shows_tier1_and_tier2_per_strategy(report: Path) -> None:
    from ghtrader.reports.html import _fmt

    html = report.read_text()
    metrics = json.loads((report.parent / "metrics.json").read_text())
    t2 = metrics["backtests_tier2"]
    assert set(t2) == set(metrics["backtests"]) == {"logistic", "lgbm", "oracle"}
    assert metrics["tier2"]["queue_model"] == "risk_averse" and metrics["tier2"]["order_type"] == "fak"
    for m in t2.values():
        assert all(k in m for k in TIER2_KEYS) and m["fees"] >= 0
    assert t2["oracle"]["fills"] > 0 and 0 < t2["oracle"]["fill_ratio"] <= 1
    section = html.split("tier 1 vs tier 2")[1].split("<h2>")[0]
    headers = ("net PnL (CNY) T1", "net PnL (CNY) T2", "fills T1", "fills T2", "orders filled T2",
               "fill ratio T2", "queue wait (s) T2", "adverse 5 s (ticks) T2")  # fmt: skip
    for header in headers:
        assert f">{header}</th>" in section
    oracle_row = section.split(">oracle</td>")[1].split("</tr>")[0]
    assert (
        f">{_fmt(t2['oracle']['net_pnl'])}<" in oracle_row and f">{t2['oracle']['fill_rows']}<" in oracle_row
    )
    # the model runs carry the same tier-2 figures (what the promotion gate reads)
    runs_dir = report.parents[3]
    for name, rel in metrics["runs"].items():
        meta = json.loads((runs_dir / rel / "meta.json").read_text())
        assert meta["metrics"]["backtest_tier2"] == t2[name]
        assert json.loads((runs_dir / rel / "timing.json").read_text())["tier2_seconds"] > 0


def test_evaluate_runs_renders_the_same_tiers(report: Path, sim_data_dir: Path, book) -> None:  # noqa: ANN001
    """The DAG's evaluate step (trained runs, no retraining) reports the same tier-2 figures."""
    from ghtrader.evaluation.from_runs import evaluate_runs
    from ghtrader.evaluation.walkforward import EvalConfig

    metrics = json.loads((report.parent / "metrics.json").read_text())
    runs_dir = report.parents[3]
    res = evaluate_runs(
        sim_data_dir / "lake_v2",
        "KQ.m@SHFE.cu",
        [runs_dir / r for r in metrics["runs"].values()],
        runs_dir=runs_dir,
        book=book,
        config=EvalConfig(**metrics["config"]),
    )
    assert res.backtests_tier2 == metrics["backtests_tier2"]
    assert "fill ratio T2" in res.report_path.read_text()
    again = json.loads((res.report_dir / "metrics.json").read_text())
    assert again["backtests_tier2"] == metrics["backtests_tier2"]


def test_tier2_off_says_so() -> None:
    from ghtrader.reports.tiers import tiers_section

    assert "not run" in tiers_section({"tier2": None, "backtests": {}})
