"""What an ingest run did: ``IngestSummary`` counts (added with ``+``) and their JSON form."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import pandas as pd

from ghtrader.store.base import PartitionInfo


@dataclass(frozen=True)
class IngestSummary:
    """Counts of one ingest run; add two summaries with ``+``."""

    rows_in: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    partitions_written: int = 0
    partitions_unchanged: int = 0
    partitions_kept_existing: int = 0
    partitions_superseded: int = 0
    sidecars_written: int = 0
    days_fetched: int = 0
    days_skipped: int = 0
    no_data_days: int = 0  # (symbol, day) pairs newly marked no-data
    symbols: tuple[str, ...] = ()
    days: tuple[dt.date, ...] = ()
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    short_days: tuple[str, ...] = ()  # "SYM DAY: kept/read rows kept" below the threshold
    conflicts: tuple[str, ...] = ()  # "SYM DAY": stored with other rows, left alone

    def __add__(self, other: IngestSummary) -> IngestSummary:
        counts = {
            f.name: getattr(self, f.name) + getattr(other, f.name)
            for f in fields(self)
            if f.type in ("int", int)
        }
        reasons = Counter(self.quarantine_reasons) + Counter(other.quarantine_reasons)
        return IngestSummary(
            **counts,
            symbols=tuple(sorted(set(self.symbols) | set(other.symbols))),
            days=tuple(sorted(set(self.days) | set(other.days))),
            quarantine_reasons=dict(sorted(reasons.items())),
            short_days=tuple(sorted({*self.short_days, *other.short_days})),
            conflicts=tuple(sorted({*self.conflicts, *other.conflicts})),
        )

    @property
    def stored_nothing(self) -> bool:
        """No row written, none already present: the import had no effect at all."""
        present = self.partitions_unchanged + self.partitions_kept_existing + self.days_skipped
        return self.rows_written == 0 and present == 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["symbols"] = list(self.symbols)
        d["days"] = [x.isoformat() for x in self.days]
        d["short_days"] = list(self.short_days)
        d["conflicts"] = list(self.conflicts)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


def summarize(infos: Sequence[PartitionInfo], rows_in: int, rejected: pd.DataFrame) -> IngestSummary:
    reasons = Counter(str(r) for r in rejected["reason"]) if len(rejected) else Counter()
    return IngestSummary(
        rows_in=rows_in,
        rows_written=sum(i.rows for i in infos if i.changed),
        rows_quarantined=len(rejected),
        partitions_written=sum(i.status == "written" for i in infos),
        partitions_unchanged=sum(i.status == "unchanged" for i in infos),
        partitions_kept_existing=sum(i.status == "kept_existing" for i in infos),
        partitions_superseded=sum(i.status == "superseded" for i in infos),
        conflicts=tuple(f"{i.symbol} {i.trading_day}" for i in infos if i.status == "kept_existing"),
        symbols=tuple(sorted({i.symbol for i in infos})),
        days=tuple(sorted({i.trading_day for i in infos})),
        quarantine_reasons=dict(sorted(reasons.items())),
    )
