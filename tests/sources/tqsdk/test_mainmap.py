"""KQ.m@ ``underlying_symbol`` events -> daily schedule; the "today's underlying" trap -> OI fallback."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ghtrader.market.calendar import TradingCalendar, index_to_date
from ghtrader.schedule.oi_rule import SCHEDULE_COLUMNS, compute_schedule
from ghtrader.sources.tqsdk.mainmap import events_to_schedule, today_bias, tqsdk_schedule
from ghtrader.testing import load_klines

SYMBOLS = ["SHFE.cu2001", "SHFE.cu2002", "SHFE.cu2003"]


class FakeBacktestApi:
    """TqBacktest over a day->underlying script. The first snapshot carries the *live* underlying,
    as TqSdk's does; with ``stuck`` the per-day update never arrives (the known historical bug)."""

    def __init__(
        self, script: dict[dt.date, str], days: list[dt.date], live: str, finished: type, stuck: bool
    ):
        self.script, self.days, self.finished, self.stuck = script, days, finished, stuck
        self.quote = SimpleNamespace(underlying_symbol=live, datetime="")
        self.step = -1
        self.changed = True
        self.closed = False
        self.snapshot_sent = False

    def get_quote(self, symbol: str) -> SimpleNamespace:
        return self.quote

    def wait_update(self, deadline: float | None = None) -> bool:
        if not self.snapshot_sent:  # first update: the contract snapshot, no market time yet
            self.snapshot_sent = True
            return True
        self.step += 1
        if self.step >= len(self.days):
            raise self.finished()
        day = self.days[self.step]
        self.quote.datetime = f"{day.isoformat()} 09:00:00.000000"
        new = self.quote.underlying_symbol if self.stuck else self.script[day]
        self.changed = new != self.quote.underlying_symbol
        self.quote.underlying_symbol = new
        return True

    def is_changing(self, obj: object, key: str | None = None) -> bool:
        return self.changed

    def close(self) -> None:
        self.closed = True


def _factory(script, calendar: TradingCalendar, live: str, finished: type, stuck: bool = False):  # noqa: ANN001, ANN202
    def make(*, backtest: tuple[dt.date, dt.date] | None = None) -> FakeBacktestApi:
        assert backtest is not None, "the mapping must be captured in backtest mode"
        return FakeBacktestApi(script, calendar.trading_days(*backtest), live, finished, stuck)

    return make


@pytest.fixture(scope="module")
def real_oi_schedule(real_data, calendar: TradingCalendar, book) -> pd.DataFrame:  # noqa: ANN001
    """The OI-rule schedule of the real cu2001/2002/2003 closes (the mapping TqSdk would serve)."""
    frames = []
    for sym in SYMBOLS:
        bars = load_klines(real_data, sym, 60)
        td = calendar.trading_day_index(bars["datetime_nano"].to_numpy(np.int64))
        bars["trading_day"] = [index_to_date(i) for i in td]
        last = bars.sort_values("datetime_nano").groupby("trading_day").tail(1)
        last = last[pd.to_datetime(last["datetime"]).dt.strftime("%H:%M") == "14:59"]
        frames.append(last[["trading_day", "symbol"]].assign(open_interest=last["close_oi"].astype(float)))
    expiry = {s: book.get(s).last_trading_day for s in SYMBOLS}
    return compute_schedule(pd.concat(frames), expiry=expiry)


def _daily_script(sched: pd.DataFrame, calendar: TradingCalendar) -> dict[dt.date, str]:
    days = calendar.trading_days(sched["trading_day"].iloc[0], sched["trading_day"].iloc[-1])
    known = dict(zip(sched["trading_day"], sched["main_contract"], strict=True))
    out, cur = {}, None
    for d in days:
        cur = known.get(d, cur)
        out[d] = cur
    return out


