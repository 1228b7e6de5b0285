"""A small trained champion on the shared sim test lake, for trade-runner tests and benchmarks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

SMALL_LGBM = {"n_estimators": 20, "num_leaves": 15, "min_child_samples": 20}


def train_model(
    data_dir: Path,
    runs_dir: Path,
    *,
    model: str = "lgbm",
    params: dict[str, Any] | None = None,
    var: str = "cu",
    threshold: float = 0.2,
    days: list[dt.date] | None = None,
) -> Path:
    """Walk-forward train ``model`` on the lake under ``data_dir``; return its artifact run dir."""
    from ghtrader.evaluation import EvalConfig, SignalConfig, train
    from ghtrader.market.calendar import TradingCalendar
    from ghtrader.market.contracts import ContractBook

    book = ContractBook.load(TradingCalendar.bundled())
    config = EvalConfig(n_splits=2, min_train_days=3, train_stride=40)
    res = train(
        Path(data_dir) / "lake_v2", f"KQ.m@SHFE.{var}", model, runs_dir=Path(runs_dir), book=book,
        config=config, params=params if params is not None else (SMALL_LGBM if model == "lgbm" else None),
        signal=SignalConfig(threshold=threshold), days=days,
    )  # fmt: skip
    return Path(res.run_dir)


def make_champion(runs_dir: Path, run_dir: Path, *, var: str = "cu", at: str = "2025-03-20T00:00:00") -> None:
    """Point the registry at ``run_dir`` with every gate off (tests choose the champion directly)."""
    from ghtrader.promotion.gates import PromotionGates
    from ghtrader.promotion.registry import promote

    gates = PromotionGates(**{f.name: None for f in dataclasses.fields(PromotionGates)})
    decision = promote(var, run_dir, runs_dir, gates, dt.datetime.fromisoformat(at))
    if not decision.promote:
        raise RuntimeError(f"could not promote {run_dir}: {decision}")
