"""Gate logic (pure): every gate reported with value vs threshold, missing metrics fail."""

from __future__ import annotations

import pytest

from ghtrader.promotion import PromotionGates, decide

from .conftest import candidate_meta

GATES = PromotionGates()


def test_passes_all_gates_without_champion() -> None:
    d = decide(candidate_meta("r1"), None, GATES)
    assert d.promote and d.status == "promoted"
    assert all(c.passed for c in d.checks)
    assert {c.name for c in d.checks} == {
        "macro_f1_margin_over_majority",
        "log_loss_mean",
        "backtest_net_pnl",
        "backtest_max_drawdown_pct",
        "latency_us_per_row",
    }
    assert "no champion yet" in d.reasons


@pytest.mark.parametrize(
    ("over", "failing"),
    [
        ({"majority_f1": 0.445}, "macro_f1_margin_over_majority"),
        ({"log_loss": 1.2}, "log_loss_mean"),
        ({"net_pnl": -1.0}, "backtest_net_pnl"),
        ({"max_drawdown_pct": 0.5}, "backtest_max_drawdown_pct"),
        ({"latency": 5000.0}, "latency_us_per_row"),
    ],
)
def test_each_gate_can_reject(over: dict, failing: str) -> None:
    d = decide(candidate_meta("r1", **over), None, GATES)
    assert not d.promote and d.status == "rejected"
    assert [c.name for c in d.checks if not c.passed] == [failing]
    assert any(r.startswith(f"{failing}:") and r.endswith("FAIL") for r in d.reasons)


def test_reason_shows_value_and_threshold() -> None:
    d = decide(candidate_meta("r1", net_pnl=-250.5), None, GATES)
    assert "backtest_net_pnl: -250.5 >= 0 -> FAIL" in d.reasons


def test_missing_metric_fails_its_gate() -> None:
    meta = candidate_meta("r1")
    del meta["metrics"]["backtest"]
    d = decide(meta, None, GATES)
    assert not d.promote
    assert "backtest_net_pnl: missing >= 0 -> FAIL" in d.reasons


def test_must_beat_champion_by_epsilon() -> None:
    champ = candidate_meta("c0", f1=0.45)
    assert not decide(candidate_meta("r1", f1=0.4505), champ, GATES).promote
    win = decide(candidate_meta("r1", f1=0.452), champ, GATES)
    assert win.promote and win.champion_run_id == "c0"
    assert any(r.startswith("macro_f1_gain_over_champion: 0.002") for r in win.reasons)


def test_disabled_gates_are_skipped() -> None:
    gates = PromotionGates(min_net_pnl=None, max_drawdown_pct=None)
    d = decide(candidate_meta("r1", net_pnl=-9e9, max_drawdown_pct=9.0), None, gates)
    assert d.promote


def test_same_run_is_already_champion() -> None:
    d = decide(candidate_meta("r1"), candidate_meta("r1"), GATES)
    assert (d.promote, d.status, d.reasons) == (False, "already_champion", ["already champion: r1"])
