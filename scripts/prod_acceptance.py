"""Acceptance checks of production mode (issue 18), against a running `make prod-up`.

Drives Airflow through its REST API like an operator would and prints one PASS/FAIL line per check
plus the figures; exit code 0 only when all pass. Usage (prod mode up):

    .venv/bin/python scripts/prod_acceptance.py [--only trigger,backfill,short,promotion,ports]

1. cu, au, ag triggered together via REST all succeed; task instances ran on both Celery workers
   (Celery's own per-worker task counters); with the tqsdk pool at 1 slot no two pooled task
   instances overlap in time.
2. A backfill over 3 trading days completes; its outputs equal a serial run of the same dates.
3. A too-short range fails in the first task within 30 s, one clear message, no retry.
4. A rejected promotion shows as a skipped `promote` and on the dashboard.
6. `ss -ltnp`: nothing of ours listens on a non-loopback address.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ghtrader.pipeline.airflow_env import api_token, prod_env

ENV = prod_env()
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
BASE = f"http://127.0.0.1:{ENV['GHTRADER_AIRFLOW_PORT']}"
WORK = Path(ENV["GHTRADER_PROD_DIR"]) / "acceptance"
# tiny but real: 2 contracts, 8 trading days, 2 walk-forward splits
CONF = {"symbols": "", "n_splits": 2, "min_train_days": 3, "source": "sim"}
RANGES = {
    "cu": ("2025-03-13", "2025-03-24"),
    "au": ("2025-03-13", "2025-03-24"),
    "ag": ("2025-03-13", "2025-03-24"),
}
SYMBOLS = {"cu": "SHFE.cu2504,SHFE.cu2505", "au": "SHFE.au2504,SHFE.au2506", "ag": "SHFE.ag2504,SHFE.ag2506"}
results: list[tuple[str, bool, str]] = []


def check(name: str, ok: bool, detail: str) -> None:
    results.append((name, ok, detail))
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)


def token() -> str:
    if not Path(ENV["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).exists():
        raise SystemExit("no production passwords file: start prod mode first (scripts/prod.sh)")
    return api_token(BASE, ENV)


TOKEN = ""


def api(method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    req = urllib.request.Request(f"{BASE}/api/v2{path}", data, headers, method=method)
    for attempt in range(5):  # a loaded API server can be slow to answer; GETs/PATCHes are idempotent
        try:
            with urllib.request.urlopen(req, timeout=180) as r:
                raw = r.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: HTTP {e.code} {e.read()[:300]!r}") from e
        except TimeoutError:
            if method == "POST" or attempt == 4:
                raise
    return None


def unpause(var: str) -> None:
    """Unpause (manual runs of a paused DAG never start) without letting the nightly catch-up run
    (20-day default window) compete with the acceptance runs: delete scheduled runs it creates."""
    api("PATCH", f"/dags/ghtrader_{var}", {"is_paused": False})
    for r in api("GET", f"/dags/ghtrader_{var}/dagRuns?limit=100")["dag_runs"]:
        if r["run_type"] == "scheduled" and r["state"] in ("queued", "running"):
            api("PATCH", f"/dags/ghtrader_{var}/dagRuns/{quote(r['dag_run_id'])}", {"state": "failed"})
            api("DELETE", f"/dags/ghtrader_{var}/dagRuns/{quote(r['dag_run_id'])}")


def trigger(var: str, conf: dict[str, Any], logical_date: str | None = None) -> str:
    unpause(var)
    run = api("POST", f"/dags/ghtrader_{var}/dagRuns", {"logical_date": logical_date, "conf": conf})
    return str(run["dag_run_id"])


def wait(var: str, run_id: str, timeout_s: float = 3600) -> str:
    t0 = time.time()
    while time.time() - t0 < timeout_s:
        run = api("GET", f"/dags/ghtrader_{var}/dagRuns/{quote(run_id)}")
        if run["dag_run_id"] == run_id and run["state"] in ("success", "failed") and run.get("end_date"):
            return str(run["state"])
        time.sleep(5)
    return "timeout"


def tis(var: str, run_id: str) -> list[dict[str, Any]]:
    return api("GET", f"/dags/ghtrader_{var}/dagRuns/{quote(run_id)}/taskInstances?limit=500")[
        "task_instances"
    ]


def dirs(var: str, tag: str) -> dict[str, str]:
    d = WORK / tag / var
    return {"data_dir": str(d / "data"), "runs_dir": str(d / "runs")}


def celery_totals() -> dict[str, int]:
    from airflow.providers.celery.executors.celery_executor_utils import app

    stats = app.control.inspect(timeout=5).stats() or {}
    return {w: sum((s.get("total") or {}).values()) for w, s in stats.items()}


def run_trigger() -> None:
    subprocess.run(
        [AIRFLOW, "pools", "set", "tqsdk", "1", "TqSdk API concurrency"], check=True, capture_output=True
    )
    before = celery_totals()
    t0 = time.time()
    runs = {
        v: trigger(v, CONF | {"start": s, "end": e, "symbols": SYMBOLS[v]} | dirs(v, "together"))
        for v, (s, e) in RANGES.items()
    }
    states = {v: wait(v, r) for v, r in runs.items()}
    wall = time.time() - t0
    check(
        "1a three varieties triggered together succeed",
        all(s == "success" for s in states.values()),
        f"{states} in {wall:.0f} s",
    )
    after = celery_totals()
    used = {w: after.get(w, 0) - before.get(w, 0) for w in after}
    check(
        "1b task instances ran on both Celery workers",
        len([w for w, n in used.items() if n > 0]) >= 2,
        f"tasks per worker during the runs: {used}",
    )
    pooled = []
    for v, r in runs.items():
        pooled += [
            (t["start_date"], t["end_date"], f"{v}:{t['task_id']}[{t['rendered_map_index']}]", t["queue"])
            for t in tis(v, r)
            if t["pool"] == "tqsdk" and t["start_date"]
        ]
    pooled.sort()
    overlaps = [(a[2], b[2]) for a, b in zip(pooled, pooled[1:], strict=False) if b[0] < a[1]]
    check(
        "1c tqsdk pool (1 slot): no two pooled tasks overlap",
        not overlaps and len(pooled) >= 6,
        f"{len(pooled)} pooled task instances on queues {sorted({p[3] for p in pooled})}, overlaps {overlaps}",
    )
    subprocess.run(
        [AIRFLOW, "pools", "set", "tqsdk", "4", "TqSdk API concurrency"], check=True, capture_output=True
    )


def _digest(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*.parquet")):
        out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


BACKFILL_DATES = ("2025-03-24", "2025-03-25", "2025-03-26")


def _backfill_conf() -> dict[str, Any]:
    return CONF | {"window_days": 8, "symbols": SYMBOLS["cu"]}


def _backfill_run_id(day: str) -> str:
    return f"backfill__{day}T08:00:00+00:00"  # the run list does not carry backfill_id: match by run id


def run_backfill() -> None:
    conf, dates = _backfill_conf(), BACKFILL_DATES
    bf_dirs = dirs("cu", "backfill")
    wanted = {_backfill_run_id(d) for d in dates}
    unpause("cu")
    t0 = time.time()
    bf = api(
        "POST",
        "/backfills",
        {
            "dag_id": "ghtrader_cu",
            "from_date": f"{dates[0]}T08:00:00Z",
            "to_date": f"{dates[-1]}T08:00:00Z",
            "dag_run_conf": conf | bf_dirs,
            "max_active_runs": 3,
            "reprocess_behavior": "completed",
        },
    )
    runs = []
    while time.time() - t0 < 5400:
        runs = api("GET", "/dags/ghtrader_cu/dagRuns?limit=50&run_type=backfill")["dag_runs"]
        runs = [r for r in runs if r["dag_run_id"] in wanted]
        if len(runs) == 3 and all(r["state"] in ("success", "failed") for r in runs):
            break
        time.sleep(10)
    states = sorted(r["state"] for r in runs)
    check(
        "2a backfill over 3 trading days completes",
        states == ["success"] * 3,
        f"backfill {bf['id']}: {states} in {time.time() - t0:.0f} s",
    )
    run_backfill_compare()


def run_backfill_compare() -> None:
    """The same three logical dates, triggered one after the other into fresh dirs, against the backfill's outputs."""
    conf, dates = _backfill_conf(), BACKFILL_DATES
    bf_dirs = dirs("cu", "backfill")
    serial_dirs = dirs("cu", "serial")
    for d in dates:  # a logical date is unique per DAG: the backfill's finished run records make way
        run_id = quote(_backfill_run_id(d))
        with contextlib.suppress(RuntimeError):  # already gone (a rerun of this step)
            if api("GET", f"/dags/ghtrader_cu/dagRuns/{run_id}")["state"] == "success":
                api("DELETE", f"/dags/ghtrader_cu/dagRuns/{run_id}")
    for d in dates:  # the same three logical dates, one after the other
        wait("cu", trigger("cu", conf | serial_dirs, f"{d}T08:00:00Z"))
    same_lake = _digest(Path(bf_dirs["data_dir"])) == _digest(Path(serial_dirs["data_dir"]))

    def metrics(runs_dir: str) -> dict[str, Any]:
        from ghtrader.pipeline.ledger import read_rows

        return {(r.start, r.end): r.models for r in read_rows(Path(runs_dir))}

    m_bf, m_serial = metrics(bf_dirs["runs_dir"]), metrics(serial_dirs["runs_dir"])
    check(
        "2b backfill outputs equal a serial run's",
        same_lake and m_bf == m_serial and len(m_bf) == 3,
        f"lake files identical: {same_lake} ({len(_digest(Path(bf_dirs['data_dir'])))} files); "
        f"per-window metrics identical: {m_bf == m_serial} ({len(m_bf)} windows)",
    )


