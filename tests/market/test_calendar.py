from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ghtrader.market.calendar import CST_OFFSET_NS, NS_PER_S, TradingCalendar, index_to_date, session_mask
from ghtrader.market.sessions import variety_sessions


def cst_ns(text: str) -> int:
    """Epoch-ns of a CST wall-clock time."""
    t = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    return int(t.timestamp()) * NS_PER_S - CST_OFFSET_NS


def test_bundled_covers_2016_to_2026(calendar: TradingCalendar) -> None:
    assert calendar.first_year <= 2016 and calendar.last_year >= 2026
    for year in range(2016, 2027):
        n = len(calendar.trading_days(f"{year}-01-01", f"{year}-12-31"))
        assert 235 <= n <= 252, (year, n)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2025-03-07", True),  # Friday
        ("2025-03-08", False),  # Saturday
        ("2025-10-01", False),  # National Day
        ("2025-10-09", True),
        ("2024-02-09", False),  # Spring Festival eve closure
        ("2019-06-07", False),  # Dragon Boat
    ],
)
def test_is_trading_day(calendar: TradingCalendar, day: str, expected: bool) -> None:
    assert calendar.is_trading_day(day) is expected


def test_friday_night_belongs_to_monday(calendar: TradingCalendar) -> None:
    assert calendar.trading_day_of(cst_ns("2025-03-07 21:00:00.500")) == dt.date(2025, 3, 10)
    assert calendar.trading_day_of(cst_ns("2025-03-08 00:59:59")) == dt.date(2025, 3, 10)
    assert calendar.trading_day_of(cst_ns("2025-03-10 09:00:01")) == dt.date(2025, 3, 10)
    assert calendar.trading_day_of(cst_ns("2025-03-10 21:00:01")) == dt.date(2025, 3, 11)


def test_no_night_session_before_holiday(calendar: TradingCalendar) -> None:
    # 2025-09-30 (Tue) is the last day before National Day: no night session that evening.
    assert not calendar.has_night_session("2025-10-09")
    cu = variety_sessions("cu")
    ns = np.array(
        [cst_ns("2025-09-30 21:30:00"), cst_ns("2025-09-30 14:00:00"), cst_ns("2025-10-09 09:30:00")]
    )
    assert session_mask(calendar, cu, ns).tolist() == [False, True, True]
    # Saturday evening is never a session even though it would map to Monday
    assert not session_mask(calendar, cu, np.array([cst_ns("2025-03-08 21:30:00")]))[0]


def test_night_session_hours_by_variety(calendar: TradingCalendar) -> None:
    t = np.array(
        [cst_ns("2025-03-11 00:30:00"), cst_ns("2025-03-11 01:30:00"), cst_ns("2025-03-11 02:29:59")]
    )
    assert session_mask(calendar, variety_sessions("cu"), t).tolist() == [True, False, False]
    assert session_mask(calendar, variety_sessions("au"), t).tolist() == [True, True, True]


def test_delivery_month_has_no_night(calendar: TradingCalendar) -> None:
    t = np.array([cst_ns("2025-03-10 21:30:00")])  # belongs to 2025-03-11
    assert session_mask(calendar, variety_sessions("cu"), t)[0]
    assert not session_mask(calendar, variety_sessions("cu"), t, no_night_from=dt.date(2025, 3, 1))[0]


def test_covid_night_suspension(calendar: TradingCalendar) -> None:
    assert not calendar.has_night_session("2020-03-10")
    assert calendar.has_night_session("2020-05-07")


def test_external_holiday_json(tmp_path, calendar: TradingCalendar) -> None:
    """TqSdk's holiday file is a plain JSON array of dates; it must load too."""
    p = tmp_path / "h.json"
    p.write_text(json.dumps(["2025-01-01", "2025-10-01"]))
    cal = TradingCalendar.from_json(p)
    assert not cal.is_trading_day("2025-10-01") and cal.is_trading_day("2025-10-02")
    with pytest.raises(ValueError, match="outside the holiday list"):
        cal.is_trading_day("2027-01-04")


@given(st.integers(min_value=cst_ns("2016-01-04 00:00:00"), max_value=cst_ns("2026-11-30 00:00:00")))
def test_in_session_ticks_map_to_a_trading_day_within_four_days(ns: int) -> None:
    cal = TradingCalendar.bundled()
    arr = np.array([ns])
    td = int(cal.trading_day_index(arr)[0])
    if session_mask(cal, variety_sessions("au"), arr)[0]:
        day = index_to_date(td)
        local = dt.datetime.fromtimestamp(ns / 1e9, dt.UTC) + dt.timedelta(hours=8)
        assert cal.is_trading_day(day)
        assert 0 <= (day - local.date()).days <= 4
        hm = local.hour * 60 + local.minute
        assert hm >= 8 * 60 + 59 or hm < 3 * 60  # 08:59 = the call-auction print before the open
