"""WAL visibility: QuestDB commits an ILP request to the table's WAL and applies it asynchronously.

Tick writers do not wait for the apply (that would serialize every partition behind the server's
merge work); instead the store remembers which tables it wrote ("dirty") and a read of such a table
first waits until ``wal_tables()`` shows it applied — read-your-writes for this process. Readers in
other processes may see a coverage row before its ticks are applied; the count check then asks
``lagging`` and waits before calling a day incomplete.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence

from ghtrader.store.questdb.pg import PgClient


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class WalTracker:
    """Dirty-table bookkeeping plus the wait on ``wal_tables()`` (thread-safe)."""

    def __init__(self, pg: PgClient, wait_s: float) -> None:
        self.pg = pg
        self.wait_s = wait_s
        self._dirty: set[str] = set()
        self._lock = threading.Lock()

    def wrote(self, names: Iterable[str]) -> None:
        with self._lock:
            self._dirty.update(names)

    def settle(self, names: Iterable[str]) -> None:
        """Wait until this process's writes to ``names`` are visible to queries."""
        with self._lock:
            todo = sorted(self._dirty.intersection(names))
        if todo:
            self.wait_applied(todo)
            with self._lock:
                self._dirty.difference_update(todo)

    def settle_all(self) -> None:
        with self._lock:
            todo = sorted(self._dirty)
        self.settle(todo)

    def _state(self, names: Sequence[str]) -> list[tuple[str, bool, int, int]]:
        sql = (
            "SELECT name, suspended, writerTxn, sequencerTxn FROM wal_tables() "
            f"WHERE name IN ({', '.join(_quote(n) for n in names)})"
        )
        _, rows = self.pg.query(sql)
        for name, suspended, _w, _s in rows:
            if suspended:
                raise RuntimeError(f"QuestDB suspended the WAL of {name}: check its log, then RESUME WAL")
        return [(str(n), bool(s), int(w), int(q)) for n, s, w, q in rows]

    def lagging(self, name: str) -> bool:
        """True when ``name`` has committed WAL transactions not yet applied (from any writer)."""
        return any(w < q for _n, _s, w, q in self._state([name]))

    def wait_applied(self, names: Sequence[str]) -> None:
        """Block until the WAL of ``names`` is applied (``TimeoutError`` after ``wait_s``)."""
        deadline = time.monotonic() + self.wait_s
        pause = 0.002
        while True:
            if all(w >= q for _n, _s, w, q in self._state(names)):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"QuestDB did not apply the WAL of {list(names)} in {self.wait_s}s")
            time.sleep(pause)
            pause = min(0.025, pause * 2)
