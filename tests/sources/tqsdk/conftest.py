"""A fake TqApi serving the real cu1909 ticks, used through the same code path as the real TqApi.

It mimics the TqSdk surface ghTrader uses: ``get_tick_data_series`` (a ``date`` means a trading
day; frames with ``id``, ``datetime`` epoch-ns and float64 values), ``query_quotes``,
``query_symbol_info``, ``get_quote``, ``get_tick_serial``, ``wait_update``, ``is_changing``,
``close``; TqSdk's failure modes are scripted per call (bare ``Exception`` with a Chinese
message for unknown symbols, ``TqTimeoutError``, connection errors).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ghtrader.market.calendar import TradingCalendar
from ghtrader.testing import load_contract_specs, real_tick_csv

REAL_DAY = dt.date(2019, 9, 12)
DAY_NS = 86400 * 10**9
TQ_COLUMNS = [
    "last_price",
    "highest",
    "lowest",
    "average",
    "volume",
    "amount",
    "open_interest",
    *[f"{x}{i}" for i in range(1, 6) for x in ("bid_price", "bid_volume", "ask_price", "ask_volume")],
]


class TqTimeoutError(Exception):
    """Same name as ``tqsdk.exceptions.TqTimeoutError`` (classified by name, tqsdk never imported)."""


class BacktestFinished(Exception):
    """Same name as ``tqsdk.exceptions.BacktestFinished``."""


def tq_frame_from_csv(path: Path) -> pd.DataFrame:
    """The real recorded ticks as ``get_tick_data_series`` returns them (all values float64)."""
    raw = pd.read_csv(path, dtype={"datetime_nano": "int64", "id": "int64"})
    out = pd.DataFrame({"id": raw["id"], "datetime": raw["datetime_nano"]})
    for c in TQ_COLUMNS:
        out[c] = pd.to_numeric(raw[c], errors="coerce").astype("float64")
    return out


def shift_days(frame: pd.DataFrame, src: dt.date, dst: dt.date) -> pd.DataFrame:
    """The same real ticks moved from trading day ``src`` to ``dst`` (day session: same clock times)."""
    out = frame.copy()
    out["datetime"] = out["datetime"] + (dst - src).days * DAY_NS
    return out


class FakeServer:
    """State shared by every fake TqApi a factory hands out (call log, scripted failures)."""

    def __init__(
        self,
        ticks: dict[str, pd.DataFrame],
        calendar: TradingCalendar,
        *,
        known: set[str] | None = None,
        failures: dict[int, BaseException] | None = None,
        expiry: dict[str, dt.date] | None = None,
        trading_time: dict[str, Any] | None = None,
    ) -> None:
        self.ticks = ticks
        self.calendar = calendar
        self.known = set(known or ()) | set(ticks)
        self.failures = dict(failures or {})
        self.expiry = expiry or {}
        self.trading_time = trading_time or {}
        self.calls: list[tuple[str, dt.date]] = []
        self.apis: list[FakeTqApi] = []

    def factory(self, *, backtest: tuple[dt.date, dt.date] | None = None) -> FakeTqApi:
        api = FakeTqApi(self)
        self.apis.append(api)
        return api


class FakeTqApi:
    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def get_tick_data_series(
        self, symbol: str, start_dt: dt.date, end_dt: dt.date, adj_type: str | None = None
    ) -> pd.DataFrame:
        s = self.server
        assert not self.closed, "request on a closed TqApi"
        n = len(s.calls)
        s.calls.append((symbol, start_dt))
        if n in s.failures:
            raise s.failures.pop(n)
        if symbol not in s.known:
            raise Exception(f"合约代码 {symbol} 不存在, 请检查合约代码是否填写正确")
        frame = s.ticks.get(symbol)
        if frame is None:
            return pd.DataFrame()
        days = s.calendar.trading_days_of(frame["datetime"].to_numpy())
        lo, hi = np.datetime64(start_dt, "D"), np.datetime64(end_dt, "D")
        return frame[(days >= lo) & (days <= hi)].reset_index(drop=True)

    def query_quotes(self, ins_class: str, exchange_id: str, product_id: str, **_: Any) -> list[str]:
        prefix = f"{exchange_id}.{product_id}"
        return sorted(s for s in self.server.known if s.startswith(prefix) and s[len(prefix) :].isdigit())

    def query_symbol_info(self, symbols: list[str]) -> pd.DataFrame:
        def epoch(d: dt.date | None) -> float:
            if d is None:
                return float("nan")
            return dt.datetime.combine(d, dt.time(15), dt.timezone(dt.timedelta(hours=8))).timestamp()

        return pd.DataFrame(
            {"instrument_id": symbols, "expire_datetime": [epoch(self.server.expiry.get(s)) for s in symbols]}
        )

    def get_quote(self, symbol: str) -> SimpleNamespace:
        tt = self.server.trading_time.get(symbol, {"day": [], "night": []})
        return SimpleNamespace(trading_time=SimpleNamespace(**tt), underlying_symbol="", datetime="")


@pytest.fixture(scope="session")
def real_tq_frame(real_data: Path) -> pd.DataFrame:
    return tq_frame_from_csv(real_tick_csv(real_data))


@pytest.fixture(scope="session")
def live_trading_time(real_data: Path) -> Callable[[str], dict[str, list[list[str]]]]:
    """``trading_time`` of a variety as the 2020-06-16 live instrument snapshot reported it."""
    specs = load_contract_specs(real_data)
    live = specs[specs["source"].str.contains("2020-06-16")]

    def get(var: str) -> dict[str, list[list[str]]]:
        row = live[live["product_id"] == var].iloc[0]
        return {"day": json.loads(row["trading_time_day"]), "night": json.loads(row["trading_time_night"])}

    return get


@pytest.fixture()
def no_sleep() -> list[float]:
    """Collects the backoff delays instead of sleeping."""
    return []


@pytest.fixture(scope="session")
def tq() -> SimpleNamespace:
    """The fake-TqSdk kit (tests cannot import conftest modules under ``--import-mode=importlib``)."""
    return SimpleNamespace(
        FakeServer=FakeServer,
        FakeTqApi=FakeTqApi,
        TqTimeoutError=TqTimeoutError,
        BacktestFinished=BacktestFinished,
        shift_days=shift_days,
        REAL_DAY=REAL_DAY,
    )
