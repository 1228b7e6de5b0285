"""``ghtrader promote``: gate a candidate into champion, or roll back to the previous champion."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ghtrader.cli.common import CliError, check_variety, emit_json, err_console, run_guarded, settings_for


def promote(
    var: Annotated[str, typer.Option(help="variety: cu | au | ag")] = "cu",
    candidate: Annotated[Path | None, typer.Option(help="candidate run dir (with meta.json)")] = None,
    latest: Annotated[bool, typer.Option("--latest", help="newest candidate under RUNS_DIR/models")] = False,
    best: Annotated[
        bool, typer.Option("--best", help="best gate-passing candidate under RUNS_DIR/models")
    ] = False,
    rollback: Annotated[bool, typer.Option("--rollback", help="restore the previous champion")] = False,
    runs_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_RUNS_DIR, else ./runs")] = None,
    decided_at: Annotated[str | None, typer.Option(help="decision timestamp (default: now, UTC)")] = None,
    min_f1_margin: Annotated[float, typer.Option(help="macro-F1 margin over the majority baseline")] = 0.01,
    max_log_loss: Annotated[float, typer.Option(help="max walk-forward log loss")] = 1.0986,
    min_net_pnl: Annotated[float, typer.Option(help="min backtest net PnL (CNY)")] = 0.0,
    min_tier2_net_pnl: Annotated[
        float | None, typer.Option(help="min tier-2 net PnL (CNY) after fees; off unless given")
    ] = None,
    max_drawdown_pct: Annotated[float, typer.Option(help="max backtest drawdown, fraction of peak")] = 0.2,
    max_latency_us: Annotated[float, typer.Option(help="max inference latency (us/row)")] = 1000.0,
    champion_epsilon: Annotated[float, typer.Option(help="macro-F1 gain needed over the champion")] = 0.001,
    json_out: Annotated[bool, typer.Option("--json", help="print a JSON summary on stdout")] = False,
) -> None:
    """Promote a candidate model for a variety if it passes the gates (``--rollback`` to undo)."""

    def body() -> None:
        from ghtrader.promotion import registry
        from ghtrader.promotion.candidates import best_candidate, find_candidates, latest_candidate
        from ghtrader.promotion.gates import PromotionGates

        check_variety(var)
        if sum([candidate is not None, latest, best, rollback]) != 1:
            raise CliError("give exactly one of --candidate DIR, --latest, --best, --rollback")
        root = runs_dir or settings_for(None).runs_dir
        at = decided_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        if rollback:
            record = registry.rollback(var, root, at)
            _report(record, json_out, f"{var}: rolled back -> {record['candidate']['run_id']}")
            return
        gates = PromotionGates(
            min_f1_margin=min_f1_margin,
            max_log_loss=max_log_loss,
            min_net_pnl=min_net_pnl,
            min_tier2_net_pnl=min_tier2_net_pnl,
            max_drawdown_pct=max_drawdown_pct,
            max_latency_us_per_row=max_latency_us,
            champion_epsilon=champion_epsilon,
        )
        cand = candidate
        if cand is None:
            found = find_candidates(root, var)
            cand = latest_candidate(found) if latest else best_candidate(found, gates)
            if cand is None:
                raise CliError(
                    f"no {'candidate' if latest else 'gate-passing candidate'} for {var} "
                    f"under {root / 'models'}"
                )
        decision = registry.promote(var, cand, root, gates, at)
        payload = {"var": var, "candidate_dir": str(cand), "decided_at": at, **decision.as_dict()}
        lines = "\n".join(f"  {r}" for r in decision.reasons)
        _report(payload, json_out, f"{var}: {decision.status} {decision.candidate_run_id}\n{lines}")

    run_guarded(body)


def _report(payload: dict, json_out: bool, text: str) -> None:
    if json_out:
        emit_json(payload)
    else:
        err_console.print(text, highlight=False)
