"""The gap log: market-time ranges the live recorder may have missed, until a batch ingest fills them.

One JSON line per event in ``<data_dir>/live/gaps.jsonl`` (outside the lake, append-only):
``{"kind": "gap", "id", "symbol", "trading_day", "start_ns", "end_ns", "reason"}`` when the recorder
(re)starts, reconnects or sees a symbol's first tick of a day late, and ``{"kind": "resolved", "id"}``
once a batch ingest has completed that (symbol, trading day). ``ghtrader coverage`` lists the open
gaps; the nightly ingest re-fetches their days.

Traps: a ``kill -9`` can tear the last line, so unreadable lines are skipped, never fatal; a gap's
id is a hash of its content, so recording the same gap twice is harmless.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ghtrader.live.clock import SymbolSessions
    from ghtrader.market.calendar import TradingCalendar

GAPS_FILE = Path("live") / "gaps.jsonl"
OPEN_GRACE_NS = 2_000_000_000  # a first tick this close to the session open is no gap


@dataclass(frozen=True)
class Gap:
    """``(start_ns, end_ns)`` of ``symbol`` on ``trading_day`` with no recorded ticks (exclusive ends)."""

    symbol: str
    trading_day: dt.date
    start_ns: int
    end_ns: int
    reason: str

    @property
    def id(self) -> str:
        key = f"{self.symbol}|{self.trading_day}|{self.start_ns}|{self.end_ns}|{self.reason}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["trading_day"] = self.trading_day.isoformat()
        return {"kind": "gap", "id": self.id, **d}


def gaps_path(data_dir: Path) -> Path:
    return Path(data_dir) / GAPS_FILE


class GapLog:
    """Append-only gap/resolution records in one JSON-lines file."""

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        self.path = Path(path)
        self.durable = durable

    def _append(self, records: list[dict[str, object]]) -> None:
        if not records:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records).encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            if self.durable:
                os.fsync(fd)
        finally:
            os.close(fd)

    def record(self, gaps: Iterable[Gap]) -> list[Gap]:
        gaps = list(gaps)
        self._append([g.to_json() for g in gaps])
        return gaps

    def resolve(self, ids: Iterable[str], by: str) -> None:
        self._append([{"kind": "resolved", "id": i, "by": by} for i in sorted(set(ids))])

    def _records(self) -> list[dict[str, object]]:
        try:
            lines = self.path.read_text().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash
            if isinstance(rec, dict):
                out.append(rec)
        return out

    def all_gaps(self) -> list[Gap]:
        out: dict[str, Gap] = {}
        for r in self._records():
            if r.get("kind") != "gap":
                continue
            try:
                g = Gap(
                    symbol=str(r["symbol"]),
                    trading_day=dt.date.fromisoformat(str(r["trading_day"])),
                    start_ns=int(r["start_ns"]),  # type: ignore[call-overload]
                    end_ns=int(r["end_ns"]),  # type: ignore[call-overload]
                    reason=str(r["reason"]),
                )
            except (KeyError, ValueError, TypeError):
                continue
            out[g.id] = g
        return list(out.values())

    def open_gaps(self) -> list[Gap]:
        """Gaps not yet resolved, ordered by (trading_day, symbol, start)."""
        resolved = {str(r.get("id")) for r in self._records() if r.get("kind") == "resolved"}
        gaps = [g for g in self.all_gaps() if g.id not in resolved]
        return sorted(gaps, key=lambda g: (g.trading_day, g.symbol, g.start_ns))


def gap_days(gaps: Iterable[Gap]) -> dict[dt.date, list[str]]:
    """Trading day -> symbols with an open gap that day."""
    out: dict[dt.date, set[str]] = {}
    for g in gaps:
        out.setdefault(g.trading_day, set()).add(g.symbol)
    return {d: sorted(s) for d, s in sorted(out.items())}


def first_tick_gaps(
    calendar: TradingCalendar,
    sessions: SymbolSessions,
    pending: dict[str, tuple[str, int | None]],
    firsts: Iterable[tuple[str, int]],
) -> list[Gap]:
    """The gaps a symbol's first tick after a (re)start or reconnect reveals.

    ``pending[symbol]`` is (reason, the last tick known before: stored or received, None at a first
    start). Trap: when that last tick is on an earlier trading day, the earlier day's tail after it
    is a gap too, and the new day's gap starts at its session open (not at the old tick).
    """
    gaps = []
    for sym, t in firsts:
        if sym not in pending:
            continue
        reason, prev = pending[sym]
        t = int(t)
        day = calendar.trading_day_of(t)
        if day is None:
            continue
        prev_day = calendar.trading_day_of(prev) if prev is not None else None
        if prev is not None and prev_day is not None and prev_day != day:
            windows = sessions.windows(sym, prev_day)  # the earlier day's unrecorded tail
            if windows and windows[-1][1] > prev:
                gaps.append(Gap(sym, prev_day, prev, windows[-1][1], reason))
        if prev is None or prev_day != day:
            windows = sessions.windows(sym, day)  # nothing stored this day: from its open
            prev = windows[0][0] if windows else None
            if prev is None or t - prev < OPEN_GRACE_NS:
                continue
        if t > prev:
            gaps.append(Gap(sym, day, prev, t, reason))
    return gaps


def stop_gaps(calendar: TradingCalendar, sessions: SymbolSessions, last_ns: dict[str, int]) -> list[Gap]:
    """The rest of each symbol's trading day after its last recorded tick (the recorder stops)."""
    gaps = []
    for sym, last in last_ns.items():
        day = calendar.trading_day_of(last)
        windows = sessions.windows(sym, day) if day is not None else ()
        if day is not None and windows and windows[-1][1] > last:
            gaps.append(Gap(sym, day, last, windows[-1][1], "stop"))
    return gaps
