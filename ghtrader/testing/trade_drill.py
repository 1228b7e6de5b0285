"""Crash drill: ``kill -9`` the supervised trade runner mid-session N times, then audit its event log.

The drill runs the repository's real supervisord program files (``LiveStack``) with the runner in sim
mode on the virtual-clock sim feed. After every kill, supervisord restarts the runner, which resumes
the same run. The audit: the hash chain verifies, no client order id appears twice, and the position
the account reports (the last record carrying the account) equals the sum of the logged fills plus
the differences adopted by ``reconcile`` records (a kill between the account's fill and its record).
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ghtrader.testing.supervisor import LiveStack
from ghtrader.trade.eventlog import EVENTS_NAME, read_records, verify


def _wait_growth(path: Path, before: int, timeout: float) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        n = len(read_records(path)) if path.is_file() else 0
        if n > before + 20:
            return n
        time.sleep(0.2)
    raise TimeoutError(f"{path} did not grow past {before} records in {timeout}s")


def audit(events: Path) -> dict[str, Any]:
    """Chain, duplicate ids and position reconciliation of one run's event log."""
    res = verify(events)
    records = read_records(events)
    ids = [r["client_id"] for r in records if r["kind"] == "order" and r.get("client_id")]
    dups = [i for i, n in Counter(ids).items() if n > 1]
    fill_sum = 0
    last_account = None
    resumes = reconciles = 0
    resumed_ok = True
    for r in records:
        if r["kind"] == "reconcile":  # the account moved past the log (a crash between fill and record)
            reconciles += 1
            fill_sum += r["account_position"] - r["logged"]["position"]
        if r["kind"] == "run_resume":  # the restarted account must be the one the log last recorded
            resumes += 1
            resumed_ok &= r["position"] == (last_account or 0)
        if r["kind"] == "fill":
            fill_sum += sum(f["qty"] * (1 if f["side"] == "buy" else -1) for f in r["fills"])
        if "account" in r:
            last_account = r["account"]["position"]
    return {
        "chain_ok": res.ok,
        "records": res.records,
        "first_bad_line": res.first_bad,
        "orders": len(ids),
        "duplicate_order_ids": dups,
        "fills_position": fill_sum,
        "account_position": last_account if last_account is not None else 0,
        "reconciled": (last_account or 0) == fill_sum and resumed_ok,
        "resumes": resumes,
        "reconciles": reconciles,
        "recovered_torn_lines": sum(1 for r in records if r["kind"] == "log_recovered"),
    }


def crash_drill(
    run_dir: Path, runs_dir: Path, data_dir: Path, *, kills: int = 10, start_at: str = "2025-03-11T09:00",
    speed: float = 20.0, timeout: float = 120.0,
) -> dict[str, Any]:  # fmt: skip
    """Run the drill; return the audit plus per-kill timings."""
    stack = LiveStack(
        run_dir,
        {
            "GHTRADER_RUNS_DIR": str(runs_dir),
            "GHTRADER_DATA_DIR": str(data_dir),
            "GHTRADER_RECORD_VAR": "cu",
            "GHTRADER_RECORD_SYMBOLS": "SHFE.cu2505",
            "GHTRADER_RECORD_START_AT": start_at,
            "GHTRADER_TRADE_MODE": "sim",
            "GHTRADER_TRADE_VAR": "cu",
            "GHTRADER_TRADE_RUN_ID": "drill-cu",
            "GHTRADER_TRADE_CONTRACTS": "SHFE.cu2504,SHFE.cu2505",
            "GHTRADER_TRADE_START_AT": start_at,
            "GHTRADER_TRADE_SPEED": str(speed),
        },
    )
    events = Path(runs_dir) / "trading" / "drill-cu" / EVENTS_NAME
    stack.start()
    restarts = []
    try:
        stack.ctl("stop", "live:recorder")  # not under test here: spare the CPU
        pid = stack.wait_running("live:trade-runner", timeout=timeout)
        n = _wait_growth(events, 0, timeout)
        for _ in range(kills):
            os.kill(pid, signal.SIGKILL)
            t0 = time.monotonic()
            pid = stack.wait_running("live:trade-runner", timeout=timeout, not_pid=pid)
            n = _wait_growth(events, n, timeout)
            restarts.append(round(time.monotonic() - t0, 2))
        stack.ctl("stop", "live:trade-runner")
    finally:
        stack.ctl("shutdown")
    return {"kills": kills, "restart_to_new_records_s": restarts, **audit(events)}
