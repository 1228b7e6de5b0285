"""The nightly DAG's promote step gates on tier-2 net PnL after fees unless its param switches it off."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ghtrader.pipeline.model_steps import promote
from ghtrader.pipeline.steps import RunSpec
from ghtrader.promotion import champion, decisions

from .conftest import MakeRun

AT = "2025-03-28T16:00:00+08:00"
CHECK = "backtest_tier2_net_pnl"


def _spec(runs_dir: Path, **kw: object) -> RunSpec:
    day = dt.date(2025, 3, 28)
    return RunSpec(var="cu", start=day, end=day, data_dir=runs_dir.parent / "data", runs_dir=runs_dir, **kw)  # type: ignore[arg-type]


def test_nightly_rejects_negative_tier2_net_pnl_with_a_clear_reason(
    make_run: MakeRun, runs_dir: Path
) -> None:
    cand = make_run("r1", tier2_net_pnl=-1234.5)  # tier 1 is positive: only the tier-2 gate can fail
    out = promote(_spec(runs_dir), {"best_run_dir": str(cand)}, decided_at=AT)
    assert out["promote"] is False and out["status"] == "rejected"
    assert [c["name"] for c in out["checks"] if not c["passed"]] == [CHECK]
    assert f"{CHECK}: -1234.5 >= 0 -> FAIL" in out["reasons"]
    assert champion(runs_dir, "cu") is None
    logged = decisions(runs_dir, "cu")[-1]
    assert (
        logged["gates"]["min_tier2_net_pnl"] == 0.0 and f"{CHECK}: -1234.5 >= 0 -> FAIL" in logged["reasons"]
    )


def test_nightly_promotes_positive_tier2_and_a_missing_figure_fails(
    make_run: MakeRun, runs_dir: Path
) -> None:
    ok = promote(_spec(runs_dir), {"best_run_dir": str(make_run("r1"))}, decided_at=AT)
    assert ok["promote"] and f"{CHECK}: 900 >= 0 -> PASS" in ok["reasons"]
    old = make_run("r0")  # a run trained before tier 2 existed: no figure, so the gate fails
    meta = json.loads((old / "meta.json").read_text())
    del meta["metrics"]["backtest_tier2"]
    (old / "meta.json").write_text(json.dumps(meta))
    out = promote(_spec(runs_dir, min_tier2_net_pnl=-1e9), {"best_run_dir": str(old)}, decided_at=AT)
    assert not out["promote"] and f"{CHECK}: missing >= -1e+09 -> FAIL" in out["reasons"]


def test_gate_off_is_not_checked(make_run: MakeRun, runs_dir: Path) -> None:
    cand = make_run("r1", tier2_net_pnl=-1234.5)
    out = promote(_spec(runs_dir, min_tier2_net_pnl=None), {"best_run_dir": str(cand)}, decided_at=AT)
    assert out["promote"] and out["status"] == "promoted"
    assert CHECK not in {c["name"] for c in out["checks"]}
    assert not any(r.startswith(CHECK) for r in out["reasons"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("off", None), (0, 0.0), ("-500", -500.0), (250.5, 250.5)],
)
def test_param_round_trip(runs_dir: Path, value: object, expected: float | None) -> None:
    base = _spec(runs_dir).to_params()
    assert base["min_tier2_net_pnl"] == 0.0  # on by default
    spec = RunSpec.from_params(base | {"min_tier2_net_pnl": value})
    assert spec.min_tier2_net_pnl == expected
    assert RunSpec.from_params(spec.to_params()) == spec
    absent = {k: v for k, v in base.items() if k != "min_tier2_net_pnl"}
    assert RunSpec.from_params(absent).min_tier2_net_pnl == 0.0
