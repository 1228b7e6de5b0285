"""Convert TqSdk tick frames into the one tick schema (``ghtrader.schema.TICK_COLUMNS``).

Accepted shapes: ``get_tick_data_series`` / ``get_tick_serial`` frames (``id``, ``datetime`` as
epoch-ns UTC, ``last_price``, ``bid_price1`` ..., every value float64) and DataDownloader frames
whose columns are prefixed with the symbol (``SHFE.cu1909.last_price``) with ``datetime_nano``.
Traps: TqSdk calls ``datetime`` "Beijing time" but it is epoch-ns UTC (a DataDownloader CSV's
``datetime`` *string* is CST, its ``datetime_nano`` is the truth); tick serials carry unfilled
rows with ``datetime`` 0/NaN; float64 volumes are exact integers; non-SHFE symbols have only
level 1, so missing levels become NaN. Only parsing happens here: rows keep TqSdk's order and
the ingest gate judges them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ghtrader.market.calendar import CST_OFFSET_NS, TradingCalendar
from ghtrader.quality.rules import safe_trading_day_index
from ghtrader.schema import DEPTH_VOLUME_COLUMNS, PRICE_COLUMNS, TICK_COLUMNS, empty_ticks

COUNTS = ("volume", "amount", "open_interest")


def _bare_columns(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    prefix = f"{symbol}."
    return frame.rename(columns=lambda c: str(c).removeprefix(prefix))


def tick_times_ns(frame: pd.DataFrame) -> np.ndarray:
    """Epoch-ns UTC per row (0 where unknown) from ``datetime_nano`` or ``datetime``."""
    col = "datetime_nano" if "datetime_nano" in frame.columns else "datetime"
    if col not in frame.columns:
        raise ValueError("TqSdk tick frame has neither datetime nor datetime_nano")
    values = frame[col]
    if values.dtype.kind in "iu":
        return values.to_numpy(dtype=np.int64)
    if values.dtype.kind == "f":
        v = values.to_numpy()
        return np.where(np.isfinite(v), v, 0).astype(np.int64)
    numeric = pd.to_numeric(values, errors="coerce")
    if col == "datetime_nano" or numeric.notna().all():
        return numeric.fillna(0).to_numpy().astype(np.int64)
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce")  # CST wall-clock strings
    ns = parsed.astype("datetime64[ns]").to_numpy().astype(np.int64) - CST_OFFSET_NS
    return np.where(parsed.notna().to_numpy(), ns, 0)


def tq_frame_to_ticks(
    frame: pd.DataFrame, symbol: str, calendar: TradingCalendar, trading_day: dt.date | None = None
) -> pd.DataFrame:
    """Tick-schema frame of one symbol in TqSdk's (id) order; rows outside ``trading_day`` (if given) dropped.

    Placeholder rows (no timestamp) and rows without cumulative volume/amount/OI are dropped;
    rows whose trading day cannot be assigned keep ``trading_day`` None for the gate to reject.
    """
    if frame is None or len(frame) == 0:
        return empty_ticks()
    df = _bare_columns(frame, symbol)
    ns = tick_times_ns(df)
    keep = ns > 0
    for c in COUNTS:
        if c not in df.columns:
            raise ValueError(f"TqSdk tick frame of {symbol} lacks column {c}")
        keep &= np.isfinite(pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float64))
    days = safe_trading_day_index(calendar, ns[keep])
    if trading_day is not None:
        on_day = days == (trading_day - dt.date(1970, 1, 1)).days
        idx = np.flatnonzero(keep)
        keep[idx[~on_day]] = False
        days = days[on_day]
    rows = df.loc[keep]
    out: dict[str, object] = {
        "symbol": np.full(len(rows), symbol, dtype=object),
        "datetime_ns": ns[keep],
    }
    day_obj = days.astype("datetime64[D]").astype(object)
    day_obj[days < 0] = None
    out["trading_day"] = day_obj
    for c in [*PRICE_COLUMNS, *DEPTH_VOLUME_COLUMNS]:
        out[c] = (
            pd.to_numeric(rows[c], errors="coerce").to_numpy(dtype=np.float64)
            if c in rows.columns
            else np.full(len(rows), np.nan)
        )
    for c in COUNTS:
        v = pd.to_numeric(rows[c], errors="coerce").to_numpy(dtype=np.float64)
        out[c] = v if c == "amount" else np.round(v).astype(np.int64)
    ticks = pd.DataFrame(out)[TICK_COLUMNS]
    ticks["symbol"] = ticks["symbol"].astype("str")
    return ticks.reset_index(drop=True)
