"""The hard ingest gate: split a tick frame into clean rows and quarantined rows with a reason.

Every row gets at most one reason: rules run in a fixed order and the first failing rule wins.
Stateless rules (symbol, required values, time range, session, trading day, prices, volumes,
book, magnitudes, tick grid) are vectorized; the sequential rules (strictly increasing time,
duplicates, non-decreasing cumulative volume) compare each row with the *last accepted* row of
its symbol in input order, so a rejected row never poisons the rows after it. Nothing is sorted
here: the ingest sorts by (symbol, datetime_ns) first (``ghtrader.store.ingest.sort_for_gate``), so
what these rules still catch there are genuine duplicates and volume regressions; called on an
unsorted frame (the audit re-checking a stored partition) out-of-order rows are reported.

Traps: sessions, night suspensions and the delivery-month rule come from the contract spec and
the calendar (``session_mask``), never from the variety alone; a continuous ``KQ.m@`` series spans
contracts, so it gets variety sessions, no expiry and no tick-grid check. ``average`` is a VWAP and
is legitimately off the tick grid. Reason strings are stable: ``rule`` or ``rule: detail``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from ghtrader.market.calendar import CST_OFFSET_NS, EPOCH, NS_PER_S, TradingCalendar, session_mask
from ghtrader.market.contracts import CONTINUOUS_RE, SYMBOL_RE, ContractBook
from ghtrader.market.sessions import Sessions, variety_sessions
from ghtrader.schema import DEPTH_VOLUME_COLUMNS, PRICE_COLUMNS, TICK_COLUMNS

REQUIRED = ("symbol", "datetime_ns", "volume", "amount", "open_interest")
COUNT_COLUMNS = [*DEPTH_VOLUME_COLUMNS, "volume", "amount", "open_interest"]
GRID_COLUMNS = [c for c in PRICE_COLUMNS if c != "average"]  # average is a VWAP: off-grid is normal
MAX_PRICE_DEVIATION = 0.5  # fraction of the day's median last_price
MAX_VOLUME_STEP = 1_000_000  # lots per snapshot
GRID_TOLERANCE = 1e-6  # in ticks
DAY_NS = 86400 * NS_PER_S
SANE_NS = ((dt.date(2000, 1, 1) - EPOCH).days * DAY_NS, (dt.date(2100, 1, 1) - EPOCH).days * DAY_NS)
_SEQ_REASONS = {1: "non_monotonic_time", 3: "decreasing_cumulative_volume", 4: "absurd_magnitude: volume"}


@dataclass(frozen=True)
class SymbolRules:
    """What the gate needs to know about one symbol; ``problem`` set when the symbol is unusable."""

    sessions: Sessions | None = None
    no_night_from: dt.date | None = None
    price_tick: float = float("nan")  # NaN: no grid check (continuous series span contracts)
    last_trading_day: dt.date | None = None
    problem: str | None = None


def symbol_rules(symbol: object, book: ContractBook) -> SymbolRules:
    """Resolve sessions, night cut-off, tick size and expiry of a contract or continuous symbol."""
    if not isinstance(symbol, str):
        return SymbolRules(problem="missing: symbol")
    cont = CONTINUOUS_RE.match(symbol)
    if cont is None and SYMBOL_RE.match(symbol) is None:
        return SymbolRules(problem="bad_symbol")
    try:
        if cont is not None:
            return SymbolRules(sessions=variety_sessions(cont["var"]))
        spec = book.get(symbol)
        return SymbolRules(spec.sessions, spec.no_night_from, float(spec.price_tick), spec.last_trading_day)
    except (ValueError, KeyError):
        return SymbolRules(problem="unknown_symbol")


def calendar_bounds_ns(calendar: TradingCalendar) -> tuple[int, int]:
    """Epoch-ns range (CST years ``first_year..last_year``) where trading days can be assigned."""
    lo = (dt.date(calendar.first_year, 1, 1) - EPOCH).days * DAY_NS - CST_OFFSET_NS
    hi = (dt.date(calendar.last_year + 1, 1, 1) - EPOCH).days * DAY_NS - CST_OFFSET_NS
    return lo, hi


def safe_trading_day_index(calendar: TradingCalendar, ns: np.ndarray) -> np.ndarray:
    """``calendar.trading_day_index`` that yields -1 (instead of raising) outside the calendar."""
    ns = np.asarray(ns, dtype=np.int64)
    lo, hi = calendar_bounds_ns(calendar)
    inside = (ns >= lo) & (ns < hi)
    out = np.full(ns.shape, -1, dtype=np.int64)
    if inside.any():
        out[inside] = calendar.trading_day_index(ns[inside])
    return out


class _Verdict:
    """Reason code per row (0 = clean so far) and the reason texts; first failing rule wins."""

    def __init__(self, n: int) -> None:
        self.code = np.zeros(n, dtype=np.int32)
        self.labels: list[str] = [""]

    @property
    def ok(self) -> np.ndarray:
        return self.code == 0

    def flag(self, mask: np.ndarray, reason: str) -> None:
        hit = mask & (self.code == 0)
        if hit.any():
            if reason not in self.labels:
                self.labels.append(reason)
            self.code[hit] = self.labels.index(reason)

    def reasons(self) -> np.ndarray:
        return np.asarray(self.labels, dtype=object)[self.code]


def validate_ticks(
    df: pd.DataFrame, *, calendar: TradingCalendar, book: ContractBook
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``df`` into (clean rows in tick-schema columns, rejected rows + ``reason``)."""
    missing_cols = [c for c in TICK_COLUMNS if c not in df.columns]
    if missing_cols:
        raise ValueError(f"tick frame lacks columns: {', '.join(missing_cols)}")
    n = len(df)
    v = _Verdict(n)
    codes, uniques = pd.factorize(df["symbol"], use_na_sentinel=True)
    codes = codes.astype(np.int64)
    rules = [symbol_rules(s, book) for s in uniques]
    for k, r in enumerate(rules):
        if r.problem is not None:
            v.flag(codes == k, r.problem)
    v.flag(codes < 0, "missing: symbol")
    for col in REQUIRED[1:]:
        v.flag(df[col].isna().to_numpy(), f"missing: {col}")

    ns = _int64(df["datetime_ns"])
    v.flag((ns < SANE_NS[0]) | (ns >= SANE_NS[1]), "absurd_magnitude: datetime_ns")
    lo, hi = calendar_bounds_ns(calendar)
    v.flag((ns < lo) | (ns >= hi), "out_of_calendar")
    _check_sessions(v, calendar, rules, codes, ns)
    td_given = _day_index(df["trading_day"])
    v.flag(td_given < 0, "missing: trading_day")
    td_calc = safe_trading_day_index(calendar, np.where(v.ok, ns, lo))
    v.flag(td_given != td_calc, "trading_day_mismatch")
    expiry = np.array([_day_or_max(r.last_trading_day) for r in rules] + [np.iinfo(np.int64).max])[codes]
    v.flag(td_calc > expiry, "after_expiry")

    prices = {c: df[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in PRICE_COLUMNS}
    v.flag(np.isnan(prices["last_price"]), "nan_price: last_price")
    for c, p in prices.items():
        v.flag(np.isinf(p), f"non_finite_price: {c}")
    for c, p in prices.items():
        v.flag(p < 0, f"negative_price: {c}")
    v.flag(prices["last_price"] == 0, "zero_price: last_price")
    for c in COUNT_COLUMNS:
        v.flag(df[c].to_numpy(dtype=np.float64, na_value=np.nan) < 0, f"negative_volume: {c}")
    ask1, bid1 = prices["ask_price1"], prices["bid_price1"]
    v.flag(ask1 < bid1, "crossed_book: ask1 < bid1")
    v.flag(ask1 == bid1, "locked_book: ask1 == bid1")

    key = pd.Series(np.where(v.ok, codes * 1_000_000 + td_given, -1))
    last = pd.Series(np.where(v.ok, prices["last_price"], np.nan))
    median = last.groupby(key).transform("median").to_numpy()
    for c, p in prices.items():
        v.flag(np.abs(p - median) > MAX_PRICE_DEVIATION * median, f"absurd_magnitude: {c}")
    tick = np.array([r.price_tick for r in rules] + [np.nan])[codes]
    for c in GRID_COLUMNS:
        q = prices[c] / tick
        v.flag(np.abs(q - np.rint(q)) > GRID_TOLERANCE, f"bad_tick_grid: {c}")

    volume = df["volume"].to_numpy(dtype=np.float64, na_value=np.nan)
    seq, partner = _sequential(codes, ns, td_given, volume, v.ok, max(len(uniques), 1), MAX_VOLUME_STEP)
    for k, reason in _SEQ_REASONS.items():
        v.flag(seq == k, reason)
    dup = np.nonzero(seq == 2)[0]
    if len(dup):
        same = _same_content(df, dup, partner[dup])
        v.flag(_scatter(n, dup[same]), "duplicate_row")
        v.flag(_scatter(n, dup[~same]), "duplicate_timestamp")

    ok = v.ok
    clean = df.loc[ok, TICK_COLUMNS].reset_index(drop=True)
    rejected = df.loc[~ok].reset_index(drop=True)
    rejected["reason"] = pd.Series(v.reasons()[~ok], dtype=object)
    return clean, rejected


def summarize_rejections(rejected: pd.DataFrame) -> dict[str, int]:
    """Count rejected rows per reason, most frequent first (ties by name)."""
    if rejected.empty or "reason" not in rejected.columns:
        return {}
    counts = rejected["reason"].value_counts()
    return {str(k): int(counts[k]) for k in sorted(counts.index, key=lambda r: (-counts[r], str(r)))}


def _check_sessions(
    v: _Verdict, calendar: TradingCalendar, rules: list[SymbolRules], codes: np.ndarray, ns: np.ndarray
) -> None:
    """Flag rows outside their symbol's sessions (Saturday nights, pre-holiday nights, delivery month)."""
    outside = np.zeros(len(ns), dtype=bool)
    for k, r in enumerate(rules):
        if r.sessions is None:
            continue
        idx = np.nonzero((codes == k) & v.ok)[0]
        if len(idx):
            mask = session_mask(calendar, r.sessions, ns[idx], no_night_from=r.no_night_from)
            outside[idx[~mask]] = True
    v.flag(outside, "out_of_session")


def _day_or_max(d: dt.date | None) -> int:
    return (d - EPOCH).days if d is not None else int(np.iinfo(np.int64).max)


def _int64(col: pd.Series) -> np.ndarray:
    """Integer view of a possibly-nullable column (missing rows -> 0; they are flagged already)."""
    if col.dtype.kind in "iu":
        return col.to_numpy(dtype=np.int64)
    values = pd.to_numeric(col, errors="coerce")
    return values.fillna(0).to_numpy(dtype=np.int64)


def _day_index(col: pd.Series) -> np.ndarray:
    """Days since epoch of a date-like column (dates, datetime64, ISO strings); -1 where missing."""
    if col.dtype.kind == "M":
        days = col.to_numpy().astype("datetime64[D]")
        return np.where(np.isnat(days), -1, days.astype(np.int64))
    fcodes, uniq = pd.factorize(col, use_na_sentinel=True)
    if len(uniq) == 0:
        return np.full(len(col), -1, dtype=np.int64)
    udays = pd.to_datetime(pd.Index(uniq), errors="coerce").to_numpy().astype("datetime64[D]")
    table = np.append(np.where(np.isnat(udays), -1, udays.astype(np.int64)), -1)
    return table[fcodes]


def _same_content(df: pd.DataFrame, rows: np.ndarray, partners: np.ndarray) -> np.ndarray:
    """Whether each row equals its partner in every tick column (NaN equals NaN)."""
    a = df.iloc[rows][TICK_COLUMNS].reset_index(drop=True)
    b = df.iloc[partners][TICK_COLUMNS].reset_index(drop=True)
    return (a.eq(b) | (a.isna() & b.isna())).all(axis=1).to_numpy()


def _scatter(n: int, idx: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[idx] = True
    return out


@numba.njit(cache=True)
def _sequential(
    codes: np.ndarray,
    ns: np.ndarray,
    td: np.ndarray,
    vol: np.ndarray,
    ok: np.ndarray,
    nsym: int,
    max_step: float,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Compare each still-clean row with the last accepted row of its symbol, in input order.

    Codes: 1 earlier time, 2 same time (``partner`` = that row), 3 volume decreased within the
    trading day, 4 volume jumped by more than ``max_step``; 0 accepted (becomes the new last).
    """
    n = len(ns)
    out = np.zeros(n, dtype=np.int8)
    partner = np.full(n, -1, dtype=np.int64)
    last = np.full(nsym, -1, dtype=np.int64)
    for i in range(n):
        if not ok[i]:
            continue
        s = codes[i]
        j = last[s]
        if j >= 0:
            if ns[i] < ns[j]:
                out[i] = 1
                continue
            if ns[i] == ns[j]:
                out[i] = 2
                partner[i] = j
                continue
            if td[i] == td[j]:
                step = vol[i] - vol[j]
                if step < 0:
                    out[i] = 3
                    continue
                if step > max_step:
                    out[i] = 4
                    continue
        last[s] = i
    return out, partner
