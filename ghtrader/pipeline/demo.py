"""``make demo``: run the ghtrader_<var> DAG with ``dag.test()`` over a fixed sim range, then print
the wall time of every task, the model metrics table, the backtest table and the report path.

Run with the Airflow environment set (``eval "$(python -m ghtrader.pipeline.airflow_env)"``) and the
metadata DB migrated; the Makefile does both.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ghtrader.pipeline.airflow_env import REPO

console = Console(stderr=False, width=110)
# dag.test() runs tasks through Airflow's in-process API client, whose fastapi TestClient import warns
# about its own httpx use on every run: noise for a demo, nothing the user can act on.
warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient` is deprecated")


def demo_params() -> dict[str, dict[str, object]]:
    """The DAG's quick model params, with LightGBM on every core: ``dag.test`` runs one task at a time
    in this process, so its OpenMP threads have the machine to themselves (under Celery, where tasks
    share cores, the 1-thread default avoids spin-wait stalls). Same trees and predictions either way."""
    from ghtrader.pipeline.steps import QUICK_MODEL_PARAMS

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return {**QUICK_MODEL_PARAMS, "lgbm": {**QUICK_MODEL_PARAMS.get("lgbm", {}), "num_threads": cores}}


def run(var: str, start: str, end: str, seed: int) -> int:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    if bag.import_errors:
        console.print(f"[red]DAG import errors:[/red] {bag.import_errors}")
        return 1
    dag = bag.get_dag(f"ghtrader_{var}")
    t0 = time.perf_counter()
    conf = {
        "start": start,
        "end": end,
        "source": "sim",
        "seed": seed,
        "model_params": json.dumps(demo_params()),
    }
    dr = dag.test(run_conf=conf)
    wall = time.perf_counter() - t0
    console.print(f"ghtrader_{var} {start}..{end}: {dr.state} in {wall:.0f} s")  # (a table title would wrap)
    timings = Table()
    for col in ("task", "tries", "state", "seconds"):
        timings.add_column(col, justify="left" if col == "task" else "right")
    per_task: dict[str, list[float]] = {}
    states: dict[str, set[str]] = {}
    for ti in dr.get_task_instances():
        dur = (ti.end_date - ti.start_date).total_seconds() if ti.start_date and ti.end_date else 0.0
        per_task.setdefault(ti.task_id, []).append(dur)
        states.setdefault(ti.task_id, set()).add(str(ti.state))
    for task_id in [t.task_id for t in dag.topological_sort()]:
        durs = per_task.get(task_id, [])
        label = f"{task_id} [{len(durs)} mapped]" if len(durs) > 1 else task_id
        timings.add_row(
            label, str(len(durs)), ",".join(sorted(states.get(task_id, {"-"}))), f"{sum(durs):.1f}"
        )
    console.print(timings)
    if str(dr.state) != "success":
        return 1
    return report(var)


def report(var: str) -> int:
    from ghtrader.config import load_settings

    latest = Path(load_settings().runs_dir).resolve() / "reports" / f"latest_{var}.json"
    if not latest.exists():
        console.print(f"[red]no evaluation recorded at {latest}[/red]")
        return 1
    info = json.loads(latest.read_text())
    metrics = Table(title="walk-forward metrics (mean over splits)")
    for col in ("predictor", "kind", "accuracy", "macro-F1", "±", "log loss", "ECE", "µs/row"):
        metrics.add_column(col, justify="left" if col in ("predictor", "kind") else "right")

    def f(x: object, fmt: str = ".4f") -> str:
        return "—" if x is None else format(x, fmt)

    for r in info["table"]:
        metrics.add_row(
            r["name"],
            r["kind"],
            f(r.get("accuracy_mean")),
            f(r.get("macro_f1_mean")),
            f(r.get("macro_f1_std"), ".3f"),
            f(r.get("log_loss_mean")),
            f(r.get("ece_mean")),
            f(r.get("latency_us_per_row"), ".1f"),
        )
    console.print(metrics)
    bt = Table(title="backtest on the test days (CNY): tier 1 | tier 2 (queue position, latency)")
    cols = (
        "strategy",
        "net PnL",
        "fees",
        "Sharpe",
        "max DD",
        "trades",
        "T2 net PnL",
        "T2 fills",
        "fill ratio",
    )
    for col in (*cols, "queue s", "adverse 5s"):
        bt.add_column(col, justify="left" if col == "strategy" else "right")
    for name, m in info.get("backtests", {}).items():
        t2 = info.get("backtests_tier2", {}).get(name, {})
        bt.add_row(
            name,
            f(m.get("net_pnl"), ",.0f"),
            f(m.get("fees"), ",.0f"),
            f(m.get("sharpe"), ".2f"),
            f(m.get("max_drawdown"), ",.0f"),
            str(m.get("trade_count", m.get("trades", "—"))),
            f(t2.get("net_pnl"), ",.0f"),
            str(t2.get("fills", "—")),
            f(t2.get("fill_ratio"), ".2f"),
            f(t2.get("queue_wait_s_mean"), ".1f"),
            f(t2.get("adverse_5s_ticks"), ".2f"),
        )
    console.print(bt)
    console.print(f"best model: {info['best_model']} ({info['best_run_dir']})")
    log = latest.parent.parent / "promotion" / var / "decisions.jsonl"
    if log.exists():
        last = json.loads(log.read_text().splitlines()[-1])
        verdict = "PROMOTED" if last.get("promote") else "kept the champion (not promoted)"
        console.print(f"promotion: {verdict}; " + "; ".join(last.get("reasons", [])))
    console.print(f"report: {info['report']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--var", default="cu")
    ap.add_argument("--start", default="2025-03-03")
    ap.add_argument("--end", default="2025-03-28")
    ap.add_argument("--seed", type=int, default=20250303)
    ap.add_argument("--report-only", action="store_true")
    a = ap.parse_args(argv)
    return report(a.var) if a.report_only else run(a.var, a.start, a.end, a.seed)


if __name__ == "__main__":
    sys.exit(main())
