"""Tier-1 and tier-2 results side by side (CLI text, JSON and HTML reports use the same rows)."""

from __future__ import annotations

from typing import Any

# (label, tier-1 metric, tier-2 metric); None where a tier has no such figure
ROWS: tuple[tuple[str, str | None, str | None], ...] = (
    ("net PnL (CNY)", "net_pnl", "net_pnl"),
    ("gross PnL (CNY)", "total_pnl", "total_pnl"),
    ("fees (CNY)", "fees", "fees"),
    ("fills", "trade_count", "fill_rows"),  # fill rows (open / close / close_today parts), both tiers
    ("orders filled", None, "fills"),
    ("fill ratio", None, "fill_ratio"),
    ("maker share", None, "maker_share"),
    ("queue wait (s)", None, "queue_wait_s_mean"),
    ("adverse 5 s (ticks)", None, "adverse_5s_ticks"),
    ("adverse 30 s (ticks)", None, "adverse_30s_ticks"),
)


def side_by_side(tier1: dict[str, Any], tier2: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows ``{metric, tier1, tier2}`` (tier-1 fills everything at the next tick's opposite best)."""
    return [
        {"metric": label, "tier1": tier1.get(k1) if k1 else None, "tier2": tier2.get(k2) if k2 else None}
        for label, k1, k2 in ROWS
    ]


def per_strategy(
    tier1: dict[str, dict[str, Any]], tier2: dict[str, dict[str, Any]]
) -> tuple[list[str], list[list[Any]]]:
    """The same ``ROWS`` as one row per strategy (walk-forward reports): headers and rows, a column per
    metric and tier that has it (``T1`` / ``T2``)."""
    cols = [(f"{label} T{t}", t, key) for label, k1, k2 in ROWS for t, key in ((1, k1), (2, k2)) if key]
    rows = [
        [name, *[(tier1 if t == 1 else tier2).get(name, {}).get(key) for _, t, key in cols]]
        for name in dict.fromkeys([*tier1, *tier2])
    ]
    return ["strategy", *[c[0] for c in cols]], rows


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 100 else f"{v:.3f}"
    return str(v)


def format_side_by_side(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'metric':<22}{'tier 1':>16}{'tier 2':>16}"]
    lines += [f"{r['metric']:<22}{_fmt(r['tier1']):>16}{_fmt(r['tier2']):>16}" for r in rows]
    return "\n".join(lines)
