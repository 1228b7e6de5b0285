"""Contract specs against the real SHFE spec file (../shared/data/real/contracts)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook, default_spec
from ghtrader.market.sessions import Sessions
from ghtrader.testing import load_contract_specs

pytestmark = pytest.mark.realdata


def test_specs_match_real_file(real_data, calendar: TradingCalendar, book: ContractBook) -> None:
    specs = load_contract_specs(real_data)
    assert len(specs) == 194
    checked = 0
    for row in specs.itertuples():
        ours = book.get(row.symbol)
        builtin = default_spec(row.symbol, calendar)
        for spec in (ours, builtin):
            assert spec.price_tick == pytest.approx(row.price_tick), row.symbol
            assert spec.volume_multiple == row.volume_multiple, row.symbol
            assert (spec.delivery_year, spec.delivery_month) == (row.delivery_year, row.delivery_month)
        expire = dt.datetime.fromisoformat(row.expire_datetime_cst)
        if "wheel" in row.source:  # expired contracts: the actual last trading day
            assert builtin.expire_datetime == expire, row.symbol
            assert ours.expire_datetime == expire, row.symbol
        else:  # 2020-06-16 snapshot: planned dates, made before later holiday notices
            assert builtin.expire_datetime == expire or not calendar.is_trading_day(expire.date()), row.symbol
        day = Sessions.from_trading_time({"day": json.loads(row.trading_time_day)}).day
        assert ours.sessions.day == day
        if not isinstance(row.trading_time_night, str):
            continue  # the source lacks night hours for this contract (cu1909, au1909, ag1909)
        night = Sessions.from_trading_time({"night": json.loads(row.trading_time_night)}).night
        if night:
            assert builtin.sessions.night == night, row.symbol
            checked += 1
        else:
            # empty night = the snapshot was taken while nights were suspended (Feb-May 2020)
            assert not calendar.has_night_session(expire.date()), row.symbol
    assert checked >= 180


def test_night_hours_by_variety(real_data) -> None:
    specs = load_contract_specs(real_data)
    nights = (
        specs[specs.trading_time_night.notna() & (specs.trading_time_night != "[]")]
        .groupby("product_id")["trading_time_night"]
        .unique()
    )
    assert [json.loads(x) for x in nights["cu"]] == [[["21:00:00", "25:00:00"]]]
    assert [json.loads(x) for x in nights["au"]] == [[["21:00:00", "26:30:00"]]]
    assert [json.loads(x) for x in nights["ag"]] == [[["21:00:00", "26:30:00"]]]


def test_au_tick_changed_at_au1912(book: ContractBook) -> None:
    assert book.get("SHFE.au1910").price_tick == pytest.approx(0.05)
    assert book.get("SHFE.au1912").price_tick == pytest.approx(0.02)
    assert book.get("SHFE.cu2505").volume_multiple == 5
