"""``block_benchmark``: the model ladder over row-block splits of one short series (``intraday``).

Writes ``runs_dir/reports/<symbol>/rows-<id>/`` with ``metrics.json`` (no timing figures, so it is
reproducible) and the same HTML report as ``benchmark`` (tables, per-split plots, decision table).
Model artifacts are not written: the fixture is far too short for a model worth keeping.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.evaluation.backtest import SignalConfig, load_ticks
from ghtrader.evaluation.data import load_eval_data, stable_hash
from ghtrader.evaluation.intraday import (
    BlockConfig,
    RowSplit,
    _baselines,
    _Block,
    _evaluate,
    _positions,
    row_splits,
)
from ghtrader.market.contracts import ContractBook
from ghtrader.models.registry import make_model
from ghtrader.store.lake import ParquetLake


@dataclass(frozen=True)
class BlockResult:
    eval_id: str
    report_dir: Path
    table: list[dict[str, Any]]
    backtests: dict[str, dict[str, Any]]
    metrics: dict[str, Any]

    @property
    def report_path(self) -> Path:
        return self.report_dir / "report.html"


def _split_doc(b: _Block, s: RowSplit) -> dict[str, list[str]]:
    """Each range as ``["rows a–b", "HH:MM:SS.fff–HH:MM:SS.fff"]`` (Beijing time) for the report."""
    ns = b.data.xy.meta["datetime_ns"].to_numpy(np.int64)

    def doc(lo: int, hi: int) -> list[str]:
        if hi <= lo:
            return ["none"]
        t = pd.to_datetime(ns[[lo, hi - 1]], utc=True).tz_convert("Asia/Shanghai").strftime("%H:%M:%S.%f")
        return [f"rows {lo}–{hi - 1}", f"{t[0][:-3]}–{t[1][:-3]}"]

    return {"train": doc(*s.train), "purge": doc(*s.purge), "test": doc(*s.test)}


def block_benchmark(
    lake_root: Path,
    symbol: str,
    models: Sequence[str],
    *,
    runs_dir: Path,
    book: ContractBook,
    config: BlockConfig = BlockConfig(),
    params: dict[str, dict[str, Any]] | None = None,
    signal: SignalConfig = SignalConfig(),
    backtest_config: Any = None,
    progress: Callable[[str], None] | None = None,
) -> BlockResult:
    """Evaluate ``models`` on row-block splits of every row of ``symbol``; write metrics.json + report."""
    from ghtrader.backtest import BacktestConfig
    from ghtrader.evaluation.ladder import add_backtest_columns
    from ghtrader.evaluation.runs import safe_symbol, write_json
    from ghtrader.evaluation.session import row as _row
    from ghtrader.reports.html import write_report

    say, params = progress or (lambda _m: None), params or {}
    for name in models:
        make_model(name, params.get(name))  # unknown names / params fail before any data is read
    data = load_eval_data(lake_root, symbol, horizon=config.horizon)
    ticks = load_ticks(ParquetLake(lake_root), symbol, sorted(set(data.xy.days)))
    keys = data.xy.meta["datetime_ns"].to_numpy(np.int64)
    bt_cfg = backtest_config or BacktestConfig()
    b = _Block(
        data, row_splits(len(keys), config), ticks, _positions(ticks, keys), keys, book, signal, bt_cfg
    )
    evals = {}
    for name in models:
        say(f"row-block walk-forward {name}")
        evals[name] = _evaluate(b, name, params.get(name), config)
    baselines, oracle_bt = _baselines(b, config)
    table = [
        _row(n, "model", e["scores"])
        | e["latency"]
        | {"train_seconds": float(sum(e["fit_seconds"])), "reason": e["note"]}
        for n, e in evals.items()
    ]
    table += [_row(n, "baseline" if n == "majority" else "reference", s) for n, s in baselines.items()]
    backtests = {n: e["backtest"] for n, e in evals.items()}
    equity = {n: e["equity"] for n, e in evals.items()}
    if oracle_bt:
        backtests["oracle"], equity["oracle"] = oracle_bt["metrics"], oracle_bt["equity"]
    decisions = {n: e["decision"] for n, e in evals.items()}
    table = add_backtest_columns(table, backtests, decisions)
    settings = {
        "models": {n: e["params"] for n, e in evals.items()},
        "config": config.to_dict(),
        "signal": signal.to_dict(),
        "backtest": dict(bt_cfg.as_dict()),
    }
    eval_id = "rows-" + stable_hash({**settings, "data": data.data_hash, "symbol": symbol}, 12)
    report_dir = Path(runs_dir) / "reports" / safe_symbol(symbol) / eval_id
    timing = ("latency_b1_p50_us", "latency_b1_p99_us", "latency_b1_backend", "train_seconds")
    metrics = {
        "eval_id": eval_id,
        "symbol": symbol,
        "horizon": config.horizon,
        "split_unit": "rows",
        **settings,
        "splits": [_split_doc(b, s) for s in b.splits],
        "table": [{k: v for k, v in r.items() if k not in timing} for r in table],
        "scores": {
            n: {"per_split": e["scores"].per_split, "pooled": e["scores"].pooled} for n, e in evals.items()
        },
        "baselines": {n: s.to_dict() for n, s in baselines.items()},
        "backtests": backtests,
        "backtests_per_split": {n: m["per_split_net_pnl"] for n, m in backtests.items()},
        "decisions": decisions,
        "runs": {},
        "data": data.provenance,
    }
    write_json(report_dir / "metrics.json", metrics)
    say("report")
    write_report(report_dir / "report.html", metrics, table, equity)
    return BlockResult(eval_id, report_dir, table, backtests, metrics)
