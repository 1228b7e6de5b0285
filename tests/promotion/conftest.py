from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

MakeRun = Callable[..., Path]


def candidate_meta(run_id: str, *, f1: float = 0.45, var: str = "cu", **over: Any) -> dict[str, Any]:
    """A model meta.json as training/evaluation write it; ``over`` replaces backtest/latency values."""
    return {
        "run_id": run_id,
        "model": "lgbm",
        "var": var,
        "symbol": f"KQ.m@SHFE.{var}",
        "horizon": 50,
        "created_at": over.pop("created_at", "2025-03-14T00:00:00"),
        "metrics": {
            "walk_forward": {
                "macro_f1_mean": f1,
                "macro_f1_std": 0.02,
                "log_loss_mean": over.pop("log_loss", 0.95),
                "accuracy_mean": 0.5,
            },
            "backtest": {
                "net_pnl": over.pop("net_pnl", 1200.0),
                "max_drawdown": over.pop("max_drawdown", 3000.0),
                "max_drawdown_pct": over.pop("max_drawdown_pct", 0.003),
                "sharpe": 1.1,
            },
            "backtest_tier2": {"net_pnl": over.pop("tier2_net_pnl", 900.0), "fees": 300.0, "fills": 40},
            "latency_us_per_row": over.pop("latency", 12.0),
        },
        "baselines": {"majority": {"macro_f1_mean": over.pop("majority_f1", 0.25)}},
        "created_from": {"data_manifests_hash": "abc", "code_commit": "deadbeef"},
    }


@pytest.fixture
def make_run(tmp_path: Path) -> MakeRun:
    def make(run_id: str, **kw: Any) -> Path:
        d = tmp_path / "runs" / "models" / "lgbm" / run_id
        d.mkdir(parents=True)
        (d / "meta.json").write_text(json.dumps(candidate_meta(run_id, **kw)))
        return d

    return make


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    return tmp_path / "runs"
