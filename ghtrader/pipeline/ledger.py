"""The run ledger: one small JSON per (pipeline window, task) under ``runs/ledger``, read by the
dashboard to show one row per run (variety, range, DQ, model metrics, promotion, report link).

Layout: ``runs/ledger/<var>/<start>_<end>/<task>[.<label>].json``, each file written atomically by
the task it describes, so concurrent tasks never write the same file. A window is the unit of
identity: a rerun of the same window overwrites its rows (idempotent), and each file records the
Airflow ``dag_id``/``run_id`` that last wrote it so a DAG run can link to its row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SAFE = re.compile(r"[^A-Za-z0-9_.@=-]+")


def window_dir(runs_dir: Path, var: str, start: str, end: str) -> Path:
    return Path(runs_dir) / "ledger" / var / f"{start}_{end}"


def record(
    runs_dir: Path,
    var: str,
    start: str,
    end: str,
    task: str,
    entry: Mapping[str, Any],
    *,
    label: str | None = None,
) -> Path:
    """Write one task's ledger entry (atomic replace); returns its path."""
    from ghtrader.store.files import atomic_write

    name = _SAFE.sub("_", task if label is None else f"{task}.{label}")
    path = window_dir(runs_dir, var, start, end) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(dict(entry), indent=1, sort_keys=True, default=str) + "\n"
    atomic_write(path, body.encode(), durable=False)
    return path


@dataclass
class RunRow:
    """Everything the dashboard shows for one pipeline window."""

    var: str
    start: str
    end: str
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def run_ids(self) -> list[str]:
        return sorted({str(t["run_id"]) for t in self.tasks.values() if t.get("run_id")})

    @property
    def dag_id(self) -> str:
        return f"ghtrader_{self.var}"

    def _gates(self) -> dict[str, bool | None]:
        return {
            name: t.get("state") == "success"
            for name, t in self.tasks.items()
            if name.split(".")[0].startswith("gx_")
        }

    @property
    def dq(self) -> str:
        """ "pass", "FAIL" (naming the gates) or "—" when no gate has run yet."""
        gates = self._gates()
        if not gates:
            return "—"
        failed = sorted(k for k, ok in gates.items() if not ok)
        return "pass" if not failed else "FAIL: " + ", ".join(failed)

    @property
    def models(self) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for name, t in self.tasks.items():
            if name.startswith("train.") and t.get("state") == "success":
                res = t.get("result") or {}
                out[str(res.get("model", name[6:]))] = res.get("macro_f1_mean")
        return out

    @property
    def promotion(self) -> dict[str, Any] | None:
        t = self.tasks.get("promote")
        if t is None:
            return None
        if t.get("state") != "success":
            return {"promote": None, "reasons": [t.get("error", "failed")]}
        return t.get("result")

    @property
    def report(self) -> str | None:
        t = self.tasks.get("evaluate")
        return None if t is None or t.get("state") != "success" else (t.get("result") or {}).get("report")

    @property
    def failed_tasks(self) -> list[str]:
        return sorted(k for k, t in self.tasks.items() if t.get("state") == "failed")


def read_rows(runs_dir: Path) -> list[RunRow]:
    """Every recorded window, newest end date first (then variety)."""
    base = Path(runs_dir) / "ledger"
    rows: list[RunRow] = []
    if not base.is_dir():
        return rows
    for var_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        for win in sorted(p for p in var_dir.iterdir() if p.is_dir() and "_" in p.name):
            start, end = win.name.split("_", 1)
            row = RunRow(var_dir.name, start, end)
            for f in sorted(win.glob("*.json")):
                try:
                    row.tasks[f.stem] = json.loads(f.read_text())
                except (OSError, ValueError):
                    row.tasks[f.stem] = {"state": "failed", "error": f"unreadable ledger file {f.name}"}
            rows.append(row)
    rows.sort(key=lambda r: (r.end, r.start, r.var), reverse=True)
    return rows
