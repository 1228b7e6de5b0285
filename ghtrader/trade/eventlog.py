"""Tamper-evident, append-only event log: ``runs/trading/<run_id>/events.jsonl``.

Each line is one JSON record ``{seq, kind, ..., prev, hash}``: ``prev`` is the previous record's
``hash`` (``GENESIS`` for the first) and ``hash`` is the sha256 of the record's canonical JSON without
``hash`` (sorted keys, no spaces, NaN/inf written as null). Changing, dropping, reordering or
inserting any line breaks the chain at that line; ``verify`` names the first bad record.

Traps: a ``kill -9`` can leave a torn last line (no newline). ``EventLog.open`` verifies the chain and
*truncates only such a torn tail* (logging how many bytes went, in a ``log_recovered`` record), then
continues the same chain, so a restart neither forks nor breaks it. A torn line in the middle, or a
bad hash anywhere, is tampering: ``open`` refuses to append. Wall-clock fields (``WALL_FIELDS``) are
part of the hash but are ignored when comparing two replays.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
EVENTS_NAME = "events.jsonl"
WALL_FIELDS = ("wall_ns",)
DURABLE_KINDS = frozenset({"order", "fill", "kill", "kill_reset", "model_switch", "run_start"})


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return _clean(obj.item())
    return obj


def canonical(record: dict[str, Any]) -> bytes:
    """Canonical JSON bytes of ``record`` (sorted keys, compact, ASCII, NaN -> null)."""
    try:  # fast path: plain JSON types without NaN/inf (json rejects numpy scalars and NaN here)
        return json.dumps(record, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError):
        return json.dumps(_clean(record), sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def record_hash(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int
    first_bad: int | None = None  # 1-based line number
    reason: str | None = None
    torn_tail: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "first_bad_line": self.first_bad,
            "reason": self.reason,
            "torn_tail": self.torn_tail,
        }


def _lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """(1-based line number, bytes without newline, complete?) of every line."""
    data = path.read_bytes() if path.is_file() else b""
    start = 0
    n = 0
    while start < len(data):
        end = data.find(b"\n", start)
        n += 1
        if end < 0:
            yield n, data[start:], False
            return
        yield n, data[start:end], True
        start = end + 1


def verify(path: Path, *, allow_torn_tail: bool = False) -> VerifyResult:
    """Check every record's hash and link; the first failure names its line and why."""
    prev = GENESIS
    count = 0
    for n, raw, complete in _lines(Path(path)):
        if not complete:
            if allow_torn_tail:
                return VerifyResult(True, count, torn_tail=True)
            return VerifyResult(False, count, n, "torn last line (no newline): crash during a write", True)
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError as exc:
            return VerifyResult(False, count, n, f"not JSON: {exc.msg}")
        if not isinstance(rec, dict) or "hash" not in rec or "prev" not in rec:
            return VerifyResult(False, count, n, "record lacks hash/prev")
        if rec["prev"] != prev:
            return VerifyResult(False, count, n, "prev does not match the previous record's hash")
        if record_hash(rec) != rec["hash"]:
            return VerifyResult(False, count, n, "hash does not match the record's content")
        if rec.get("seq") != count:
            return VerifyResult(False, count, n, f"seq {rec.get('seq')} where {count} was expected")
        prev = rec["hash"]
        count += 1
    return VerifyResult(True, count)


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every complete record (no verification: call ``verify`` first when it matters)."""
    return [json.loads(raw) for _, raw, complete in _lines(Path(path)) if complete and raw.strip()]


class EventLog:
    """Appends chained records; ``durable`` kinds are fsynced (orders, fills, kills, model switches)."""

    def __init__(self, path: Path, prev: str, seq: int, wall_clock: Any = None) -> None:
        self.path = Path(path)
        self.prev = prev
        self.seq = seq
        self._wall = wall_clock
        self._f = self.path.open("ab")

    @classmethod
    def open(cls, run_dir: Path, wall_clock: Any = None) -> EventLog:
        """Open (or create) ``run_dir/events.jsonl``; continue its chain after a verified prefix."""
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / EVENTS_NAME
        res = verify(path, allow_torn_tail=True)
        if not res.ok:
            raise ValueError(
                f"{path}: chain broken at line {res.first_bad}: {res.reason}; refusing to append"
            )
        torn = 0
        if res.torn_tail:
            data = path.read_bytes()
            keep = data.rfind(b"\n") + 1
            torn = len(data) - keep
            with path.open("r+b") as f:
                f.truncate(keep)
                f.flush()
                os.fsync(f.fileno())
        records = read_records(path)
        prev = records[-1]["hash"] if records else GENESIS
        log = cls(path, prev, len(records), wall_clock)
        if torn:
            log.append("log_recovered", torn_bytes=torn)
        return log

    def append(self, kind: str, **fields: Any) -> dict[str, Any]:
        rec: dict[str, Any] = {"seq": self.seq, "kind": kind, **fields, "prev": self.prev}
        if self._wall is not None:
            rec["wall_ns"] = int(self._wall())
        body = canonical(rec)  # sorted keys: "hash" is appended last, verify re-sorts when it checks
        rec["hash"] = hashlib.sha256(body).hexdigest()
        self._f.write(body[:-1] + b',"hash":"' + rec["hash"].encode() + b'"}\n')
        self._f.flush()  # survives kill -9 (page cache); fsync below survives power loss
        if kind in DURABLE_KINDS:
            os.fsync(self._f.fileno())
        self.prev = rec["hash"]
        self.seq += 1
        return rec

    def close(self) -> None:
        self._f.close()


def comparable(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records without wall-clock fields, hash or prev (two replays must agree on these)."""
    drop = {*WALL_FIELDS, "hash", "prev"}
    return [{k: v for k, v in r.items() if k not in drop} for r in records]
