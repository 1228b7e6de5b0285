"""Trade runner tick -> decision latency with a LightGBM champion on the ``full`` factor set (one core).

Run: ``.venv/bin/python benchmarks/bench_trade.py [DATA_DIR] [--profile]`` -> ``benchmarks/results/trade.json``.
Data: 3 sim cu days (``ghtrader.testing.simlake``; an existing build is reused). The model is a default
``LgbmModel`` (100 rounds x 3 classes, 127 leaves) trained on the ``full`` set (226 factors) of the first
two days against their ``y_50`` labels, saved as an artifact and loaded the way the runner loads its
champion (``load_from_pointer``: sha256 and input-hash checks, ``load_serving_model``); the runner then
decides every tick of the third day in sim mode, pinned to one CPU. Reported: p50/p90/p99/max of the
runner's tick -> decision time (account fills, kill checks, factors, inference, signal, target), and
where the time goes (each stage timed alone on the same ticks: factors, inference through the
runner's ``Predictor``, signal, the sim account's tick), plus the per-tick cost of routing and the
event-log append that follow the decision. The runner pass is repeated with the thread's CPU clock
(``tick_to_decision_cpu_us``): on a shared, loaded box the wall-clock tail is preemption by other
processes, which the CPU clock leaves out. ``--profile`` adds a cProfile of the runner loop.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import json
import os
import platform
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ghtrader.backtest.champion import backtest_config_from, load_main_ticks, tick_flags
from ghtrader.backtest.signals import OnlineSignal
from ghtrader.datasets.xy import partition_dir, read_partition
from ghtrader.features.build import per_row_spec
from ghtrader.features.engine import FactorState, OnlineFactorEngine, compute_matrix, tick_inputs
from ghtrader.features.registry import feature_columns
from ghtrader.features.sets import feature_set
from ghtrader.labels.core import LabelConfig
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.clock import SessionClock
from ghtrader.market.contracts import ContractBook
from ghtrader.market.sessions import variety_sessions
from ghtrader.models.base import save_artifact
from ghtrader.models.tabular import LgbmModel
from ghtrader.store.lake import ParquetLake
from ghtrader.testing.simlake import build_sim_lake
from ghtrader.trade.account import SimAccount
from ghtrader.trade.champion import Expected, load_from_pointer
from ghtrader.trade.eventlog import EventLog
from ghtrader.trade.predict import Predictor
from ghtrader.trade.replay import market_ticks
from ghtrader.trade.risk import RiskEngine, RiskLimits
from ghtrader.trade.runner import Hooks, RunnerConfig, TradeRunner

START, END = dt.date(2025, 3, 10), dt.date(2025, 3, 12)
SYMBOL = "KQ.m@SHFE.cu"
OUT = Path(__file__).resolve().parent / "results" / "trade.json"
MAX_TICKS = int(os.environ.get("GHTRADER_BENCH_TICKS", "20000"))


def pct(xs: list[float]) -> dict[str, float]:
    us = np.asarray(xs) * 1e6
    return {k: float(np.percentile(us, q)) for k, q in (("p50", 50), ("p90", 90), ("p99", 99))} | {
        "max": float(us.max()),
        "n": len(us),
    }


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one CPU core
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    data_dir = Path(args[0]) if args else Path(tempfile.mkdtemp(prefix="ghtrader-bench-"))
    build_sim_lake(data_dir, var="cu", start=START, end=END, contracts=("SHFE.cu2504", "SHFE.cu2505"))
    lake = ParquetLake(data_dir / "lake_v2")
    book = ContractBook.load(TradingCalendar.bundled())
    full = feature_set("full")
    days = [dt.date(2025, 3, 10), dt.date(2025, 3, 11)]
    train = load_main_ticks(lake, SYMBOL, days[0], days[-1])
    pt, vm = per_row_spec(train, book)
    X = compute_matrix(*tick_inputs(train, pt, vm), full, FactorState.fresh(full)).astype(np.float32)
    y = np.concatenate(
        [
            read_partition(partition_dir(lake.root, "labels", SYMBOL, d), ["y_50"])["y_50"].to_numpy(
                zero_copy_only=False
            )
            for d in days
        ]
    ).astype(np.float64)
    n = min(len(X), len(y))  # labels are computed row by row on the same main_l5 rows
    X, y = X[:n], y[:n]
    ok = ~np.isnan(y)
    t0 = time.perf_counter()
    model = LgbmModel().fit(X[ok][::4], y[ok][::4].astype(np.int64))
    fit_s = time.perf_counter() - t0
    labels = LabelConfig()
    meta = {
        "run_id": "bench",
        "model": "lgbm",
        "feature_names": feature_columns(full),
        "signal": {"threshold": 0.3, "max_pos": 1, "hold": True},
        "data": {"features": {"config_hash": full.hash}, "labels": {"config_hash": labels.hash}},
    }
    expected = Expected(full, labels)
    art = data_dir / "bench_trade_model"
    save_artifact(art, model, meta)
    champ = load_from_pointer({"path": str(art), "run_id": "bench"}, expected)
    day = END
    ticks = load_main_ticks(lake, SYMBOL, day, day).iloc[:MAX_TICKS].reset_index(drop=True)
    last, nxt = tick_flags(ticks, backtest_config_from(meta))
    mts = list(market_ticks(ticks, book, last, nxt))

    def run(perf: Callable[[], float], profile: bool) -> tuple[list[float], float]:
        """The runner over every tick: (tick -> decision times by ``perf``, mean wall time per whole tick)."""
        lat: list[float] = []

        class H(Hooks):
            def latency(self, seconds: float) -> None:
                lat.append(seconds)

        log_dir = data_dir / "bench_trade_run"
        for p in log_dir.glob("*"):
            p.unlink()
        runner = TradeRunner(
            RunnerConfig(run_id="bench", var="cu", symbol=SYMBOL, mode="sim"), champ, expected, SimAccount(book),
            RiskEngine(RiskLimits()), EventLog.open(log_dir), SessionClock(book.calendar, variety_sessions("cu")),
            hooks=H(), perf=perf,
        )  # fmt: skip
        runner.start()
        prof = cProfile.Profile() if profile else None
        if prof is not None:
            prof.enable()
        t0 = time.perf_counter()
        for t in mts:
            runner.on_tick(t)
        per_tick = (time.perf_counter() - t0) / len(mts)
        if prof is not None:
            prof.disable()
            pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(15)
        runner.log.close()
        return lat, per_tick

    lat, per_tick_total = run(time.perf_counter, "--profile" in sys.argv)
    cpu, _ = run(time.thread_time, False)  # CPU time of this thread: what preemption by other load hides
    # where the time goes: each stage alone over the same ticks
    eng = OnlineFactorEngine(full, price_tick=10.0, volume_multiple=5.0)
    f_t, p_t, s_t, a_t = [], [], [], []
    sig = OnlineSignal(threshold=0.3, max_pos=1, hold=True)
    pred = Predictor(champ, tuple(feature_columns(full)))
    acct = SimAccount(book)
    for t in mts:
        a = time.perf_counter()
        f = eng.update_values(t.x, t.datetime_ns, t.day_key, t.segment)
        b = time.perf_counter()
        p = pred.step(f, t, True)
        c = time.perf_counter()
        sig.step(p, (t.trading_day, t.segment))
        d = time.perf_counter()
        acct.on_tick(t)
        acct.end_tick(t)
        e = time.perf_counter()
        f_t.append(b - a)
        p_t.append(c - b)
        s_t.append(d - c)
        a_t.append(e - d)
    out = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "cpu_affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_avg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "feature_set": "full",
        "n_factors": len(feature_columns(full)),
        "model": {"name": "lgbm", "params": model.params, "fit_s": fit_s, "train_rows": int(ok[::4].sum())},
        "ticks": len(mts),
        "tick_to_decision_us": pct(lat),
        "tick_to_decision_cpu_us": pct(cpu),
        "stages_us": {
            "factors": pct(f_t),
            "inference": pct(p_t),
            "signal": pct(s_t),
            "sim_account": pct(a_t),
        },
        "whole_tick_incl_event_log_us_mean": per_tick_total * 1e6,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=2) + "\n")
    keys = (
        "tick_to_decision_us",
        "tick_to_decision_cpu_us",
        "stages_us",
        "whole_tick_incl_event_log_us_mean",
    )
    print(json.dumps({k: out[k] for k in (*keys, "load_avg_1m")}, indent=2))


if __name__ == "__main__":
    main()
