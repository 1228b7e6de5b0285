"""The SHFE-style open-interest roll rule (SPEC §4.5), as a pure function of end-of-day OI.

Traps: the decision uses day T's *end-of-day* OI and takes effect on T+1 (never intraday); a
challenger must exceed ``threshold`` x the main's OI, not merely beat it; the main never rolls back
to an earlier delivery month; an expired or vanished main is replaced by the largest-OI contract.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import pandas as pd

from ghtrader.market.calendar import TradingCalendar

SCHEDULE_COLUMNS = [
    "trading_day",
    "main_contract",
    "segment_id",
    "main_oi",
    "challenger",
    "challenger_oi",
    "reason",
]


@dataclass(frozen=True)
class OiRule:
    """Parameters of the OI rule."""

    threshold: float = 1.1
    allow_rollback: bool = False


def eod_oi_table(eod: pd.DataFrame) -> pd.DataFrame:
    """Pivot long ``(trading_day, symbol, open_interest)`` rows into a day x contract table."""
    table = eod.pivot_table(index="trading_day", columns="symbol", values="open_interest", aggfunc="last")
    return table.sort_index().sort_index(axis=1)


def _delivery_key(symbol: str) -> str:
    return symbol.rsplit(".", 1)[-1].lstrip("abcdefghijklmnopqrstuvwxyz")


def compute_schedule(
    eod: pd.DataFrame,
    rule: OiRule = OiRule(),
    expiry: dict[str, dt.date] | None = None,
    calendar: TradingCalendar | None = None,
) -> pd.DataFrame:
    """Return the main contract per trading day from end-of-day open interest.

    ``eod`` has one row per (trading_day, symbol) with ``open_interest`` at the close of that
    trading day. Row T of the result names the main contract *for* day T, decided from day T-1's
    OI (the first day bootstraps from its own OI and says so in ``reason``). ``segment_id``
    starts at 0 and increments at each switch. A main contract missing from day T's rows is a
    data gap, not a roll: the main holds, unless ``expiry`` says it has expired by T, in which case
    the largest-OI later contract takes over. With a ``calendar``, a day whose previous trading day
    has no stored OI at all (the store holds disjoint ranges) cannot be decided from T-1: it
    bootstraps again from its own OI and starts a new segment, so no window spans the gap.
    """
    expiry = expiry or {}
    if eod.empty:
        raise ValueError("no end-of-day open interest to build a schedule from")
    table = eod_oi_table(eod)
    days = list(table.index)
    rows: list[tuple[object, ...]] = []
    first = table.iloc[0].dropna()
    main = str(first.idxmax())
    segment = 0
    rows.append(
        (days[0], main, segment, float(first[main]), None, None, "bootstrap: largest OI on first day")
    )
    for prev_day, day in zip(days[:-1], days[1:], strict=True):
        oi = table.loc[prev_day].dropna()
        oi = oi[oi > 0]
        reason = "hold"
        challenger, challenger_oi = None, None
        if calendar is not None and calendar.prev_trading_day(day) != prev_day:
            today = table.loc[day].dropna()
            today = today[[t > 0 and not (s in expiry and expiry[s] < day) for s, t in today.items()]]
            main, segment = str(today.idxmax()), segment + 1
            reason = f"bootstrap after a data gap ({prev_day} -> {day}): largest OI on {day}"
        elif main not in oi.index:
            expired = main in expiry and prev_day >= expiry[main]
            candidates = (
                oi if rule.allow_rollback else oi[[_delivery_key(s) > _delivery_key(main) for s in oi.index]]
            )
            if not expired:
                reason = f"hold: main {main} not observed on {prev_day} (data gap)"
            elif candidates.empty:
                raise ValueError(
                    f"main contract {main} expired on {expiry[main]} and no later contract has OI"
                )
            else:
                new = str(candidates.idxmax())
                reason = f"main {main} expired on {expiry[main]}"
                main, segment = new, segment + 1
        else:
            main_oi = float(oi[main])
            others = oi.drop(index=main)
            if not rule.allow_rollback:
                others = others[[_delivery_key(s) > _delivery_key(main) for s in others.index]]
            if not others.empty:
                challenger, challenger_oi = str(others.idxmax()), float(others.max())
                if challenger_oi > rule.threshold * main_oi:
                    reason = f"{challenger} OI {challenger_oi:.0f} > {rule.threshold} x {main} OI {main_oi:.0f} on {prev_day}"
                    main, segment = challenger, segment + 1
        main_oi_today = table.loc[day].get(main)
        rows.append((day, main, segment, _f(main_oi_today), challenger, challenger_oi, reason))
    out = pd.DataFrame(rows, columns=SCHEDULE_COLUMNS)
    out["segment_id"] = out["segment_id"].astype("int32")
    return out


def _f(x: object) -> float | None:
    return None if x is None or pd.isna(x) else float(x)  # type: ignore[arg-type]


def schedule_hash(schedule: pd.DataFrame) -> str:
    """Stable hash of (trading_day, main_contract, segment_id) rows."""
    rows = [
        [str(d), str(m), int(s)]
        for d, m, s in schedule[["trading_day", "main_contract", "segment_id"]].itertuples(index=False)
    ]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def main_for(schedule: pd.DataFrame, day: dt.date) -> tuple[str, int]:
    """Main contract and segment id for ``day``; ValueError if the schedule does not cover it."""
    hit = schedule[schedule["trading_day"] == day]
    if hit.empty:
        raise ValueError(f"schedule does not cover {day}")
    return str(hit["main_contract"].iloc[0]), int(hit["segment_id"].iloc[0])
