"""Benchmark the model ladder on a 20-trading-day sim cu range (walk-forward, baselines, backtest).

Models: logistic, LightGBM, XGBoost and the deep zoo (DeepLOB, TCN, Transformer, TLOB, SSM) at the
``LADDER`` sizes below (windows of 50 ticks, capped epochs/windows so a 2-core CPU finishes); thresholds
are tuned inside each training fold. ``GHTRADER_BENCH_MODELS=logistic,lgbm`` restricts the list.

Run: ``.venv/bin/python benchmarks/bench_models.py [DATA_DIR]`` -> writes ``benchmarks/results/models.json``
and prints the metrics table and the report path. Data: sim cu 2025-03-03..2025-03-28, every listed
contract, built with ``ghtrader.testing.simlake`` into DATA_DIR (default: a temp dir; an existing build
of the same range is reused, so only the benchmark is timed on a second run). Runs/report go to
DATA_DIR/runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from ghtrader.evaluation import EvalConfig, benchmark
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.testing.simlake import build_sim_lake

START, END = dt.date(2025, 3, 3), dt.date(2025, 3, 28)
SYMBOL = "KQ.m@SHFE.cu"
MODELS = ["logistic", "lgbm", "xgboost", "deeplob", "tcn", "transformer", "tlob", "ssm"]
DEEP = {"seq_len": 50, "epochs": 4, "max_train_windows": 8000, "patience": 1}
LADDER: dict[str, dict] = {name: dict(DEEP) for name in ("deeplob", "tcn", "transformer", "tlob", "ssm")}
OUT = Path(__file__).resolve().parent / "results" / "models.json"


def main() -> None:
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="ghtrader-bench-"))
    t0 = time.perf_counter()
    build_sim_lake(data_dir, var="cu", start=START, end=END)
    t_lake = time.perf_counter() - t0
    book = ContractBook.load(TradingCalendar.bundled())
    stamps: list[tuple[str, float]] = []
    t1 = time.perf_counter()
    models = [m for m in os.environ.get("GHTRADER_BENCH_MODELS", ",".join(MODELS)).split(",") if m]
    result = benchmark(
        data_dir / "lake_v2",
        SYMBOL,
        models,
        params={m: LADDER[m] for m in models if m in LADDER},
        runs_dir=data_dir / "runs",
        book=book,
        config=EvalConfig(horizon=50),
        progress=lambda msg: stamps.append((msg, time.perf_counter() - t1)),
    )
    t_bench = time.perf_counter() - t1
    metrics = json.loads((result.report_dir / "metrics.json").read_text())
    timing = json.loads((result.report_dir / "timing.json").read_text())
    print(
        f"{'predictor':<12} {'kind':<10} {'acc':>7} {'macroF1':>8} {'±':>6} {'logloss':>8} {'ECE':>6} "
        f"{'µs/row':>7} {'train s':>8}"
    )
    for r in result.table:
        f = lambda v, d=4: "—" if v is None else f"{v:.{d}f}"  # noqa: E731
        print(
            f"{r['name']:<12} {r['kind']:<10} {f(r['accuracy_mean']):>7} {f(r['macro_f1_mean']):>8} "
            f"{f(r['macro_f1_std'], 3):>6} {f(r['log_loss_mean']):>8} {f(r['ece_mean']):>6} "
            f"{f(r.get('latency_us_per_row'), 1):>7} {f(r.get('train_seconds'), 1):>8}"
        )
    print(f"{'strategy':<12} {'net_pnl':>12} {'fees':>10} {'sharpe':>8} {'max_dd':>10} {'trades':>7}")
    for name, m in result.backtests.items():
        sharpe = "—" if m["sharpe"] is None else f"{m['sharpe']:.2f}"
        print(
            f"{name:<12} {m['net_pnl']:>12.0f} {m['fees']:>10.0f} {sharpe:>8} {m['max_drawdown']:>10.0f} "
            f"{m['trade_count']:>7}"
        )
    print(f"lake build {t_lake:.1f} s, benchmark {t_bench:.1f} s; report: {result.report_path}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "range": [START.isoformat(), END.isoformat()],
                "machine": {
                    "python": platform.python_version(),
                    "cpu": platform.processor() or platform.machine(),
                },
                "lake_build_s": t_lake,
                "benchmark_s": t_bench,
                "stages_s": stamps,
                "table": result.table,
                "backtests": result.backtests,
                "timing": timing,
                "splits": metrics["splits"],
                "config": metrics["config"],
                "models": metrics["models"],
                "decisions": metrics["decisions"],
                "report": str(result.report_path),
            },
            indent=2,
            default=str,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
