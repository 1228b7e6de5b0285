"""The main-contract roll schedule in QuestDB (``<prefix>_main_schedule_v2``), one row per (variety, day).

Re-writing a schedule upserts by (ts, variety): days present in both versions take the new values;
QuestDB cannot delete rows, so a shorter new schedule leaves the old tail (read with ``end``).
"""

from __future__ import annotations

import pandas as pd

from ghtrader.store.questdb import ilp
from ghtrader.store.questdb.backend import QuestDbStore
from ghtrader.store.questdb.pg import as_date


def write_schedule(store: QuestDbStore, var: str, schedule: pd.DataFrame, schedule_hash: str) -> int:
    """Upsert a variety's schedule (``ghtrader.schedule.oi_rule.SCHEDULE_COLUMNS``); return rows sent."""
    return store.send([(ilp.schedule_frame(var, schedule, schedule_hash), store.schedule_spec)])


def read_schedule(store: QuestDbStore, var: str) -> pd.DataFrame:
    """The stored schedule of ``var`` in day order, ``trading_day`` as ``date``."""
    spec = store.schedule_spec
    store.wal.settle([spec.name])
    names = [n for n, _ in spec.columns if n not in ("ts", "variety", "schedule_hash")]
    cols, rows = store.pg.query(
        f"SELECT {', '.join(names)} FROM {spec.name} WHERE variety = %s ORDER BY ts", [var]
    )
    df = pd.DataFrame(rows, columns=cols or names)
    df["trading_day"] = [as_date(d) for d in df["trading_day"]]
    return df
