"""The pipeline's model steps: train one model (mapped per model), evaluate the trained runs together
(tier 1 and tier 2 side by side in the report), promote the best through the gates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ghtrader.pipeline.steps import RunSpec, eval_config, jsonable, market, trading_days


def train(spec: RunSpec, model: str) -> dict[str, Any]:
    """Walk-forward evaluate, backtest and fit one model on the run's days; write its run directory."""
    from ghtrader.evaluation.benchmark import train as train_model
    from ghtrader.schedule.main_l5 import continuous_symbol

    _, book = market()
    result = train_model(
        spec.lake_root,
        continuous_symbol(spec.var),
        model,
        runs_dir=spec.runs_dir,
        book=book,
        config=eval_config(spec),
        params=spec.model_params.get(model),
        days=trading_days(spec),
        feature_set=spec.feature_set,
    )
    return jsonable(
        {
            "model": model,
            "run_dir": str(result.run_dir),
            "macro_f1_mean": result.scores.summary.get("macro_f1_mean"),
        }
    )


def evaluate(spec: RunSpec, trained: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Compare the trained runs (no retraining) with baselines and the oracle; write the HTML report."""
    from ghtrader.evaluation.from_runs import evaluate_runs
    from ghtrader.schedule.main_l5 import continuous_symbol

    _, book = market()
    run_dirs = [Path(t["run_dir"]) for t in trained]
    result = evaluate_runs(
        spec.lake_root,
        continuous_symbol(spec.var),
        run_dirs,
        runs_dir=spec.runs_dir,
        book=book,
        config=eval_config(spec),
        days=trading_days(spec),
    )
    models = [r for r in result.table if r["kind"] == "model"]
    best = max(models, key=lambda r: r.get("macro_f1_mean") or -1.0)
    latest = spec.runs_dir / "reports" / f"latest_{spec.var}.json"
    payload = {
        "eval_id": result.eval_id,
        "report": str(result.report_path),
        "table": result.table,
        "backtests": result.backtests,
        "backtests_tier2": result.backtests_tier2,
        "best_model": best["name"],
        "best_run_dir": str(result.run_dirs[best["name"]]),
    }
    from ghtrader.store.files import atomic_write

    latest.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(
        latest, (json.dumps(jsonable(payload), indent=1, sort_keys=True) + "\n").encode(), durable=False
    )
    return jsonable({k: v for k, v in payload.items() if not k.startswith("backtests")})


def promote(spec: RunSpec, evaluation: Mapping[str, Any], *, decided_at: str) -> dict[str, Any]:
    """Gate the evaluation's best candidate against the champion; log the decision either way.

    Nightly runs also gate on tier-2 net PnL after fees (``min_tier2_net_pnl``, default 0; None: off)."""
    from ghtrader.promotion.gates import PromotionGates
    from ghtrader.promotion.registry import promote as promote_candidate

    best = evaluation.get("best_run_dir")
    if not best:
        raise ValueError("evaluation produced no candidate run to promote")
    gates = PromotionGates(min_tier2_net_pnl=spec.min_tier2_net_pnl)
    decision = promote_candidate(spec.var, Path(best), spec.runs_dir, gates, decided_at)
    return jsonable(decision.as_dict() | {"candidate": best})
