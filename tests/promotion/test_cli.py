"""``ghtrader promote`` end to end (candidate, --latest, --best, --rollback, --json)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from ghtrader.cli.promote import promote
from ghtrader.promotion import champion, decisions

from .conftest import MakeRun

app = typer.Typer()
app.command("promote")(promote)
app.command("noop")(lambda: None)  # keep typer in multi-command mode (the real app registers many)


def _run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["promote", *args])
    return res.exit_code, res.stdout, res.output


def test_promote_then_rollback(make_run: MakeRun, runs_dir: Path) -> None:
    r1 = make_run("r1", f1=0.45)
    code, out, _ = _run(
        "--var",
        "cu",
        "--candidate",
        str(r1),
        "--runs-dir",
        str(runs_dir),
        "--json",
        "--decided-at",
        "2025-03-14T18:00:00",
    )
    assert code == 0
    assert json.loads(out)["status"] == "promoted"
    make_run("r2", f1=0.50, created_at="2025-03-15T00:00:00")
    code, out, _ = _run("--var", "cu", "--latest", "--runs-dir", str(runs_dir), "--json")
    assert code == 0 and json.loads(out)["candidate_run_id"] == "r2"
    assert champion(runs_dir, "cu")["run_id"] == "r2"
    code, out, _ = _run("--var", "cu", "--rollback", "--runs-dir", str(runs_dir), "--json")
    assert code == 0 and json.loads(out)["candidate"]["run_id"] == "r1"
    assert champion(runs_dir, "cu")["run_id"] == "r1"
    assert [d["decided_at"][:10] for d in decisions(runs_dir, "cu")][0] == "2025-03-14"
    assert len(decisions(runs_dir, "cu")) == 3


def test_rejection_prints_reasons(make_run: MakeRun, runs_dir: Path) -> None:
    r1 = make_run("r1", net_pnl=-100.0)
    code, _, output = _run("--var", "cu", "--candidate", str(r1), "--runs-dir", str(runs_dir))
    assert code == 0  # a rejection is a decision, not an error
    assert "rejected r1" in output and "backtest_net_pnl: -100 >= 0 -> FAIL" in output
    assert champion(runs_dir, "cu") is None


def test_best_and_errors(make_run: MakeRun, runs_dir: Path) -> None:
    code, _, output = _run("--var", "cu", "--rollback", "--runs-dir", str(runs_dir))
    assert code == 1 and "no previous champion" in output
    code, _, output = _run("--var", "cu", "--runs-dir", str(runs_dir))
    assert code == 1 and "exactly one of" in output
    code, _, output = _run("--var", "zz", "--latest", "--runs-dir", str(runs_dir))
    assert code == 1 and "--var" in output
    code, _, output = _run("--var", "cu", "--best", "--runs-dir", str(runs_dir))
    assert code == 1 and "no gate-passing candidate" in output
    make_run("r1", f1=0.45)
    make_run("r2", f1=0.48, latency=1e6)
    code, out, _ = _run("--var", "cu", "--best", "--runs-dir", str(runs_dir), "--json")
    assert code == 0 and json.loads(out)["candidate_run_id"] == "r1"
