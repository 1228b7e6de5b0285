"""The model-ladder table: classification, backtest, latency and training cost per predictor, one row each.

Rows come from ``benchmark`` (day splits) or ``intraday.block_benchmark`` (row blocks of one series);
this module adds the backtest and decision columns to them, sums backtest PnL per walk-forward split
(for the per-split plots) and renders the table as Markdown for ``benchmarks/results``.

Column conventions: macro-F1 / log loss / ECE are means over splits (± is the std over splits); net PnL
is the tier-1 backtest of the concatenated test periods after fees (CNY); batch-1 latency is one input
per call (``ghtrader.evaluation.latency``); train s sums the walk-forward fits (not the inner tuning fit
or the final all-data fit). The threshold column lists the per-split values and where they came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def _short_source(source: str) -> str:
    if source.startswith("tuned on"):
        return "in-fold"
    if source.startswith("grid midpoint"):
        return "grid midpoint (nothing to tune on)"
    return source


def per_split_pnl(daily: pd.DataFrame, test_days: Sequence[Sequence[dt.date]]) -> list[float]:
    """Net PnL of each split's test days from a backtest's ``daily`` frame (trading_day, pnl)."""
    if daily is None or daily.empty:
        return [0.0 for _ in test_days]
    days = np.array([pd.Timestamp(d).date() for d in daily["trading_day"]], dtype=object)
    pnl = daily["pnl"].to_numpy(np.float64)
    return [float(pnl[np.isin(days, np.asarray(list(s), dtype=object))].sum()) for s in test_days]


def threshold_columns(decision: dict[str, Any] | None) -> dict[str, Any]:
    """``thresholds`` (per split) and ``threshold_source`` (short; the report's decision table has each
    split's full source and tuning days / rows)."""
    if not decision:
        return {"thresholds": None, "threshold_source": None}
    per = decision.get("per_split") or []
    sources = sorted({_short_source(str(p.get("source", ""))) for p in per})
    one_class = [str(p["split"]) for p in per if "one class" in str(p.get("source", ""))]
    text = "; ".join(sources)
    if one_class:
        text += f"; split {', '.join(one_class)}: one-class inner fit, never trades, ties -> largest"
    return {"thresholds": [p["threshold"] for p in per], "threshold_source": text}


def add_backtest_columns(
    table: list[dict[str, Any]],
    backtests: dict[str, dict[str, Any]],
    decisions: dict[str, Any],
) -> list[dict[str, Any]]:
    """Each row plus ``net_pnl``, ``fees``, ``trade_count`` and the threshold columns (None if none)."""
    out = []
    for row in table:
        bt = backtests.get(row["name"]) or {}
        extra = {k: bt.get(k) for k in ("net_pnl", "fees", "trade_count")}
        if row["name"] == "oracle" and bt:
            extra |= {"thresholds": None, "threshold_source": "one-hot: any threshold in (0, 1)"}
        else:
            extra |= threshold_columns(decisions.get(row["name"]))
        out.append(row | extra)
    return out


def _f(v: Any, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


MD_HEADERS = (
    "model",
    "kind",
    "macro-F1 ± std",
    "log loss",
    "ECE",
    "net PnL (CNY, after fees)",
    "fees",
    "trades",
    "batch-1 p50 / p99 µs",
    "latency backend",
    "train s",
    "thresholds per split (source)",
)


def markdown_table(table: Sequence[dict[str, Any]]) -> str:
    """The ladder as a GitHub Markdown table (one row per predictor)."""
    lines = ["| " + " | ".join(MD_HEADERS) + " |", "|" + "---|" * len(MD_HEADERS)]
    for r in table:
        f1 = _f(r.get("macro_f1_mean"))
        if r.get("macro_f1_std") is not None:
            f1 += f" ± {_f(r['macro_f1_std'], 3)}"
        if not r.get("available", True):
            f1 = f"n/a ({r.get('reason')})"
        lat = "—"
        if r.get("latency_b1_p50_us") is not None:
            lat = f"{_f(r['latency_b1_p50_us'], 0)} / {_f(r.get('latency_b1_p99_us'), 0)}"
        th = "—"
        if r.get("thresholds"):
            th = ", ".join(f"{t:g}" for t in r["thresholds"]) + f" ({r.get('threshold_source')})"
        elif r.get("threshold_source"):
            th = str(r["threshold_source"])
        cells = [
            r["name"],
            r["kind"],
            f1,
            _f(r.get("log_loss_mean")),
            _f(r.get("ece_mean")),
            _f(r.get("net_pnl"), 0),
            _f(r.get("fees"), 0),
            _f(r.get("trade_count")),
            lat,
            r.get("latency_b1_backend") or "—",
            _f(r.get("train_seconds"), 1),
            th,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
