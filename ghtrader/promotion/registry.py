"""Champion registry on disk: ``<runs_dir>/promotion/<var>/``.

* ``champion.json`` — the pointer ``{run_id, path, promoted_at, decision, meta}`` (``meta`` is a
  copy of the champion's meta.json, so gates still work if its run dir is pruned). Every write is
  temp file + fsync + ``os.replace``: a reader sees the old or the new pointer, never a torn one.
* ``previous.json`` — the champion before it, for rollback. On promotion it is written *before*
  the champion pointer: a crash between the two leaves the old champion in place (and previous =
  that same champion, harmless). On rollback the champion is written first: a crash between leaves
  the restored champion in place.
* ``decisions.jsonl`` — append-only, one line per call (promoted, rejected, already_champion,
  rollback), with reasons, candidate and the champion at the time.

Timestamps come from the caller (CLI: wall clock; Airflow: logical date); nothing here reads a clock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from ghtrader.promotion.gates import Decision, PromotionGates, decide
from ghtrader.store.files import atomic_write

META_NAME = "meta.json"


def registry_dir(runs_dir: Path, var: str) -> Path:
    return Path(runs_dir) / "promotion" / var


def read_meta(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / META_NAME
    if not path.is_file():
        raise FileNotFoundError(f"no {META_NAME} in candidate dir {run_dir}")
    meta = json.loads(path.read_text())
    if not isinstance(meta, dict) or "run_id" not in meta:
        raise ValueError(f"{path} is not a model meta (needs run_id)")
    return meta


def _read_json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _write_json(path: Path, obj: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode())


def _append_log(reg: Path, record: dict[str, Any]) -> None:
    reg.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, sort_keys=True, default=str) + "\n"
    with (reg / "decisions.jsonl").open("a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def champion(runs_dir: Path, var: str) -> dict[str, Any] | None:
    """The current champion pointer, or None."""
    return _read_json(registry_dir(runs_dir, var) / "champion.json")


def previous(runs_dir: Path, var: str) -> dict[str, Any] | None:
    return _read_json(registry_dir(runs_dir, var) / "previous.json")


def decisions(runs_dir: Path, var: str) -> list[dict[str, Any]]:
    path = registry_dir(runs_dir, var) / "decisions.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def champion_meta(pointer: dict[str, Any] | None) -> dict[str, Any] | None:
    """Champion's meta: its run dir's meta.json if still there, else the copy in the pointer."""
    if pointer is None:
        return None
    path = Path(pointer["path"]) / META_NAME
    if path.is_file():
        return json.loads(path.read_text())
    return pointer.get("meta") or {"run_id": pointer["run_id"]}


def _stamp(at: dt.datetime | str) -> str:
    return at.isoformat() if isinstance(at, dt.datetime) else str(at)


def _brief(pointer: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if pointer is None else {"run_id": pointer["run_id"], "path": pointer["path"]}


def promote(
    var: str, candidate_dir: Path, runs_dir: Path, gates: PromotionGates, decided_at: dt.datetime | str
) -> Decision:
    """Decide on ``candidate_dir``; on success swap the champion pointer; always log the decision."""
    meta = read_meta(candidate_dir)
    if meta.get("var") not in (None, var):
        raise ValueError(f"candidate {meta['run_id']} is for var {meta.get('var')!r}, not {var!r}")
    reg = registry_dir(runs_dir, var)
    current = champion(runs_dir, var)
    decision = decide(meta, champion_meta(current), gates)
    at = _stamp(decided_at)
    cand_path = str(Path(candidate_dir).resolve())
    if decision.promote:
        if current is not None:
            _write_json(reg / "previous.json", current)
        pointer = {
            "run_id": decision.candidate_run_id,
            "path": cand_path,
            "promoted_at": at,
            "decision": decision.as_dict(),
            "meta": meta,
        }
        _write_json(reg / "champion.json", pointer)
    _append_log(
        reg,
        {
            "action": "promote",
            "decided_at": at,
            "var": var,
            "gates": gates.as_dict(),
            "candidate": {"run_id": decision.candidate_run_id, "path": cand_path},
            "champion_before": _brief(current),
            **decision.as_dict(),
        },
    )
    return decision


def rollback(var: str, runs_dir: Path, decided_at: dt.datetime | str) -> dict[str, Any]:
    """Swap the champion back to the previous one (logged); the replaced champion becomes previous."""
    reg = registry_dir(runs_dir, var)
    prev = previous(runs_dir, var)
    current = champion(runs_dir, var)
    if prev is None:
        raise ValueError(f"no previous champion to roll back to for {var} (registry {reg})")
    at = _stamp(decided_at)
    restored = {**prev, "promoted_at": at, "decision": {"status": "rollback", "replaced": _brief(current)}}
    _write_json(reg / "champion.json", restored)
    if current is not None:
        _write_json(reg / "previous.json", current)
    record = {
        "action": "rollback",
        "decided_at": at,
        "var": var,
        "status": "rollback",
        "promote": True,
        "reasons": [f"rollback: {current['run_id'] if current else None} -> {prev['run_id']}"],
        "candidate": _brief(prev),
        "champion_before": _brief(current),
    }
    _append_log(reg, record)
    return record
