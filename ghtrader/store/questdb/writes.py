"""The write batch: pending partitions of open ``QuestDbStore.batch()`` scopes and how they are sent.

Order is the commit protocol: every tick request of the batch first (per table, transactional,
about ``batch_rows`` rows each, several partitions per request), then one request with all their
coverage rows (the commit records), then the no-data un-marks. The index rows are waited for only
when the outermost ``batch()`` exits (``settle``), so they are visible to every reader when the
write returns; a commit forced mid-batch by ``batch_rows`` does not stop to wait (this process's own
reads settle first anyway, see ``wal``).
"""

from __future__ import annotations

import threading

from ghtrader.store.questdb import ilp
from ghtrader.store.questdb.conn import QuestDbConfig, QuestDbUnavailable, probe_tcp
from ghtrader.store.questdb.ddl import TableSpec
from ghtrader.store.questdb.entry import Pending
from ghtrader.store.questdb.wal import WalTracker


class PendingWrites:
    """Nesting depth of ``batch()`` and the queued partitions (thread-safe)."""

    def __init__(self, batch_rows: int) -> None:
        self.batch_rows = batch_rows
        self._lock = threading.Lock()
        self._depth = 0
        self._items: list[Pending] = []
        self._rows = 0

    def enter(self) -> None:
        with self._lock:
            self._depth += 1

    def leave(self) -> bool:
        """Close one scope; True when it was the outermost (time to commit)."""
        with self._lock:
            self._depth -= 1
            return self._depth == 0

    def add(self, item: Pending) -> bool:
        """Queue ``item``; True when the queue reached ``batch_rows`` (time to commit)."""
        with self._lock:
            self._items.append(item)
            self._rows += item.entry.rows
            return self._rows >= self.batch_rows

    def take(self) -> list[Pending]:
        with self._lock:
            items, self._items, self._rows = self._items, [], 0
        return items


def send_batch(
    config: QuestDbConfig,
    wal: WalTracker,
    coverage: TableSpec,
    no_data: TableSpec,
    items: list[Pending],
    settle: bool = True,
) -> None:
    """Ticks, then coverage rows, then un-marks, over one ILP/HTTP sender; wait for the index rows."""
    from questdb import QuestDBError, Sender

    probe_tcp(config.host, config.ilp_port, "ILP/HTTP", config.connect_timeout_s)
    try:
        with Sender.from_conf(config.ilp_conf(), **config.sender_kwargs()) as sender:
            for spec in {p.spec.name: p.spec for p in items}.values():
                frames = [p.frame for p in items if p.spec.name == spec.name]
                ilp.send_frames(sender, frames, spec, config.batch_rows)
                wal.wrote([spec.name])
            ilp.send_rows(sender, coverage, [ilp.coverage_row(p.entry) for p in items])
            wal.wrote([coverage.name])
            unmark = [
                ilp.no_data_row(p.entry.dataset, p.entry.symbol, p.entry.trading_day, False)
                for p in items
                if p.unmark_no_data
            ]
            if unmark:
                ilp.send_rows(sender, no_data, unmark)
                wal.wrote([no_data.name])
    except QuestDBError as exc:
        raise QuestDbUnavailable(f"QuestDB ILP at {config.ilp_addr} failed: {exc}") from None
    if settle:
        wal.settle([coverage.name, no_data.name])  # commit records visible to every reader on return
