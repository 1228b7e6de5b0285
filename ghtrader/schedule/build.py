"""Build and persist the roll schedule of a variety from end-of-day open interest in the store.

The schedule lives with the data (``lake_v2/main_schedule/var=<var>/``): ``schedule.parquet`` plus
``schedule.json`` (hash, rule, source, the OI table it was computed from). End-of-day OI is the
last snapshot's ``open_interest`` of each (contract, trading day) partition; only that column and
``datetime_ns`` are read.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ghtrader.market.contracts import SYMBOL_RE, ContractBook
from ghtrader.schedule.oi_rule import OiRule, compute_schedule, schedule_hash
from ghtrader.store.files import atomic_write
from ghtrader.store.lake import ParquetLake


@dataclass(frozen=True)
class ScheduleResult:
    var: str
    schedule: pd.DataFrame
    hash: str
    path: Path

    def summary(self) -> dict[str, Any]:
        s = self.schedule
        switches = s[s["segment_id"].diff().fillna(0) > 0]
        return {
            "var": self.var,
            "schedule_hash": self.hash,
            "days": len(s),
            "first_day": s["trading_day"].iloc[0],
            "last_day": s["trading_day"].iloc[-1],
            "segments": int(s["segment_id"].max()) + 1,
            "contracts": list(dict.fromkeys(s["main_contract"])),
            "switches": [
                {"effective": r.trading_day, "to": r.main_contract, "reason": r.reason}
                for r in switches.itertuples()
            ],
            "path": str(self.path),
        }


def schedule_dir(lake: ParquetLake, var: str) -> Path:
    return lake.root / "main_schedule" / f"var={var}"


def end_of_day_oi(lake: ParquetLake, var: str, days: list[dt.date] | None = None) -> pd.DataFrame:
    """(trading_day, symbol, open_interest) from the last snapshot of each stored contract-day."""
    rows = []
    for symbol in lake.symbols("ticks"):
        m = SYMBOL_RE.match(symbol)
        if not m or m["var"] != var:
            continue
        for day in lake.days("ticks", symbol):
            if days is not None and day not in days:
                continue
            t = lake.read_day("ticks", symbol, day, columns=["datetime_ns", "open_interest"])
            if t.num_rows:
                rows.append((day, symbol, int(t["open_interest"][t.num_rows - 1].as_py())))
    if not rows:
        raise ValueError(f"no {var} contract ticks in {lake.root}; run `ghtrader download --var {var}` first")
    return pd.DataFrame(rows, columns=["trading_day", "symbol", "open_interest"])


def build_schedule(
    lake: ParquetLake, var: str, book: ContractBook, rule: OiRule = OiRule()
) -> ScheduleResult:
    """Compute the OI-rule schedule of ``var`` from the store and persist it atomically."""
    eod = end_of_day_oi(lake, var)
    expiry = {s: d for s in eod["symbol"].unique() if (d := book.get(s).last_trading_day) is not None}
    sched = compute_schedule(eod, rule, expiry=expiry, calendar=book.calendar)
    return persist_schedule(
        lake, var, sched, source="oi_rule", meta={"rule": asdict(rule), "eod_oi_rows": len(eod)}
    )


def persist_schedule(
    lake: ParquetLake, var: str, sched: pd.DataFrame, *, source: str, meta: dict[str, Any]
) -> ScheduleResult:
    h = schedule_hash(sched)
    out = schedule_dir(lake, var)
    out.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    pq.write_table(
        pa.Table.from_pandas(sched, preserve_index=False).replace_schema_metadata(None),
        buf,
        compression="zstd",
    )
    atomic_write(out / "schedule.parquet", buf.getvalue())
    doc = {"var": var, "source": source, "schedule_hash": h, "days": len(sched), **meta}
    atomic_write(
        out / "schedule.json", (json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n").encode()
    )
    return ScheduleResult(var, sched, h, out)


def load_schedule(lake: ParquetLake, var: str) -> pd.DataFrame:
    """The persisted schedule of ``var``; one clear error if ``main-schedule`` has not run."""
    path = schedule_dir(lake, var) / "schedule.parquet"
    if not path.exists():
        raise ValueError(
            f"no roll schedule for {var} in {lake.root}; run `ghtrader main-schedule --var {var}` first"
        )
    df = pq.read_table(path).to_pandas()
    df["trading_day"] = pd.to_datetime(df["trading_day"]).dt.date
    return df
