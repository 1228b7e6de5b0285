"""Promotion gates: does a candidate model replace the champion? Pure logic, no IO, no clock.

A candidate's ``meta.json`` carries ``metrics.walk_forward`` (macro_f1_mean, log_loss_mean, ...),
``metrics.backtest`` (net_pnl, max_drawdown, max_drawdown_pct, sharpe, ...),
``metrics.latency_us_per_row`` and ``baselines.majority.macro_f1_mean``. A missing metric fails
its gate (never silently passes), and every gate is reported with value, threshold and verdict.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

# Nightly DAG runs also require the candidate's tier-2 net PnL after fees (queue position, latency) to
# reach this (DAG param ``min_tier2_net_pnl``, null = off); ad-hoc ``ghtrader promote`` leaves it off.
NIGHTLY_MIN_TIER2_NET_PNL = 0.0


@dataclass(frozen=True)
class PromotionGates:
    """Thresholds; ``None`` disables a gate.

    ``min_f1_margin``: macro-F1 must be >= majority baseline + margin. ``max_log_loss``: ln 3 ~ 1.0986
    is the uniform 3-class guess. ``champion_epsilon``: macro-F1 must be >= champion's + epsilon
    (> 0 so an equally good model does not churn the pointer).
    """

    min_f1_margin: float | None = 0.01
    max_log_loss: float | None = 1.0986
    min_net_pnl: float | None = 0.0
    # queue/latency-aware net PnL after fees (metrics.backtest_tier2); None here, on in nightly runs
    min_tier2_net_pnl: float | None = None
    max_drawdown_cny: float | None = None
    max_drawdown_pct: float | None = 0.2
    max_latency_us_per_row: float | None = 1000.0
    champion_epsilon: float | None = 0.001

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GateCheck:
    name: str
    value: float | None
    threshold: float
    op: str  # ">=" or "<="
    passed: bool

    def reason(self) -> str:
        v = "missing" if self.value is None else f"{self.value:.6g}"
        return f"{self.name}: {v} {self.op} {self.threshold:.6g} -> {'PASS' if self.passed else 'FAIL'}"


@dataclass(frozen=True)
class Decision:
    """Outcome of one promotion question; ``status`` is promoted | rejected | already_champion."""

    promote: bool
    status: str
    reasons: list[str]
    candidate_run_id: str
    champion_run_id: str | None
    checks: list[GateCheck] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "promote": self.promote,
            "status": self.status,
            "reasons": list(self.reasons),
            "candidate_run_id": self.candidate_run_id,
            "champion_run_id": self.champion_run_id,
            "checks": [asdict(c) for c in self.checks],
        }


def metric(meta: dict[str, Any] | None, *path: str) -> float | None:
    """Nested numeric lookup; None when absent, non-numeric or not finite."""
    node: Any = meta
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    if isinstance(node, bool) or not isinstance(node, int | float) or not math.isfinite(node):
        return None
    return float(node)


def _check(name: str, value: float | None, threshold: float, op: str) -> GateCheck:
    ok = value is not None and (value >= threshold if op == ">=" else value <= threshold)
    return GateCheck(name=name, value=value, threshold=threshold, op=op, passed=bool(ok))


def _sub(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def gate_checks(
    candidate: dict[str, Any], champion: dict[str, Any] | None, gates: PromotionGates
) -> list[GateCheck]:
    """Evaluate every enabled gate (champion gate only when there is a champion)."""
    f1 = metric(candidate, "metrics", "walk_forward", "macro_f1_mean")
    checks: list[GateCheck] = []
    if gates.min_f1_margin is not None:
        base = metric(candidate, "baselines", "majority", "macro_f1_mean")
        checks.append(_check("macro_f1_margin_over_majority", _sub(f1, base), gates.min_f1_margin, ">="))
    if gates.max_log_loss is not None:
        ll = metric(candidate, "metrics", "walk_forward", "log_loss_mean")
        checks.append(_check("log_loss_mean", ll, gates.max_log_loss, "<="))
    if gates.min_tier2_net_pnl is not None:
        t2 = metric(candidate, "metrics", "backtest_tier2", "net_pnl")
        checks.append(_check("backtest_tier2_net_pnl", t2, gates.min_tier2_net_pnl, ">="))
    if gates.min_net_pnl is not None:
        checks.append(
            _check(
                "backtest_net_pnl",
                metric(candidate, "metrics", "backtest", "net_pnl"),
                gates.min_net_pnl,
                ">=",
            )
        )
    if gates.max_drawdown_cny is not None:
        dd = metric(candidate, "metrics", "backtest", "max_drawdown")
        checks.append(_check("backtest_max_drawdown_cny", dd, gates.max_drawdown_cny, "<="))
    if gates.max_drawdown_pct is not None:
        dd = metric(candidate, "metrics", "backtest", "max_drawdown_pct")
        checks.append(_check("backtest_max_drawdown_pct", dd, gates.max_drawdown_pct, "<="))
    if gates.max_latency_us_per_row is not None:
        lat = metric(candidate, "metrics", "latency_us_per_row")
        checks.append(_check("latency_us_per_row", lat, gates.max_latency_us_per_row, "<="))
    if champion is not None and gates.champion_epsilon is not None:
        champ_f1 = metric(champion, "metrics", "walk_forward", "macro_f1_mean")
        margin = _sub(f1, champ_f1) if champ_f1 is not None else None
        checks.append(_check("macro_f1_gain_over_champion", margin, gates.champion_epsilon, ">="))
    return checks


def decide(candidate: dict[str, Any], champion: dict[str, Any] | None, gates: PromotionGates) -> Decision:
    """Promote iff every gate passes; re-proposing the current champion is a no-op decision."""
    cand_id = str(candidate.get("run_id", ""))
    champ_id = str(champion["run_id"]) if champion is not None and "run_id" in champion else None
    if not cand_id:
        raise ValueError("candidate meta has no run_id")
    if champ_id == cand_id:
        return Decision(False, "already_champion", [f"already champion: {cand_id}"], cand_id, champ_id)
    checks = gate_checks(candidate, champion, gates)
    ok = all(c.passed for c in checks)
    reasons = [c.reason() for c in checks]
    if champion is None:
        reasons.append("no champion yet")
    return Decision(ok, "promoted" if ok else "rejected", reasons, cand_id, champ_id, checks)