def test_events_to_schedule_segments() -> None:
    d = [dt.date(2025, 3, 3) + dt.timedelta(days=i) for i in range(5)]
    events = [(d[0], "SHFE.cu2505"), (d[0], "SHFE.cu2504"), (d[2], ""), (d[3], "SHFE.cu2505")]
    s = events_to_schedule(events, d, "cu")
    assert list(s.columns) == SCHEDULE_COLUMNS
    assert s["main_contract"].tolist() == ["SHFE.cu2504"] * 3 + ["SHFE.cu2505"] * 2
    assert s["segment_id"].tolist() == [0, 0, 0, 1, 1] and s["segment_id"].dtype == np.int32
    assert "SHFE.cu2504 -> SHFE.cu2505" in s["reason"].iloc[3]
    later = events_to_schedule([(d[2], "SHFE.cu2505")], d, "cu")
    assert later["trading_day"].tolist() == d[2:]  # no mapping before the first event
    with pytest.raises(ValueError, match="no underlying_symbol events"):
        events_to_schedule([(d[0], "")], d, "cu")


def test_round_trip_of_the_real_oi_schedule(real_oi_schedule: pd.DataFrame, calendar) -> None:  # noqa: ANN001
    s = real_oi_schedule
    switches = s[s["segment_id"].diff().fillna(1) != 0]
    events = list(zip(switches["trading_day"], switches["main_contract"], strict=True))
    got = events_to_schedule(events, list(s["trading_day"]), "cu")
    assert got["main_contract"].tolist() == s["main_contract"].tolist()
    assert got["segment_id"].tolist() == s["segment_id"].tolist()


def test_tqsdk_schedule_from_backtest_events(real_oi_schedule, calendar, book, tq) -> None:  # noqa: ANN001
    script = _daily_script(real_oi_schedule, calendar)
    days = sorted(script)
    factory = _factory(script, calendar, live="SHFE.cu2605", finished=tq.BacktestFinished)
    got = tqsdk_schedule(
        factory, "cu", days, calendar, book=book, fallback=lambda: pytest.fail("no fallback")
    )
    assert got.attrs["source"] == "tqsdk"
    assert got["main_contract"].tolist() == [script[d] for d in days]
    assert got["segment_id"].max() == real_oi_schedule["segment_id"].max()


def test_todays_underlying_for_every_day_falls_back_to_oi_rule(
    real_oi_schedule,
    calendar,
    book,
    tq,
    caplog,  # noqa: ANN001
) -> None:
    script = _daily_script(real_oi_schedule, calendar)
    days = sorted(script)
    factory = _factory(script, calendar, live="SHFE.cu2605", finished=tq.BacktestFinished, stuck=True)
    got = tqsdk_schedule(factory, "cu", days, calendar, book=book, fallback=lambda: real_oi_schedule.copy())
    assert (
        got.attrs["source"] == "oi_rule"
        and "SHFE.cu2605 was not a listed cu contract" in got.attrs["warning"]
    )
    assert got.equals(real_oi_schedule)
    assert any("falling back to the OI rule" in r.message for r in caplog.records)
    with pytest.raises(ValueError, match="no OI-rule fallback"):
        tqsdk_schedule(factory, "cu", days, calendar, book=book)


def test_today_bias_rules(calendar, book) -> None:  # noqa: ANN001
    days = calendar.trading_days(dt.date(2019, 9, 2), dt.date(2019, 12, 13))
    assert len(days) > 60
    const = events_to_schedule([(days[0], "SHFE.cu1912")], days, "cu")
    assert "current live underlying SHFE.cu1912" in (today_bias(const, "cu", book, "SHFE.cu1912") or "")
    assert "one contract SHFE.cu1912" in (today_bias(const, "cu", book, None) or "")
    expired = events_to_schedule([(days[0], "SHFE.cu1910")], days, "cu")
    assert "SHFE.cu1910 was not a listed" in (today_bias(expired, "cu", book) or "")
    rolls = [(d, f"SHFE.cu{20 if d.month == 12 else 19}{d.month % 12 + 1:02d}") for d in days]
    assert today_bias(events_to_schedule(rolls, days, "cu"), "cu", book) is None
