"""``ghtrader db sync``: repair QuestDB from the lake or the lake from QuestDB, day by day.

The truth on each side is what it actually holds — QuestDB rows counted per trading day (a scan,
acceptable for a repair command) and the lake's committed manifests — not the coverage index,
which may claim rows that were lost since (a dropped partition). Rules (``plan_day``, pure):
a day present on one side only is copied to the other; with unequal row counts the larger copy
wins (partial loss is how both stores fail: a deleted file, a dropped partition, an interrupted
write); with equal counts and ``deep`` the contents are compared by digest and ``prefer`` decides;
a missing or stale index row is rebuilt from QuestDB's rows. No-data markers are merged both ways.
Copies into QuestDB are upserts (dedup keys restore missing rows without doubling the others).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ghtrader.store.lake import ParquetLake
from ghtrader.store.questdb.backend import QuestDbStore
from ghtrader.store.questdb.digest import table_digest

Prefer = Literal["questdb", "lake"]
Action = Literal["to_questdb", "to_lake", "index", "lost"]


@dataclass(frozen=True)
class DayAction:
    trading_day: dt.date
    action: Action
    reason: str


@dataclass(frozen=True)
class SyncReport:
    dataset: str
    symbol: str
    start: dt.date
    end: dt.date
    days_checked: int
    actions: tuple[DayAction, ...]
    no_data_to_questdb: tuple[dt.date, ...]
    no_data_to_lake: tuple[dt.date, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan_day(
    q_rows: int, lake_rows: int, index_rows: int | None, same_content: bool | None, prefer: Prefer
) -> tuple[Action, str] | None:
    """What to do for one day given each side's row count; ``None`` when in sync."""
    if q_rows == 0 and lake_rows == 0:
        return ("lost", f"index claims {index_rows} rows but neither side has any") if index_rows else None
    if lake_rows == 0:
        return "to_lake", f"missing in the lake ({q_rows} rows in QuestDB)"
    if q_rows == 0:
        return "to_questdb", f"missing in QuestDB ({lake_rows} rows in the lake)"
    if q_rows < lake_rows:
        return "to_questdb", f"QuestDB holds {q_rows} of the lake's {lake_rows} rows"
    if lake_rows < q_rows:
        return "to_lake", f"the lake holds {lake_rows} of QuestDB's {q_rows} rows"
    if same_content is False:
        target: Action = "to_lake" if prefer == "questdb" else "to_questdb"
        return target, f"same row count, different content; {prefer} wins"
    if index_rows != q_rows:
        return "index", f"coverage index says {index_rows} rows, QuestDB holds {q_rows}"
    return None


def sync_symbol(
    questdb: QuestDbStore,
    lake: ParquetLake,
    dataset: str,
    symbol: str,
    start: dt.date,
    end: dt.date,
    *,
    prefer: Prefer = "questdb",
    deep: bool = False,
    dry_run: bool = False,
) -> SyncReport:
    """Compare and repair ``symbol``'s days in ``[start, end]``; see the module docstring."""
    if prefer not in ("questdb", "lake"):
        raise ValueError(f"prefer must be 'questdb' or 'lake', got {prefer!r}")
    q_counts = questdb.day_counts(dataset, symbol, start, end)
    index = {
        e.trading_day: e.rows for e in questdb.coverage(dataset, symbol) if start <= e.trading_day <= end
    }
    lake_rows: dict[dt.date, int] = {}
    for d in lake.days(dataset, symbol):
        m = lake.manifest(dataset, symbol, d) if start <= d <= end else None
        if m is not None:
            lake_rows[d] = m.rows
    days = sorted(set(q_counts) | set(index) | set(lake_rows))
    actions = []
    for day in days:
        q_n, l_n = q_counts.get(day, 0), lake_rows.get(day, 0)
        same = None
        if deep and q_n and q_n == l_n:
            q_t, l_t = questdb.scan_day(dataset, symbol, day), lake.read_day(dataset, symbol, day)
            same = table_digest(q_t) == table_digest(l_t)
        plan = plan_day(q_n, l_n, index.get(day), same, prefer)
        if plan is None:
            continue
        actions.append(DayAction(day, plan[0], plan[1]))
        if not dry_run:
            _apply(questdb, lake, dataset, symbol, day, plan[0], index.get(day) != q_n)
    q_nd = {d for d in questdb.no_data_days(dataset, symbol) if start <= d <= end}
    l_nd = {d for d in lake.no_data_days(dataset, symbol) if start <= d <= end}
    to_q, to_l = sorted(l_nd - q_nd), sorted(q_nd - l_nd)
    if not dry_run:
        to_q = questdb.mark_no_data(dataset, symbol, to_q)
        to_l = lake.mark_no_data(dataset, symbol, to_l)
    return SyncReport(dataset, symbol, start, end, len(days), tuple(actions), tuple(to_q), tuple(to_l))


def _apply(
    questdb: QuestDbStore,
    lake: ParquetLake,
    dataset: str,
    symbol: str,
    day: dt.date,
    action: Action,
    index_stale: bool,
) -> None:
    if action == "to_questdb":
        questdb.write_partition(
            dataset, symbol, day, lake.read_day(dataset, symbol, day), mode="replace", resend=True
        )
    elif action in ("to_lake", "index"):
        table = questdb.scan_day(dataset, symbol, day)
        if action == "to_lake":
            lake.write_partition(dataset, symbol, day, table, mode="replace")
        if index_stale or action == "index":
            questdb.write_partition(dataset, symbol, day, table, mode="replace", resend=True)
