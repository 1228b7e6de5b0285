"""Where runs land and what each run directory holds.

``runs_dir/models/<symbol>/<model>/h<horizon>/<run_id>/``: the model artifact (model file + ``meta.json``),
``predictions.parquet`` (out-of-sample walk-forward predictions of every test row), ``metrics.json``
(deterministic: rerunning on the same data and config gives identical bytes) and ``timing.json``
(latency and fit times: machine-dependent, so kept out of ``metrics.json``).

``run_id`` is a hash of (model, params, eval config, symbol, data hash): the same data and config land
in the same directory, which is simply overwritten with identical content.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from ghtrader.evaluation.data import EvalData, stable_hash
from ghtrader.evaluation.walkforward import EvalConfig, ModelEval, PredictorEval
from ghtrader.models.base import code_commit, save_artifact
from ghtrader.store.files import atomic_write, encode_parquet
from ghtrader.store.manifest import encode_json

PREDICTIONS = "predictions.parquet"
METRICS = "metrics.json"
TIMING = "timing.json"


def safe_symbol(symbol: str) -> str:
    if not symbol or "/" in symbol or symbol.startswith("."):
        raise ValueError(f"invalid symbol {symbol!r} for a runs path")
    return symbol


def run_id_for(
    name: str, params: dict[str, Any], config: EvalConfig, data_hash: str, symbol: str, extra: dict[str, Any]
) -> str:
    """Hash of everything that determines a run's metrics (``extra``: signal and backtest settings)."""
    key = {"model": name, "params": params, "config": config.to_dict(), "data": data_hash, "symbol": symbol}
    return stable_hash({**key, **extra}, 12)


def model_run_dir(runs_dir: Path, symbol: str, name: str, horizon: int, run_id: str) -> Path:
    return Path(runs_dir) / "models" / safe_symbol(symbol) / name / f"h{horizon}" / run_id


def scalar_metrics(scores: PredictorEval) -> dict[str, Any]:
    """Mean/std over splits plus pooled accuracy / macro-F1 / log loss / ECE (the headline numbers)."""
    pooled = {f"{k}_pooled": scores.pooled.get(k) for k in ("accuracy", "macro_f1", "log_loss", "ece")}
    return {**scores.summary, **pooled}


def write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, encode_json(obj), durable=False)


def write_model_run(
    runs_dir: Path,
    data: EvalData,
    config: EvalConfig,
    ev: ModelEval,
    baselines: dict[str, PredictorEval],
    *,
    backtest: dict[str, Any] | None,
    settings: dict[str, Any],
    created_from: dict[str, Any],
    decision: dict[str, Any] | None = None,
    backtest_tier2: dict[str, Any] | None = None,
    tier2_seconds: float | None = None,
) -> Path:
    """Write the artifact, predictions, metrics and timing of one evaluated model; return its directory.

    ``meta.json`` carries what promotion gates read: ``metrics.walk_forward`` (mean/std over splits and
    pooled), ``metrics.backtest`` (tier 1), ``metrics.backtest_tier2`` (tier 2, when run),
    ``metrics.latency_us_per_row`` and ``baselines.<name>``; ``decision`` holds the tuned thresholds and
    where each came from (``ghtrader.evaluation.decision``), and ``decision.threshold`` is what ``load_serving_model(...).threshold`` serves.
    """
    run_id = run_id_for(ev.name, ev.params, config, data.data_hash, data.symbol, settings)
    out = model_run_dir(runs_dir, data.symbol, ev.name, data.horizon, run_id)
    out.mkdir(parents=True, exist_ok=True)
    base = {
        k: {"available": b.available, "reason": b.reason, **scalar_metrics(b)} for k, b in baselines.items()
    }
    metrics = {
        "model": ev.name,
        "run_id": run_id,
        "symbol": data.symbol,
        "horizon": data.horizon,
        "summary": scalar_metrics(ev.scores),
        "per_split": ev.scores.per_split,
        "pooled": ev.scores.pooled,
        "backtest": backtest,
        "backtest_tier2": backtest_tier2,
        "baselines": base,
        "decision": decision,
    }
    table = pa.Table.from_pandas(ev.predictions, preserve_index=False)
    atomic_write(out / PREDICTIONS, encode_parquet(table), durable=False)
    write_json(out / METRICS, metrics)
    write_json(
        out / TIMING,
        {
            "latency_us_per_row": ev.latency_us_per_row,
            "fit_seconds": ev.fit_seconds,
            "train_seconds": float(sum(ev.fit_seconds)),
            "tier2_seconds": tier2_seconds,
        },
    )
    meta = {
        "run_id": run_id,
        "symbol": data.symbol,
        "horizon": data.horizon,
        "feature_names": list(data.xy.feature_names),
        "feature_set": {
            "name": data.provenance["features"].get("set"),
            "hash": data.provenance["features"].get("set_hash"),
            "lake_config_hash": data.provenance["features"].get("config_hash"),
        },
        "config": config.to_dict(),
        **settings,
        "code_commit": code_commit(),
        "data": data.provenance,
        "metrics": {
            "walk_forward": metrics["summary"],
            "backtest": backtest,
            "backtest_tier2": backtest_tier2,
            "latency_us_per_row": ev.latency_us_per_row,
        },
        "baselines": base,
        "decision": decision,
        "created_from": created_from,
    }
    if decision is not None:  # the signal rule to deploy: the threshold tuned on out-of-sample rows
        meta["signal"] = {
            **meta.get("signal", {}),
            "threshold": decision["threshold"],
            "source": decision["source"],
        }
    save_artifact(out, ev.final_model, meta)
    return out


def read_run(run_dir: Path) -> dict[str, Any]:
    """``metrics.json`` of a model run or an evaluation (``FileNotFoundError`` when absent)."""
    path = Path(run_dir) / METRICS
    if not path.is_file():
        raise FileNotFoundError(f"no {METRICS} in {run_dir}")
    data: dict[str, Any] = json.loads(path.read_bytes())
    timing = Path(run_dir) / TIMING
    if timing.is_file():
        data["timing"] = json.loads(timing.read_bytes())
    return data
