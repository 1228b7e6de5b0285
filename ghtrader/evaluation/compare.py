"""``compare``: one table of saved model runs and evaluations (``ghtrader compare RUN_DIR…``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ghtrader.evaluation.runs import read_run

TABLE_KEYS = ("accuracy_mean", "accuracy_std", "macro_f1_mean", "macro_f1_std", "log_loss_mean", "ece_mean")


def compare(run_dirs: Sequence[Path]) -> list[dict[str, Any]]:
    """One table of saved runs: a model run gives one row, an evaluation gives all its rows."""
    out: list[dict[str, Any]] = []
    for d in run_dirs:
        m = read_run(Path(d))
        if "table" in m:  # an evaluation (benchmark) directory
            for row in m["table"]:
                bt = m.get("backtests", {}).get(row["name"], {})
                t2 = (m.get("backtests_tier2") or {}).get(row["name"], {})
                out.append({"run": str(d), **row, **_pnl(bt, t2)})
            continue
        row = {"run": str(d), "name": m["model"], "kind": "model", "available": True, "reason": None}
        row.update({k: m["summary"].get(k) for k in TABLE_KEYS})
        if "timing" in m:
            row["latency_us_per_row"] = m["timing"].get("latency_us_per_row")
        out.append(row | _pnl(m.get("backtest") or {}, m.get("backtest_tier2") or {}))
        for bname, b in m.get("baselines", {}).items():
            base = {
                "run": str(d),
                "name": bname,
                "kind": "baseline" if bname == "majority" else "reference",
                "available": b["available"],
                "reason": b["reason"],
            }
            out.append(base | {k: b.get(k) for k in TABLE_KEYS})
    return out


def _pnl(tier1: dict[str, Any], tier2: dict[str, Any]) -> dict[str, Any]:
    """Tier-1 net PnL and Sharpe, and tier-2 net PnL (None where tier 2 was not run)."""
    return {
        "net_pnl": tier1.get("net_pnl"),
        "sharpe": tier1.get("sharpe"),
        "tier2_net_pnl": tier2.get("net_pnl"),
    }
