"""The live recorder's configuration and the result of one flush (``live.recorder``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class RecorderConfig:
    """Flush cadence, staleness bound and where things go."""

    quarantine_dir: Path
    flush_s: float = 2.0
    stale_s: float = 60.0
    validate_every_s: float = 0.5
    max_files: int = 64  # compact a partition once it has this many files
    compact_per_round: int = 4  # partitions compacted per compactor round (every 5 s)
    commit_workers: int = 8  # symbols committed in parallel (fsync waits overlap; more threads only contend)
    flush_groups: int = 4  # timer flushes are staggered over this many symbol groups (see ``staging``)
    dataset: str = "ticks"
    source: str = "sim"


@dataclass
class FlushResult:
    rows: int = 0
    partitions: int = 0
    quarantined: int = 0
    seconds: float = 0.0
    taken_at: float = 0.0  # wall time the flush took its rows: everything received before is durable
    feed_lag_s: float = 0.0  # how far the newest received tick was behind the clock at taken_at
    latencies: np.ndarray = field(default_factory=lambda: np.empty(0))
    group: int | None = None  # the flush group committed (None: every group)
    symbols: tuple[str, ...] = ()  # symbols whose staged rows this flush committed
