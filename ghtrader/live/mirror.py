"""Mirror the recorder's committed partitions into QuestDB, off the flush path.

The recorder marks each (symbol, trading day) it appended to; ``sync`` (the compactor thread, and
once after the final flush) upserts those whole partitions, read back from the lake, into QuestDB
(dedup keys make a resend harmless). A QuestDB outage never stops the lake commits: the partitions
of a failed sync stay marked and are sent again next time.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from ghtrader.store.lake import ParquetLake


class QuestDbMirror:
    """The partitions changed since the last sync, and the sync itself (thread-safe marks)."""

    def __init__(self, store: Any, lake: ParquetLake, dataset: str) -> None:
        self.store = store  # a QuestDbStore
        self.lake = lake
        self.dataset = dataset
        self._dirty: set[tuple[str, dt.date]] = set()
        self._lock = threading.Lock()

    def mark(self, symbol: str, day: dt.date) -> None:
        with self._lock:
            self._dirty.add((symbol, day))

    def sync(self) -> int:
        """Upsert every marked partition (whole, ``replace``); return how many were sent."""
        with self._lock:
            todo, self._dirty = sorted(self._dirty), set()
        done = 0
        try:
            with self.store.batch():
                for symbol, d in todo:
                    table = self.lake.read_day(self.dataset, symbol, d)
                    self.store.write_partition(self.dataset, symbol, d, table, mode="replace")
                    done += 1
        except Exception:
            with self._lock:
                self._dirty.update(todo)
            raise
        return done