def _secs(a: str | None, b: str | None) -> float | None:
    from datetime import datetime

    if not a or not b:
        return None
    return (
        datetime.fromisoformat(b.replace("Z", "+00:00")) - datetime.fromisoformat(a.replace("Z", "+00:00"))
    ).total_seconds()


def run_short() -> None:
    r = trigger("cu", CONF | {"start": "2025-03-17", "end": "2025-03-19"} | dirs("cu", "short"))
    state = wait("cu", r)
    run = api("GET", f"/dags/ghtrader_cu/dagRuns/{quote(r)}")
    first = [t for t in tis("cu", r) if t["task_id"] == "resolve"][0]
    ran = [t["task_id"] for t in tis("cu", r) if t["state"] not in (None, "upstream_failed", "removed")]
    run_s = _secs(run["start_date"], run["end_date"])
    check(
        "3 too-short range fails in the first task within 30 s, no retry",
        state == "failed"
        and first["state"] == "failed"
        and first["try_number"] == 1
        and ran == ["resolve"]
        and run_s is not None
        and run_s <= 30,
        f"resolve {first['state']} on try {first['try_number']} ({first.get('duration'):.1f} s incl. task start-up); "
        f"run start->end {run_s:.1f} s; tasks that ran: {ran}",
    )


def run_promotion() -> None:
    conf = (
        CONF | {"start": "2025-03-13", "end": "2025-03-24", "symbols": SYMBOLS["cu"]} | dirs("cu", "together")
    )
    from ghtrader.promotion.registry import champion

    if champion(Path(conf["runs_dir"]), "cu") is None:  # alone (--only promotion): seed a champion first
        wait("cu", trigger("cu", conf))
    r = trigger("cu", conf)  # same window again: the candidate cannot beat the champion it equals
    state = wait("cu", r)
    promote = [t for t in tis("cu", r) if t["task_id"] == "promote"][0]
    from ghtrader.pipeline.dashboard import dashboard_html

    page = dashboard_html(Path(conf["runs_dir"]), dag_id="ghtrader_cu", run_id=r)
    check(
        "4 rejected promotion visible in grid and dashboard",
        state == "success" and promote["state"] == "skipped" and "not promoted" in page,
        f"run {state}, promote {promote['state']}, dashboard says "
        f"{'not promoted' if 'not promoted' in page else '??'}",
    )


