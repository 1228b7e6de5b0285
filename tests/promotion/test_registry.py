"""Champion pointer, previous, rollback and the decision log on disk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ghtrader.promotion import (
    PromotionGates,
    best_candidate,
    champion,
    decisions,
    find_candidates,
    latest_candidate,
    previous,
    promote,
    rollback,
)
from ghtrader.promotion.registry import registry_dir

from .conftest import MakeRun

GATES = PromotionGates()
T1, T2, T3, T4 = "2025-03-14T18:00:00+08:00", "2025-03-15T18:00:00+08:00", "2025-03-16T18:00:00", "2025-03-17"


def test_first_candidate_becomes_champion(make_run: MakeRun, runs_dir: Path) -> None:
    d = promote("cu", make_run("r1"), runs_dir, GATES, T1)
    assert d.promote
    ptr = champion(runs_dir, "cu")
    assert ptr is not None and ptr["run_id"] == "r1" and ptr["promoted_at"] == T1
    assert Path(ptr["path"]) == (runs_dir / "models" / "lgbm" / "r1").resolve()
    assert ptr["decision"]["status"] == "promoted"
    assert previous(runs_dir, "cu") is None
    log = decisions(runs_dir, "cu")
    assert len(log) == 1 and log[0]["status"] == "promoted" and log[0]["champion_before"] is None


def test_better_candidate_replaces_and_keeps_previous(make_run: MakeRun, runs_dir: Path) -> None:
    promote("cu", make_run("r1", f1=0.45), runs_dir, GATES, T1)
    d = promote("cu", make_run("r2", f1=0.47), runs_dir, GATES, T2)
    assert d.promote and d.champion_run_id == "r1"
    assert champion(runs_dir, "cu")["run_id"] == "r2"
    assert previous(runs_dir, "cu")["run_id"] == "r1"
    assert decisions(runs_dir, "cu")[-1]["champion_before"]["run_id"] == "r1"


def test_rejection_is_logged_and_changes_nothing(make_run: MakeRun, runs_dir: Path) -> None:
    promote("cu", make_run("r1"), runs_dir, GATES, T1)
    before = (registry_dir(runs_dir, "cu") / "champion.json").read_bytes()
    d = promote("cu", make_run("r2", f1=0.6, net_pnl=-10.0), runs_dir, GATES, T2)
    assert not d.promote and d.status == "rejected"
    assert (registry_dir(runs_dir, "cu") / "champion.json").read_bytes() == before
    assert previous(runs_dir, "cu") is None
    last = decisions(runs_dir, "cu")[-1]
    assert last["status"] == "rejected" and "backtest_net_pnl: -10 >= 0 -> FAIL" in last["reasons"]
    assert last["candidate"]["run_id"] == "r2" and last["decided_at"] == T2


def test_log_grows_by_one_per_call(make_run: MakeRun, runs_dir: Path) -> None:
    r1, r2 = make_run("r1", f1=0.45), make_run("r2", f1=0.40)
    calls = [
        lambda: promote("cu", r1, runs_dir, GATES, T1),
        lambda: promote("cu", r2, runs_dir, GATES, T2),  # rejected: worse than champion
        lambda: promote("cu", r1, runs_dir, GATES, T3),  # already champion
    ]
    for i, call in enumerate(calls, start=1):
        call()
        assert len(decisions(runs_dir, "cu")) == i
    assert [r["status"] for r in decisions(runs_dir, "cu")] == ["promoted", "rejected", "already_champion"]


def test_re_promoting_the_champion_is_a_no_op(make_run: MakeRun, runs_dir: Path) -> None:
    r1 = make_run("r1")
    promote("cu", r1, runs_dir, GATES, T1)
    reg = registry_dir(runs_dir, "cu")
    before = {p.name: p.read_bytes() for p in reg.glob("*.json")}
    d = promote("cu", r1, runs_dir, GATES, T2)
    assert (d.promote, d.status) == (False, "already_champion")
    assert {p.name: p.read_bytes() for p in reg.glob("*.json")} == before


def test_rollback_restores_previous_and_is_logged(make_run: MakeRun, runs_dir: Path) -> None:
    promote("cu", make_run("r1", f1=0.45), runs_dir, GATES, T1)
    promote("cu", make_run("r2", f1=0.47), runs_dir, GATES, T2)
    rec = rollback("cu", runs_dir, T3)
    assert rec["candidate"]["run_id"] == "r1" and rec["champion_before"]["run_id"] == "r2"
    ptr = champion(runs_dir, "cu")
    assert ptr["run_id"] == "r1" and ptr["promoted_at"] == T3 and ptr["decision"]["status"] == "rollback"
    assert previous(runs_dir, "cu")["run_id"] == "r2"
    assert [r["action"] for r in decisions(runs_dir, "cu")] == ["promote", "promote", "rollback"]
    # rolled-back champion is judged against r1 again: r2 (better) would be re-promoted
    assert promote("cu", runs_dir / "models" / "lgbm" / "r2", runs_dir, GATES, T4).promote


def test_rollback_without_previous_is_a_clear_error(make_run: MakeRun, runs_dir: Path) -> None:
    with pytest.raises(ValueError, match="no previous champion"):
        rollback("cu", runs_dir, T1)
    promote("cu", make_run("r1"), runs_dir, GATES, T1)
    with pytest.raises(ValueError, match="no previous champion"):
        rollback("cu", runs_dir, T2)


def test_crash_between_writes_leaves_a_valid_pointer(
    make_run: MakeRun, runs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    promote("cu", make_run("r1", f1=0.45), runs_dir, GATES, T1)
    real_replace = os.replace

    def crash_on_champion(src: str, dst: str | Path) -> None:
        if Path(dst).name == "champion.json":
            raise OSError("simulated crash before the pointer swap")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_champion)
    with pytest.raises(OSError, match="simulated crash"):
        promote("cu", make_run("r2", f1=0.47), runs_dir, GATES, T2)
    monkeypatch.undo()
    reg = registry_dir(runs_dir, "cu")
    assert json.loads((reg / "champion.json").read_text())["run_id"] == "r1"
    assert [p.name for p in reg.iterdir() if p.name.startswith(".")] == []  # no temp leftovers
    # the retry after the crash completes the swap
    assert promote("cu", runs_dir / "models" / "lgbm" / "r2", runs_dir, GATES, T3).promote
    assert champion(runs_dir, "cu")["run_id"] == "r2"


def test_champion_gate_uses_pointer_copy_when_run_dir_is_gone(make_run: MakeRun, runs_dir: Path) -> None:
    r1 = make_run("r1", f1=0.5)
    promote("cu", r1, runs_dir, GATES, T1)
    (r1 / "meta.json").unlink()
    assert not promote("cu", make_run("r2", f1=0.48), runs_dir, GATES, T2).promote


def test_wrong_variety_is_refused(make_run: MakeRun, runs_dir: Path) -> None:
    with pytest.raises(ValueError, match="var 'au'"):
        promote("cu", make_run("a1", var="au"), runs_dir, GATES, T1)


def test_pick_candidates(make_run: MakeRun, runs_dir: Path) -> None:
    make_run("r1", f1=0.45, created_at="2025-03-10T00:00:00")
    make_run("r2", f1=0.55, net_pnl=-5.0, created_at="2025-03-11T00:00:00")  # best F1, fails PnL
    make_run("r3", f1=0.50, created_at="2025-03-12T00:00:00")
    make_run("a1", f1=0.9, var="au", created_at="2025-03-13T00:00:00")
    found = find_candidates(runs_dir, "cu")
    assert [d.name for d in found] == ["r1", "r2", "r3"]
    assert best_candidate(found, GATES).name == "r3"
    assert latest_candidate(found).name == "r3"
    assert best_candidate([found[1]], GATES) is None
