"""Read committed lake partitions for the readiness gates: integrity first, then suite frames.

Traps: a partition is integrity-checked (manifest, sha256, row counts) before its rows are trusted;
a failed check or an unreadable file becomes a ``Problem`` of the summary, never an exception.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ghtrader.quality.gx.runner import Batch, Problem
from ghtrader.store.manifest import verify_partition
from ghtrader.store.partition import read_partition

Frame = Callable[[pa.Table, dt.date, str], dict[str, pd.DataFrame]]  # (table, day, label) -> suite frames


def _label(dataset: str, symbol: str, day: dt.date) -> str:
    return f"{dataset}/symbol={symbol}/date={day.isoformat()}"


def _read(pdir: Path) -> pa.Table:
    table = read_partition(pdir)
    if table is None:
        raise ValueError(f"{pdir}: not committed")
    return table


PREFETCH = 4  # partitions read ahead (2 reader threads): bounded, so a long range never sits in memory


def _load(dataset: str, symbol: str, day: dt.date, pdir: Path, frame: Frame) -> list[Batch | Problem]:
    """Integrity-check and read one committed partition into its suite frames (runs on a reader thread)."""
    label = _label(dataset, symbol, day)
    problems = verify_partition(pdir)
    if problems:
        return [Problem(label, "integrity", "; ".join(problems))]
    try:
        table = _read(pdir)
    except (OSError, ValueError) as exc:
        return [Problem(label, "unreadable", str(exc))]
    return [
        Batch(label if suite == dataset else f"{label}/{suite}", suite, df)
        for suite, df in frame(table, day, label).items()
    ]


def partitions(
    dataset: str, symbol: str, days: Sequence[dt.date], pdir_of: Callable[[dt.date], Path], frame: Frame
) -> Iterator[Batch | Problem]:
    """Each committed day's frames, in day order; uncommitted days are left to the coverage suite.

    Parquet decoding and the sha256 check release the GIL, so two reader threads keep up to
    ``PREFETCH`` partitions ahead while GX validates the previous batch.
    """
    todo = [(d, pdir_of(d)) for d in sorted(days)]
    todo = [(d, p) for d, p in todo if (p / "_manifest.json").is_file()]
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending: deque[Future[list[Batch | Problem]]] = deque()
        for day, pdir in todo:
            pending.append(pool.submit(_load, dataset, symbol, day, pdir, frame))
            if len(pending) > PREFETCH:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
