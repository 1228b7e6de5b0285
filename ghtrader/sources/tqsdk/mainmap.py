"""Main-contract schedule from TqSdk's ``KQ.m@SHFE.<var>`` ``underlying_symbol`` (alternative to the OI rule).

TqSdk's own rule switches the underlying at the next trading day's open; in TqBacktest the
continuous quote's ``underlying_symbol`` changes when the backtest enters a trading day whose
mapping differs. Capturing those change events and expanding them per trading day gives a
schedule with the columns of ``ghtrader.schedule.oi_rule.compute_schedule``.

Trap (known TqSdk behaviour): in some historical modes the quote carries *today's* underlying
for every past day (the initial snapshot is the live one and the per-day update never arrives).
A schedule naming a contract that was not listed, or already expired, on a day, or one constant
contract equal to the current live underlying over a span longer than any real main segment, is
rejected and the caller's OI-rule fallback is used with a warning.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.market.calendar import CST_OFFSET_NS, TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.schedule.oi_rule import SCHEDULE_COLUMNS
from ghtrader.sources.tqsdk.api import ApiFactory

log = logging.getLogger(__name__)
Event = tuple[dt.date, str]  # (trading day the mapping applies to, underlying contract)
# Longest plausible run of one main contract, in trading days (cu rolls monthly; au/ag to Jun/Dec).
MAX_SEGMENT_DAYS = {"cu": 60, "au": 150, "ag": 150}


def events_to_schedule(events: Sequence[Event], days: Sequence[dt.date], var: str) -> pd.DataFrame:
    """Expand underlying change events into one row per trading day with segment ids.

    The mapping of a day is the *last* event on or before it (a later event on the same day
    overrides an earlier one, e.g. the initial snapshot). Days before the first event are
    dropped; empty underlyings (continuous series not yet listed) are ignored. ``segment_id``
    starts at 0 and increments at each change of main contract.
    """
    clean = sorted(((d, s) for d, s in events if s), key=lambda e: e[0])
    days = sorted(set(days))
    if not clean:
        raise ValueError(f"KQ.m@SHFE.{var}: no underlying_symbol events to build a schedule from")
    ev_days = np.array([(d - dt.date(1970, 1, 1)).days for d, _ in clean], dtype=np.int64)
    want = np.array([(d - dt.date(1970, 1, 1)).days for d in days], dtype=np.int64)
    pos = np.searchsorted(ev_days, want, side="right") - 1  # last event on/before each day
    rows: list[tuple[object, ...]] = []
    main: str | None = None
    segment = -1
    for day, p in zip(days, pos.tolist(), strict=True):
        if p < 0:
            continue
        sym = clean[p][1]
        if sym != main:
            reason = (
                f"tqsdk: KQ.m@SHFE.{var} underlying {sym}"
                if main is None
                else f"tqsdk: KQ.m@SHFE.{var} underlying {main} -> {sym}"
            )
            main, segment = sym, segment + 1
        else:
            reason = "hold"
        rows.append((day, main, segment, None, None, None, reason))
    out = pd.DataFrame(rows, columns=SCHEDULE_COLUMNS)
    out["segment_id"] = out["segment_id"].astype("int32")
    out["main_oi"] = out["main_oi"].astype("float64")
    out["challenger_oi"] = out["challenger_oi"].astype("float64")
    return out


def today_bias(
    schedule: pd.DataFrame, var: str, book: ContractBook, current_underlying: str | None = None
) -> str | None:
    """Why ``schedule`` looks like TqSdk's "today's underlying for every day" bug, or None if plausible."""
    if schedule.empty:
        return "empty schedule"
    for day, sym in schedule[["trading_day", "main_contract"]].itertuples(index=False):
        if sym not in {s.symbol for s in book.listed(var, day)}:
            return f"{sym} was not a listed {var} contract on {day}"
    mains = schedule["main_contract"].unique()
    span = len(schedule)
    if len(mains) == 1 and span > MAX_SEGMENT_DAYS.get(var, 60):
        same = current_underlying is not None and mains[0] == current_underlying
        what = "the current live underlying" if same else "one contract"
        return f"{what} {mains[0]} is main on all {span} days (longer than any real {var} main segment)"
    return None


def _quote_trading_day(quote: Any, calendar: TradingCalendar) -> dt.date | None:
    stamp = str(getattr(quote, "datetime", "") or "")
    if not stamp:
        return None
    ns = int(pd.Timestamp(stamp).value) - CST_OFFSET_NS  # quote.datetime is CST wall clock
    return calendar.trading_day_of(ns)


def capture_underlying_events(
    api_factory: ApiFactory, var: str, start: dt.date, end: dt.date, calendar: TradingCalendar
) -> list[Event]:
    """Run TqBacktest over ``start..end`` and record every ``underlying_symbol`` change of ``KQ.m@``."""
    api = api_factory(backtest=(start, end))
    events: list[Event] = []
    try:
        quote = api.get_quote(f"KQ.m@SHFE.{var}")
        last = None
        while True:
            api.wait_update()
            sym = str(getattr(quote, "underlying_symbol", "") or "")
            if sym and (sym != last or api.is_changing(quote, "underlying_symbol")):
                events.append((_quote_trading_day(quote, calendar) or start, sym))
                last = sym
    except Exception as exc:  # TqBacktest ends by raising BacktestFinished
        if type(exc).__name__ != "BacktestFinished":
            raise
    finally:
        api.close()
    return events


def current_underlying(api_factory: ApiFactory, var: str) -> str | None:
    """The live ``underlying_symbol`` of ``KQ.m@SHFE.<var>`` (None if it cannot be read)."""
    api = api_factory()
    try:
        api.wait_update(deadline=time.time() + 10.0)
        return str(api.get_quote(f"KQ.m@SHFE.{var}").underlying_symbol or "") or None
    finally:
        api.close()


def tqsdk_schedule(
    api_factory: ApiFactory,
    var: str,
    days: Sequence[dt.date],
    calendar: TradingCalendar,
    *,
    book: ContractBook | None = None,
    fallback: Callable[[], pd.DataFrame] | None = None,
    live_underlying: str | None = None,
) -> pd.DataFrame:
    """Daily main schedule of ``var`` from TqSdk; the OI-rule ``fallback`` if TqSdk's mapping is biased.

    The result's ``attrs["source"]`` is ``"tqsdk"`` or ``"oi_rule"`` and ``attrs["warning"]`` says why
    the fallback was used. Without a fallback a biased mapping raises ``ValueError``.
    """
    days = sorted(set(days))
    if not days:
        raise ValueError("no trading days to build a schedule for")
    book = book or ContractBook.load(calendar)
    events = capture_underlying_events(api_factory, var, days[0], days[-1], calendar)
    try:
        sched = events_to_schedule(events, days, var)
        problem = today_bias(sched, var, book, live_underlying)
    except ValueError as exc:
        problem = str(exc)
    if problem is None:
        sched.attrs.update(source="tqsdk", warning=None)
        return sched
    warning = f"TqSdk KQ.m@SHFE.{var} mapping rejected ({problem}); falling back to the OI rule"
    if fallback is None:
        raise ValueError(warning.replace("falling back to the OI rule", "and no OI-rule fallback given"))
    log.warning(warning)
    out = fallback()
    out.attrs.update(source="oi_rule", warning=warning)
    return out
