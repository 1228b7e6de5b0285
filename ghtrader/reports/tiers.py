"""Tier 1 beside tier 2 in HTML: the evaluation report's section (one row per strategy) and the
standalone page of ``ghtrader backtest --tier 2`` (one row per metric). Both read the metric list of
``ghtrader.backtest.tier2.report.ROWS``."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ghtrader.backtest.tier2.report import per_strategy
from ghtrader.reports.html import _table
from ghtrader.store.files import atomic_write


def tiers_table(rows: Sequence[dict[str, Any]]) -> str:
    """Tier-1 vs tier-2 rows (``ghtrader.backtest.tier2.report.side_by_side``)."""
    return _table(["metric", "tier 1", "tier 2"], [[r["metric"], r["tier1"], r["tier2"]] for r in rows])


def tiers_section(metrics: dict[str, Any]) -> str:
    """Tier 1 and tier 2 per strategy of an evaluation's ``metrics.json`` content, with the knobs."""
    cfg = metrics.get("tier2")
    if not cfg:
        return "<p class='note'>Tier 2 was not run for this evaluation.</p>"
    headers, rows = per_strategy(metrics["backtests"], metrics.get("backtests_tier2") or {})
    lat = f"{cfg['md_latency_ms']:g} / {cfg['entry_latency_ms']:g} / {cfg['response_latency_ms']:g} ms"
    note = (
        "Same target positions in both tiers. Tier 1: the next tick's opposite best, full size, no latency. "
        f"Tier 2: {html.escape(str(cfg['order_type']).upper())} orders "
        f"{'joining our own best' if cfg['passive'] else 'at the opposite best'}, latency feed / entry / "
        f"response {lat}, {html.escape(str(cfg['queue_model']))} queue, "
        f"{'partial fills' if cfg['partial_fills'] else 'no partial fills'}, SHFE fees, flat at every "
        "block end. A tier-2 order reaches the exchange feed + entry latency after its snapshot and meets "
        "that snapshot's book (what is left of it), while tier 1 trades at the next snapshot's prices, so "
        "a signal about the very next move can earn more in tier 2 and a slow one less. Net PnL is after "
        "fees; fills = fill rows (open / close / close-today parts, forced flattens included) in both "
        "tiers; fill ratio = lots filled / lots sent; queue wait = mean seconds a passive fill rested; "
        "adverse = mean mid move (ticks) after a fill in its favour (negative: the market moved against "
        "the fill)."
    )
    return _table(headers, rows) + f"<p class='note'>{note}</p>"


def write_tiers_report(path: Path, title: str, rows: Sequence[dict[str, Any]], notes: str) -> Path:
    """A small standalone HTML page with the tier-1 / tier-2 comparison."""
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{tiers_table(rows)}<p>{html.escape(notes)}</p></body></html>"
    )
    atomic_write(path, body.encode())
    return path
