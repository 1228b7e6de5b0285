"""The ``csv`` source: import tick CSVs in TqSdk's column layout into the one tick schema.

Accepted layouts: the recorded tick file (``symbol, id, datetime, last_price, ..., datetime_nano``),
and TqSdk's DataDownloader export, whose columns are prefixed with the symbol
(``SHFE.cu1909.last_price``) and which has no ``symbol`` column. Traps: ``datetime`` is Beijing
time (UTC+8) while ``datetime_nano`` is epoch-ns UTC and authoritative (float64 cannot hold it, so
it is parsed from its digits); TqSdk writes empty depth as ``""``, ``nan`` or ``#N/A``; a file cut
off mid-row parses as a short row whose missing cells look empty, so field counts are checked on
the raw bytes. Rows are kept in file order: the ingest gate (``ghtrader.quality.rules``) judges
ordering, sessions and magnitudes; this module only parses.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ghtrader.market.calendar import CST_OFFSET_NS, TradingCalendar
from ghtrader.quality.rules import safe_trading_day_index
from ghtrader.schema import (
    ASK_PRICE,
    ASK_VOLUME,
    BID_PRICE,
    BID_VOLUME,
    DEPTH_VOLUME_COLUMNS,
    PRICE_COLUMNS,
    TICK_COLUMNS,
)

NULL_TOKENS = ("", "nan", "NaN", "NAN", "#N/A", "None", "null")
TIME_COLUMNS = ("datetime_nano", "datetime")
LEVEL1 = ["bid_price1", "bid_volume1", "ask_price1", "ask_volume1"]
REQUIRED = ["last_price", "average", "highest", "lowest", *LEVEL1, "volume", "amount", "open_interest"]
DEEP_LEVELS = [[BID_PRICE[i], BID_VOLUME[i], ASK_PRICE[i], ASK_VOLUME[i]] for i in range(1, 5)]
NUMERIC = [*PRICE_COLUMNS, *DEPTH_VOLUME_COLUMNS, "volume", "amount", "open_interest"]
INTEGER = {*DEPTH_VOLUME_COLUMNS, "volume", "open_interest"}
NON_NULL = {"volume", "amount", "open_interest"}
KNOWN_FIELDS = {*NUMERIC, *TIME_COLUMNS, "symbol", "id"}
PREFIXED = re.compile(r"^(?P<symbol>.+)\.(?P<field>[a-z_]+[0-9]?)$")
INT64_MAX = str(np.iinfo(np.int64).max)
NUMBER_RE = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
NANOS_RE = r"^-?\d{1,19}(\.0*)?$"

GZIP_MAGIC = b"\x1f\x8b"


def read_tick_csv(
    path: str | Path, *, calendar: TradingCalendar, symbol: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse a TqSdk tick CSV, plain or gzip-compressed: (ticks in tick-schema columns, file order;
    unparsable rows + reason).

    Raises a one-line ``ValueError`` for a missing, empty or malformed file, missing columns, no
    data rows, no symbol anywhere, or a ``symbol`` that contradicts the file.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    data = path.read_bytes()
    if data[:2] == GZIP_MAGIC:  # .csv.gz (or any gzip) is read transparently
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: malformed gzip (truncated or garbled): {exc}") from None
    if not data.strip():
        raise ValueError(f"{path}: empty file")
    try:
        raw = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, engine="c")
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{path}: malformed CSV (truncated or garbled): {detail}") from None
    fields, file_symbols = _field_names(raw.columns, path)
    present = set(fields)
    missing = [c for c in REQUIRED if c not in present]
    missing += [c for level in DEEP_LEVELS if present & set(level) for c in level if c not in present]
    if not present & set(TIME_COLUMNS):
        missing.append("datetime_nano or datetime")
    if missing:
        raise ValueError(f"{path}: missing required columns: {', '.join(missing)}")
    if raw.empty:
        raise ValueError(f"{path}: no data rows")
    cells = {f: pc.utf8_trim_whitespace(pa.array(raw[c])) for f, c in zip(fields, raw.columns, strict=True)}
    if "symbol" in cells:
        file_symbols |= {str(x) for x in pc.unique(cells["symbol"]).to_pylist()} - set(NULL_TOKENS)
    symbols = _resolve_symbol(file_symbols, symbol, path)
    return _parse(raw, fields, cells, symbols, _field_counts(data, len(raw)), calendar)


@dataclass(frozen=True)
class CsvSource:
    """Tick CSV importer behind the source interface (files, not days: ``ghtrader ingest --csv``)."""

    calendar: TradingCalendar
    name: ClassVar[str] = "csv"

    def fetch_file(self, path: str | Path, symbol: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        return read_tick_csv(path, calendar=self.calendar, symbol=symbol)


def _field_names(columns: pd.Index, path: Path) -> tuple[list[str], set[str]]:
    """Map header names to bare field names, stripping a ``<symbol>.`` prefix (DataDownloader)."""
    fields: list[str] = []
    prefixes: set[str] = set()
    for col in columns:
        name = str(col).strip()
        m = PREFIXED.match(name)
        if m and m["field"] in KNOWN_FIELDS and name not in KNOWN_FIELDS:
            prefixes.add(m["symbol"])
            name = m["field"]
        fields.append(name)
    if len(prefixes) > 1:
        raise ValueError(f"{path}: file holds several symbols ({', '.join(sorted(prefixes))}); split it")
    dupes = sorted({f for f in fields if fields.count(f) > 1 and f in KNOWN_FIELDS})
    if dupes:
        raise ValueError(f"{path}: duplicate columns: {', '.join(dupes)}")
    return fields, prefixes


def _resolve_symbol(file_symbols: set[str], symbol: str | None, path: Path) -> str | None:
    """Return the symbol to fill in (None: use the file's symbol column)."""
    if symbol is not None and file_symbols and file_symbols != {symbol}:
        raise ValueError(f"symbol mismatch: file has {', '.join(sorted(file_symbols))}, --symbol {symbol}")
    if symbol is None and not file_symbols:
        raise ValueError(f"{path}: the file names no symbol (no symbol column or prefix); pass symbol")
    return symbol if symbol is not None else (next(iter(file_symbols)) if len(file_symbols) == 1 else None)


def _field_counts(data: bytes, nrows: int) -> np.ndarray | None:
    """Fields per data row counted on the raw bytes; None when quoting or blank lines make it unsure."""
    if b'"' in data:
        return None
    buf = np.frombuffer(data, dtype=np.uint8)
    newline = np.flatnonzero(buf == ord("\n"))
    starts = np.concatenate([[0], newline + 1])
    ends = np.concatenate([newline, [len(buf)]])
    length = ends - starts
    cr = length > 0
    cr[cr] = buf[ends[cr] - 1] == ord("\r")
    length = length - cr
    commas = np.flatnonzero(buf == ord(","))
    counts = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    counts = counts[length > 0][1:]  # drop the header line
    return counts if len(counts) == nrows else None


class _Reasons:
    """First reason each row failed to parse; rows without one are kept."""

    def __init__(self, raw: pd.DataFrame, fields: list[str]) -> None:
        self.raw = dict(zip(fields, raw.columns, strict=True))
        self.frame = raw
        self.ok = np.ones(len(raw), dtype=bool)
        self.text = np.full(len(raw), "", dtype=object)

    def flag(self, mask: np.ndarray, reason: str) -> None:
        hit = mask & self.ok
        self.text[hit] = reason
        self.ok &= ~hit

    def flag_cells(self, mask: np.ndarray, field: str, what: str = "unparsable value") -> None:
        """Reject with the offending original cell quoted: ``unparsable value in column X: 'abc'``."""
        hit = mask & self.ok
        if hit.any():
            cells = self.frame[self.raw[field]].to_numpy()[hit]
            self.text[hit] = [f"{what} in column {field}: '{c}'" for c in cells]
            self.ok &= ~hit


def _mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _parse(
    raw: pd.DataFrame,
    fields: list[str],
    cells: dict[str, pa.Array],
    symbol: str | None,
    counts: np.ndarray | None,
    calendar: TradingCalendar,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    reasons = _Reasons(raw, fields)
    if counts is not None and (counts < len(raw.columns)).any():
        for k in np.unique(counts[counts < len(raw.columns)]):
            reasons.flag(counts == k, f"truncated row: {k} of {len(raw.columns)} fields")
    nulls = pa.array(NULL_TOKENS)
    if symbol is None:
        reasons.flag(_mask(pc.is_in(cells["symbol"], value_set=nulls)), "missing value in column symbol")
    ns = _parse_time(cells, reasons, nulls)
    values: dict[str, np.ndarray] = {}
    for col in NUMERIC:
        if col not in cells:
            values[col] = np.full(len(raw), np.nan)
            continue
        arr = cells[col]
        null = _mask(pc.is_in(arr, value_set=nulls))
        number = _mask(pc.match_substring_regex(arr, NUMBER_RE))
        reasons.flag_cells(~null & ~number, col)
        if col in NON_NULL:
            reasons.flag(null, f"missing value in column {col}")
        num = pc.cast(pc.if_else(number, arr, None), pa.float64()).to_numpy(zero_copy_only=False)
        if col in INTEGER:
            reasons.flag_cells(np.isfinite(num) & (num != np.round(num)), col, "non-integer value")
        values[col] = num
    good = reasons.ok
    days = safe_trading_day_index(calendar, ns[good])
    trading_day = days.astype("datetime64[D]").astype(object)
    trading_day[days < 0] = None
    sym = (
        np.full(int(good.sum()), symbol, dtype=object) if symbol else cells["symbol"].filter(good).to_pylist()
    )
    ticks: dict[str, object] = {"symbol": sym, "datetime_ns": ns[good], "trading_day": trading_day}
    for col in NUMERIC:
        v = values[col][good]
        ticks[col] = v.astype(np.int64) if col in ("volume", "open_interest") else v
    out = pd.DataFrame(ticks)[TICK_COLUMNS]
    out["symbol"] = out["symbol"].astype("str")
    rejected = raw.loc[~good].reset_index(drop=True)
    rejected["reason"] = reasons.text[~good]
    return out, rejected


def _parse_time(cells: dict[str, pa.Array], reasons: _Reasons, nulls: pa.Array) -> np.ndarray:
    """Epoch-ns UTC per row: from ``datetime_nano`` digits if present, else ``datetime`` read as CST."""
    ns = np.zeros(len(reasons.ok), dtype=np.int64)
    if "datetime_nano" in cells:
        arr = cells["datetime_nano"]
        digits = pc.replace_substring_regex(arr, r"\.0*$", "")
        bare = pc.utf8_ltrim(digits, characters="-")
        overflow = pc.and_(pc.equal(pc.utf8_length(bare), 19), pc.greater(bare, pa.scalar(INT64_MAX)))
        ok = _mask(pc.match_substring_regex(arr, NANOS_RE)) & ~_mask(overflow)
        reasons.flag(_mask(pc.is_in(arr, value_set=nulls)), "missing value in column datetime_nano")
        reasons.flag_cells(~ok, "datetime_nano")
        ns[ok] = pc.cast(pc.if_else(ok, digits, "0"), pa.int64()).to_numpy(zero_copy_only=False)[ok]
        return ns
    arr = cells["datetime"]
    null = _mask(pc.is_in(arr, value_set=nulls))
    text = pd.Series(pc.if_else(null, None, arr).to_pylist(), dtype=object)
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    reasons.flag(null, "missing value in column datetime")
    reasons.flag_cells(parsed.isna().to_numpy() & ~null, "datetime")
    ok = parsed.notna().to_numpy()
    ns[ok] = parsed[ok].astype("datetime64[ns]").to_numpy().astype(np.int64) - CST_OFFSET_NS
    return ns