def run_ports() -> None:
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    ours = (
        "python",
        "airflow",
        "postgres",
        "redis",
        "prometheus",
        "celery",
        "supervisord",
        "gunicorn",
        "uvicorn",
    )
    exposed = [ln for ln in out.splitlines() if not any(a in ln.split()[3] for a in ("127.0.0.1:", "[::1]:"))]
    bad = [ln for ln in exposed if any(o in ln for o in ours)]
    check(
        "6 nothing of ours on a non-loopback address",
        not bad,
        f"{len(out.splitlines())} listeners; non-loopback ones: {[' '.join(x.split()[3:6]) for x in exposed]}",
    )


def main() -> int:
    global TOKEN
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="trigger,short,promotion,backfill,ports")
    a = ap.parse_args()
    os.environ.update(ENV)
    TOKEN = token()
    steps = {
        "trigger": run_trigger,
        "short": run_short,
        "promotion": run_promotion,
        "backfill": run_backfill,
        "backfill-compare": run_backfill_compare,  # after a completed backfill: only the serial side
        "ports": run_ports,
    }
    for name in a.only.split(","):
        try:
            steps[name]()
        except Exception as exc:  # noqa: BLE001 - report and go on
            check(name, False, f"{type(exc).__name__}: {exc}")
    print(f"{sum(ok for _, ok, _ in results)}/{len(results)} checks passed")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
