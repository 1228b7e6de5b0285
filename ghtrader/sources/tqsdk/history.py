"""``TqSdkSource``: historical L5 ticks from TqSdk Pro (``tq_dl``) behind the DaySource protocol.

One request per (contract, trading day): ``api.get_tick_data_series(symbol, day, day)`` where a
``date`` means a *trading day* to TqSdk, so the previous evening's night session is included.
Resume, no-data markers and partition writes are the ingest path's job
(``ghtrader.store.ingest.ingest_source_days``): a requested symbol absent from the batch is marked
no-data, so a day that returns zero ticks (or a symbol the service does not know) is recorded once
instead of retried forever. Traps: a transient error is retried with backoff and, if it persists,
*raised* (never turned into a no-data marker); a fatal error stops the run before the day's batch
is returned, so a day is ingested whole or not at all and a rerun resumes from it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook, variety_of
from ghtrader.sources.base import DayBatch
from ghtrader.sources.tqsdk.api import (
    ApiFactory,
    RetryPolicy,
    TqSdkError,
    call_with_retry,
    classify_error,
    scrub,
)
from ghtrader.sources.tqsdk.frames import tq_frame_to_ticks

log = logging.getLogger(__name__)


class TqSdkSource:
    """Historical ticks per trading day through an injected TqApi factory (real or fake)."""

    name = "tqsdk"

    def __init__(
        self,
        api_factory: ApiFactory,
        calendar: TradingCalendar,
        book: ContractBook,
        *,
        retry: RetryPolicy | None = None,
        catalog: Iterable[str] | None = None,
    ) -> None:
        self.api_factory = api_factory
        self.calendar = calendar
        self.book = book
        self.retry = retry or RetryPolicy()
        self.catalog = frozenset(catalog) if catalog is not None else None
        self._api: Any = None  # connection, created on first use and rebuilt after transient errors

    # -- connection ------------------------------------------------------------------------
    def open(self) -> Any:
        """Connect now (fails fast on missing/rejected credentials before any day is planned)."""
        if self._api is None:
            self._api = self.api_factory()
        return self._api

    def close(self) -> None:
        api, self._api = self._api, None
        if api is not None:
            try:
                api.close()
            except Exception as exc:  # noqa: BLE001 - closing a broken connection must not mask the cause
                log.debug("closing TqApi failed: %s", exc)

    def __enter__(self) -> TqSdkSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- DaySource ---------------------------------------------------------------------------
    def list_symbols(self, var: str, trading_day: dt.date) -> list[str]:
        """Contracts of ``var`` listed on ``trading_day`` (restricted to the catalog when one is given)."""
        if not self.calendar.is_trading_day(trading_day):
            return []
        listed = [s.symbol for s in self.book.listed(var, trading_day)]
        if self.catalog is None:
            return listed
        return [s for s in listed if s in self.catalog]

    def fetch_day(self, symbols: Sequence[str], trading_day: dt.date) -> DayBatch:
        """Ticks of ``symbols`` on ``trading_day``; symbols with zero ticks are left out (no-data)."""
        ticks: dict[str, pd.DataFrame] = {}
        if self.calendar.is_trading_day(trading_day):
            for symbol in dict.fromkeys(symbols):
                frame = self.fetch_symbol_day(symbol, trading_day)
                if len(frame):
                    ticks[symbol] = frame
        return DayBatch(trading_day, ticks, {}, tuple(symbols))

    def fetch_symbol_day(self, symbol: str, trading_day: dt.date) -> pd.DataFrame:
        """One contract-day in the tick schema (empty when TqSdk has no ticks or no such symbol)."""
        variety_of(symbol)  # one clear error for a malformed symbol before any request

        def request() -> pd.DataFrame:
            api = self.open()
            try:
                return api.get_tick_data_series(symbol=symbol, start_dt=trading_day, end_dt=trading_day)
            except Exception as exc:
                if classify_error(exc) == "no_symbol":
                    log.info("%s unknown to TqSdk on %s: recording no data", symbol, trading_day)
                    return pd.DataFrame()
                raise

        what = f"tqsdk ticks {symbol} {trading_day}"
        try:
            raw = call_with_retry(request, self.retry, what, self.close)
        except TqSdkError:
            raise
        except Exception as exc:  # fatal TqSdk error (bare Exception): one line, day left unwritten
            raise TqSdkError(f"{what}: {type(exc).__name__}: {scrub(str(exc), None)}") from exc
        return tq_frame_to_ticks(raw, symbol, self.calendar, trading_day)
