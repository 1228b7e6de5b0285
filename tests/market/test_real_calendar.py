"""The calendar against real SHFE bars (../shared/data/real/klines)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ghtrader.market.calendar import TradingCalendar, index_to_date, session_mask
from ghtrader.market.sessions import variety_sessions
from ghtrader.testing import load_klines

pytestmark = pytest.mark.realdata


def _days(df: pd.DataFrame) -> list[dt.date]:
    return [d.date() for d in pd.to_datetime(df["datetime"])]


@pytest.mark.parametrize("symbol", ["SHFE.au1912", "SHFE.cu1905"])
def test_daily_bars_are_exactly_our_trading_days(real_data, calendar: TradingCalendar, symbol: str) -> None:
    daily = load_klines(real_data, symbol, 86400)
    days = _days(daily)
    assert days == calendar.trading_days(days[0], days[-1])


def test_au1912_night_bars_land_on_the_right_trading_day(real_data, calendar: TradingCalendar) -> None:
    bars = load_klines(real_data, "SHFE.au1912", 60)
    daily = load_klines(real_data, "SHFE.au1912", 86400)
    ns = bars["datetime_nano"].to_numpy(np.int64)
    td = calendar.trading_day_index(ns)
    assert (td >= 0).all()
    bars["trading_day"] = [index_to_date(i) for i in td]
    local = pd.to_datetime(bars["datetime"])
    night = (local.dt.hour >= 21) | (local.dt.hour < 3)
    assert night.sum() > 10_000
    # Friday-night bars belong to Monday (or the next trading day after a holiday)
    dow = local.dt.dayofweek
    fri = ((dow == 4) & (local.dt.hour >= 21)) | ((dow == 5) & (local.dt.hour < 3))
    assert fri.sum() > 1000
    assert set(pd.to_datetime(bars.loc[fri, "trading_day"]).dt.dayofweek) <= {0, 1}
    # complete days: minute volumes summed by our trading day equal the exchange's daily volume
    vol = bars.groupby("trading_day")["volume"].sum()
    daily_vol = dict(zip(_days(daily), daily["volume"], strict=True))
    counts = bars.groupby("trading_day").size()
    complete = counts[counts == counts.max()].index  # 555 bars = full day + full au night
    assert len(complete) >= 40
    mismatched = [d for d in complete if vol[d] != daily_vol[d]]
    assert not mismatched, mismatched[:5]


@pytest.mark.parametrize(
    "symbol", ["SHFE.au1912", "SHFE.cu1905", "SHFE.cu2001", "SHFE.cu2002", "SHFE.cu2003"]
)
def test_no_bar_outside_sessions(real_data, calendar: TradingCalendar, book, symbol: str) -> None:
    bars = load_klines(real_data, symbol, 60)
    ns = bars["datetime_nano"].to_numpy(np.int64)
    spec = book.get(symbol)
    # bar start and bar last second both inside the session of its trading day
    for offset in (0, 59):
        mask = session_mask(
            calendar,
            variety_sessions(spec.variety),
            ns + offset * 1_000_000_000,
            no_night_from=spec.no_night_from,
            auction_s=0,
            close_tolerance_s=0,
        )
        assert mask.all(), bars.loc[~mask, "datetime"].head().tolist()


def test_no_night_bars_on_evenings_before_holidays(real_data, calendar: TradingCalendar) -> None:
    bars = load_klines(real_data, "SHFE.au1912", 60)
    local = pd.to_datetime(bars["datetime"])
    evenings = set(local[local.dt.hour >= 21].dt.date)
    day_sessions = set(local[(local.dt.hour >= 9) & (local.dt.hour < 15)].dt.date)

    def before_holiday(d: dt.date) -> bool:
        nxt = d + dt.timedelta(days=3 if d.weekday() == 4 else 1)
        return not calendar.is_trading_day(nxt)

    covered = sorted(d for d in day_sessions if before_holiday(d))
    assert len(covered) >= 2, covered  # the fixture does cover such days...
    assert [d for d in covered if d in evenings] == []  # ...and no night session followed them
