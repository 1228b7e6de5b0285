"""Gated live rows waiting for their partition's next commit, and the staggered flush schedule.

Rows are converted to Arrow and split by (symbol, trading day) partition when they pass the gate
(every ``validate_every_s``), not when they are flushed: a flush then only encodes and commits, so
its duration - which every tick received just after the previous flush waits for on top of the
flush interval - stays short.

Staggering: each symbol belongs to one of ``groups`` flush groups (round-robin in order of first
appearance). The timer commits one group every ``flush_s / groups`` seconds, so every partition is
still committed every ``flush_s`` seconds, but a timer flush does a fraction of the work and the
tick-to-durable latency is ``flush_s`` plus one group's commit, not plus the whole book's.
Session ends and shutdown commit every group at once.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
import pyarrow as pa

from ghtrader.schema import to_arrow
from ghtrader.store.runs import partition_runs

PartKey = tuple[str, dt.date]
Chunks = list[tuple[pa.Table, np.ndarray]]  # Arrow slices of one partition with their receive times


class Staging:
    """Gated rows by partition (not thread-safe: the recorder holds its buffer lock around calls)."""

    def __init__(self, schema: pa.Schema, groups: int = 1) -> None:
        self.schema = schema
        self.groups = max(1, groups)
        self.parts: dict[PartKey, Chunks] = {}
        self.group: dict[str, int] = {}

    def add(self, clean: pd.DataFrame, recv: np.ndarray) -> None:
        """Stage gated rows (tick schema, any symbols; time-ordered within each symbol)."""
        table = to_arrow(clean, self.schema)
        order, starts = partition_runs(table)
        if order is not None:
            table, recv = table.take(pa.array(order)), recv[order]
        ends = np.r_[starts[1:], table.num_rows]
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            part = table.slice(a, b - a)
            symbol, day = part["symbol"][0].as_py(), part["trading_day"][0].as_py()
            self.group.setdefault(symbol, len(self.group) % self.groups)
            self.parts.setdefault((symbol, day), []).append((part, recv[a:b]))

    def take(self, group: int | None = None) -> dict[PartKey, Chunks]:
        """Remove and return the staged partitions of ``group`` (every group when None)."""
        if group is None:
            out, self.parts = self.parts, {}
            return out
        out = {k: v for k, v in self.parts.items() if self.group[k[0]] == group}
        for k in out:
            del self.parts[k]
        return out

    def put_back(self, taken: dict[PartKey, Chunks], keys: set[PartKey]) -> None:
        """Re-stage the partitions ``keys`` of ``taken`` (not committed) ahead of rows staged since."""
        for k in keys:
            self.parts[k] = taken[k] + self.parts.get(k, [])


class FlushSchedule:
    """When the next timer flush is due and which group it commits (the service and the benchmark)."""

    def __init__(self, flush_s: float, groups: int, now: float | None = None) -> None:
        self.groups = max(1, groups)
        self.slot = flush_s / self.groups
        self.next = (time.monotonic() if now is None else now) + self.slot
        self.turn = 0

    def due(self, now: float) -> int | None:
        """The group to flush now (advancing the schedule), or None when nothing is due."""
        if now < self.next:
            return None
        group = self.turn
        self.turn = (self.turn + 1) % self.groups
        self.next += self.slot
        if now > self.next:  # fell behind: do not queue up flushes
            self.next = now + self.slot
        return group

    def restart(self, now: float) -> None:
        """After a full flush (session end): the next slot starts from now."""
        self.next = now + self.slot
