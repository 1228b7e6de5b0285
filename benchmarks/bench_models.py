"""The model ladder (issue 14) from one run: every model, 5 walk-forward splits, sim range and real fixture.

Run: ``.venv/bin/python benchmarks/bench_models.py [DATA_DIR]`` -> ``benchmarks/results/models.json`` and
``benchmarks/results/models.md`` (the tables), plus one HTML report per data set (paths printed and in
the JSON). ``GHTRADER_BENCH_MODELS=logistic,lgbm`` restricts the models. DATA_DIR (default: a temp dir)
holds the lakes and runs; an existing lake build of the same range is reused (the JSON records the
lake build time either way).

Two evaluations, same models, same metrics (macro-F1, log loss, ECE, tier-1 backtest net PnL after fees,
batch-1 latency: onnxruntime for deep models, native for tabular ones; train time), majority baseline and
oracle reference rows:

- **sim**: cu 2025-03-03..2025-03-28 (20 trading days, every listed contract, ~53k main_l5 ticks a day,
  ~1.06 M rows), horizon 50 ticks, 5 walk-forward splits of 1 test day after a 1-day purge (the first
  split trains on 14 days), thresholds tuned inside each training fold (``ghtrader.evaluation.decision``),
  tier-1 backtests only (no tier-2 replay).
- **real**: the real SHFE cu1909 L5 fixture (``../shared/data/real``; skipped with a reason when absent),
  one day of 200 snapshots: 5 row-block splits (``ghtrader.evaluation.intraday``), horizon 10 ticks
  (200 ticks leave 190 labelled rows; at 50 only 150, too few for 5 test blocks after a 50-row purge),
  thresholds tuned on an inner tail of each split's train rows. A smoke test on real bytes, not evidence.

Sizes (so the whole run, both lake builds included, stays within ~25 min on a 2-core box shared with
other jobs): tabular models at their defaults on every ``SIM_STRIDE``-th labelled train row; deep models
at their default architectures with windows of ``seq_len`` = 20 snapshots (not the default 100),
at most 6000 training windows per fit (evenly thinned in time), at most 3 epochs with early stopping
(patience 1) on the time-ordered validation tail, batch 128, one torch thread (real: 2 epochs). Each model is fitted 7
times on sim (5 splits, the inner tuning fit, the final all-days fit) and predicts every test-day tick.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ghtrader.evaluation import EvalConfig, benchmark
from ghtrader.evaluation.block_benchmark import BlockConfig, block_benchmark
from ghtrader.evaluation.ladder import markdown_table
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.testing import real_data_dir
from ghtrader.testing.reallake import build_real_lake
from ghtrader.testing.simlake import build_sim_lake

SYMBOL = "KQ.m@SHFE.cu"
MODELS = ("logistic", "lgbm", "xgboost", "deeplob", "tcn", "transformer", "tlob", "ssm")
DEEP_NAMES = ("deeplob", "tcn", "transformer", "tlob", "ssm")
SIM_STRIDE = 50
DEEP_SIM = {"seq_len": 20, "epochs": 3, "patience": 1, "max_train_windows": 6000, "batch_size": 128}
# 200 rows: a 10-row purge inside the deep trainer's validation split (its default 200 would eat it all)
DEEP_REAL = {"seq_len": 20, "epochs": 2, "patience": 1, "max_train_windows": 4000, "purge_rows": 10}
# ~100-170 train rows: the defaults' minimum leaf sizes (lgbm 50 rows) would allow almost no split
TAB_REAL = {"lgbm": {"min_child_samples": 5, "num_leaves": 15}, "xgboost": {"min_child_weight": 1.0}}
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class SimSpec:
    start: dt.date = dt.date(2025, 3, 3)
    end: dt.date = dt.date(2025, 3, 28)
    contracts: tuple[str, ...] | None = None  # None: every listed contract
    config: EvalConfig = field(
        default_factory=lambda: EvalConfig(horizon=50, n_splits=5, test_days=1, train_stride=SIM_STRIDE)
    )


def sim_params(models: Sequence[str], deep: dict[str, Any] = DEEP_SIM) -> dict[str, dict[str, Any]]:
    return {m: dict(deep) for m in models if m in DEEP_NAMES}


def real_params(models: Sequence[str], deep: dict[str, Any] = DEEP_REAL) -> dict[str, dict[str, Any]]:
    return {m: dict(deep) if m in DEEP_NAMES else dict(TAB_REAL.get(m, {})) for m in models}


def _stamp(t0: float, say: Callable[[str], None]) -> Callable[[str], None]:
    return lambda msg: say(f"[{time.perf_counter() - t0:7.1f} s] {msg}")


def run_sim(
    data_dir: Path,
    runs_dir: Path,
    models: Sequence[str],
    *,
    spec: SimSpec = SimSpec(),
    params: dict[str, dict[str, Any]] | None = None,
    latency_calls: int = 300,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    t0 = time.perf_counter()
    build_sim_lake(data_dir, var="cu", start=spec.start, end=spec.end, contracts=spec.contracts)
    t_lake = time.perf_counter() - t0
    stamps: list[tuple[str, float]] = []
    t1 = time.perf_counter()
    log = _stamp(t1, say)
    res = benchmark(
        data_dir / "lake_v2",
        SYMBOL,
        list(models),
        params=sim_params(models) if params is None else params,
        runs_dir=runs_dir,
        book=ContractBook.load(TradingCalendar.bundled()),
        config=spec.config,
        latency_calls=latency_calls,
        tier2=False,  # the ladder's PnL column is tier 1; tier-2 replays are bench_tier2_*'s (and cost time)
        progress=lambda m: (stamps.append((m, time.perf_counter() - t1)), log(f"sim: {m}")),
    )
    metrics = json.loads((res.report_dir / "metrics.json").read_text())
    return {
        "range": [spec.start.isoformat(), spec.end.isoformat()],
        "lake_build_s": t_lake,
        "benchmark_s": time.perf_counter() - t1,
        "stages_s": stamps,
        "table": res.table,
        "backtests": res.backtests,
        "backtests_per_split": metrics["backtests_per_split"],
        "splits": metrics["splits"],
        "config": metrics["config"],
        "models": metrics["models"],
        "decisions": metrics["decisions"],
        "report": str(res.report_path),
    }


def run_real(
    data_dir: Path,
    runs_dir: Path,
    models: Sequence[str],
    *,
    config: BlockConfig = BlockConfig(horizon=10, n_splits=5),
    params: dict[str, dict[str, Any]] | None = None,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    root = real_data_dir()
    if root is None:
        return {"skipped": "real data (../shared/data/real) not present"}
    t0 = time.perf_counter()
    build_real_lake(data_dir, root)
    t_lake = time.perf_counter() - t0
    t1 = time.perf_counter()
    log = _stamp(t1, say)
    res = block_benchmark(
        data_dir / "lake_v2",
        SYMBOL,
        list(models),
        runs_dir=runs_dir,
        book=ContractBook.load(TradingCalendar.bundled()),
        config=config,
        params=real_params(models) if params is None else params,
        progress=lambda m: log(f"real: {m}"),
    )
    return {
        "fixture": "SHFE.cu1909_ticks_20190912.csv (200 L5 snapshots, 10:33:27-10:53:03 CST)",
        "lake_build_s": t_lake,
        "benchmark_s": time.perf_counter() - t1,
        "table": res.table,
        "backtests": res.backtests,
        "splits": res.metrics["splits"],
        "config": res.metrics["config"],
        "models": res.metrics["models"],
        "decisions": res.metrics["decisions"],
        "report": str(res.report_path),
    }


def markdown(out: dict[str, Any]) -> str:
    parts = [
        "# Model ladder (benchmarks/bench_models.py)\n",
        f"Command: `{out['command']}`; wall {out['wall_s']:.0f} s on {out['machine']['cpus']} CPUs "
        f"(load average at start {out['machine']['loadavg_start']}, at end {out['machine']['loadavg_end']}).\n",
    ]
    sim = out["sim"]
    cfg = sim["config"]
    parts += [
        f"\n## Sim cu {sim['range'][0]} .. {sim['range'][1]} (horizon {cfg['horizon']}, "
        f"{cfg['n_splits']} walk-forward splits)\n",
        f"Lake build {sim['lake_build_s']:.0f} s, benchmark {sim['benchmark_s']:.0f} s. "
        f"Report: `{sim['report']}`.\n\n",
        markdown_table(sim["table"]),
        f"\nSizes: tabular models on every {out['sizes']['sim_stride']}th labelled train row; deep models "
        f"{json.dumps(out['sizes']['deep_sim'])} (architectures at their defaults). Latency: batch 1, one "
        "thread, p50 / p99 over the calls (machine load inflates p99).\n",
    ]
    real = out["real"]
    if "skipped" in real:
        parts.append(f"\n## Real SHFE fixture\n\nSkipped: {real['skipped']}.\n")
    else:
        parts += [
            f"\n## Real SHFE fixture: {real['fixture']} (horizon {real['config']['horizon']}, "
            f"{real['config']['n_splits']} row-block splits)\n",
            f"Lake build {real['lake_build_s']:.0f} s, benchmark {real['benchmark_s']:.0f} s. "
            f"Report: `{real['report']}`.\n\n",
            markdown_table(real["table"]),
            f"\nSizes: deep models {json.dumps(out['sizes']['deep_real'])}; tabular overrides "
            f"{json.dumps(out['sizes']['tab_real'])}.\n",
        ]
    return "".join(parts)


def run(
    data_dir: Path,
    *,
    models: Sequence[str] = MODELS,
    out_dir: Path = RESULTS,
    spec: SimSpec = SimSpec(),
    sim_param: dict[str, dict[str, Any]] | None = None,
    real_param: dict[str, dict[str, Any]] | None = None,
    latency_calls: int = 300,
    command: str = "",
    sim_dir: Path | None = None,
    real: bool = True,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Both evaluations; writes ``models.json`` and ``models.md`` under ``out_dir``; returns the JSON.

    ``sim_dir``: where the sim lake is built or reused (default ``data_dir/sim``); runs and reports go
    to ``data_dir/runs``. ``real=False`` skips the real fixture (recorded as skipped).
    """
    t0 = time.perf_counter()
    load0 = round(os.getloadavg()[0], 2)
    runs = data_dir / "runs"
    sim = run_sim(
        sim_dir or data_dir / "sim",
        runs,
        models,
        spec=spec,
        params=sim_param,
        latency_calls=latency_calls,
        say=say,
    )
    real_out = (
        run_real(data_dir / "real", runs, models, params=real_param, say=say)
        if real
        else {"skipped": "not requested"}
    )
    out = {
        "command": command,
        "wall_s": time.perf_counter() - t0,
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "loadavg_start": load0,
            "loadavg_end": round(os.getloadavg()[0], 2),
        },
        "sizes": {
            "sim_stride": SIM_STRIDE,
            "deep_sim": DEEP_SIM,
            "deep_real": DEEP_REAL,
            "tab_real": TAB_REAL,
        },
        "sim_spec": asdict(spec) | {"config": spec.config.to_dict()},
        "sim": sim,
        "real": real_out,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "models.json").write_text(json.dumps(out, indent=2, default=str) + "\n")
    (out_dir / "models.md").write_text(markdown(out))
    return out


def main() -> None:
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="ghtrader-bench-"))
    models = [m for m in os.environ.get("GHTRADER_BENCH_MODELS", ",".join(MODELS)).split(",") if m]
    out = run(data_dir, models=models, command=" ".join(["python", *sys.argv]))
    print(markdown(out))


if __name__ == "__main__":
    main()
