"""Contract specifications: price tick, multiplier, expiry, sessions and fees per contract.

Sources in order: the contract file shipped inside the tqsdk wheel (``expired_quotes.json.lzma``,
read as a data file so tqsdk is never imported here), then built-in defaults derived from SHFE
rules (cu tick 10 / 5 t; au tick 0.02 from au1912, 0.05 before / 1000 g; ag tick 1 / 15 kg; last
trading day the 15th of the delivery month, or the next trading day). Fees are data
(``data/fees.json``), never code.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import json
import lzma
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.sessions import Sessions, variety_sessions

# Whether an exchange keeps night trading for a contract in its delivery month. SHFE does: the real
# cu1905 minute bars have night sessions up to the evening of 2019-05-14, the eve of its expiry.
NIGHT_IN_DELIVERY_MONTH = {"SHFE": True}

SYMBOL_RE = re.compile(r"^(?P<exchange>[A-Z]+)\.(?P<var>[a-z]+)(?P<yy>\d{2})(?P<mm>\d{2})$")
CONTINUOUS_RE = re.compile(r"^KQ\.m@(?P<exchange>[A-Z]+)\.(?P<var>[a-z]+)$")


@dataclass(frozen=True)
class FeeSpec:
    """Exchange fee: ``basis`` "value" (rate of notional) or "lot" (CNY per lot)."""

    basis: str
    open: float
    close: float
    close_today: float

    def fee(self, price: float, lots: int, multiplier: float, action: str = "open") -> float:
        rate = {"open": self.open, "close": self.close, "close_today": self.close_today}[action]
        return rate * abs(lots) * (price * multiplier if self.basis == "value" else 1.0)


@dataclass(frozen=True)
class ContractSpec:
    symbol: str
    variety: str
    exchange: str
    price_tick: float
    volume_multiple: float
    delivery_year: int
    delivery_month: int
    expire_datetime: dt.datetime | None  # CST, naive
    sessions: Sessions
    fees: FeeSpec
    source: str

    @property
    def delivery_month_start(self) -> dt.date:
        """First calendar day of the delivery month."""
        return dt.date(self.delivery_year, self.delivery_month, 1)

    @property
    def no_night_from(self) -> dt.date | None:
        """First trading day without night session for this contract (None: nights until expiry)."""
        return None if NIGHT_IN_DELIVERY_MONTH.get(self.exchange, False) else self.delivery_month_start

    @property
    def last_trading_day(self) -> dt.date | None:
        return self.expire_datetime.date() if self.expire_datetime else None


def parse_symbol(symbol: str) -> tuple[str, str, int, int]:
    """Split ``SHFE.cu2505`` into (exchange, variety, year, month); raise on anything else."""
    m = SYMBOL_RE.match(symbol)
    if not m:
        raise ValueError(f"not a futures contract symbol: {symbol!r} (expected like SHFE.cu2505)")
    return m["exchange"], m["var"], 2000 + int(m["yy"]), int(m["mm"])


def variety_of(symbol: str) -> str:
    """Variety of a contract or continuous symbol (``SHFE.cu2505`` / ``KQ.m@SHFE.cu`` -> ``cu``)."""
    m = CONTINUOUS_RE.match(symbol)
    return m["var"] if m else parse_symbol(symbol)[1]


def load_fees(path: Path | None = None) -> dict[str, Any]:
    if path is None:
        ref = resources.files("ghtrader.market") / "data" / "fees.json"
        return json.loads(ref.read_text())
    return json.loads(Path(path).read_text())


def fee_spec(symbol: str, fees: dict[str, Any] | None = None) -> FeeSpec:
    fees = fees or load_fees()
    row = fees.get("contracts", {}).get(symbol) or fees["varieties"][variety_of(symbol)]
    return FeeSpec(row["basis"], float(row["open"]), float(row["close"]), float(row["close_today"]))


def default_price_tick(var: str, year: int, month: int) -> float:
    if var == "cu":
        return 10.0
    if var == "ag":
        return 1.0
    if var == "au":
        return 0.02 if (year, month) >= (2019, 12) else 0.05
    raise ValueError(f"no default price tick for variety {var!r}")


DEFAULT_MULTIPLIER = {"cu": 5.0, "au": 1000.0, "ag": 15.0}


def last_trading_day(cal: TradingCalendar, year: int, month: int) -> dt.date:
    """SHFE rule: the 15th of the delivery month, postponed to the next trading day if closed.

    Far contracts can expire after the last year of the holiday list (listed 12 months ahead); their
    date is then provisional: the 15th rolled past weekends only, until that year's list is published.
    """
    d = dt.date(year, month, 15)
    if year > cal.last_year:
        while d.weekday() >= 5:
            d += dt.timedelta(days=1)
        return d
    return d if cal.is_trading_day(d) else cal.next_trading_day(d)


def default_spec(symbol: str, cal: TradingCalendar, fees: dict[str, Any] | None = None) -> ContractSpec:
    """Build a spec from SHFE rules when no contract file knows the symbol."""
    exchange, var, year, month = parse_symbol(symbol)
    ltd = last_trading_day(cal, year, month)
    return ContractSpec(
        symbol=symbol,
        variety=var,
        exchange=exchange,
        price_tick=default_price_tick(var, year, month),
        volume_multiple=DEFAULT_MULTIPLIER[var],
        delivery_year=year,
        delivery_month=month,
        expire_datetime=dt.datetime.combine(ltd, dt.time(15, 0)),
        sessions=variety_sessions(var),
        fees=fee_spec(symbol, fees),
        source="builtin",
    )


def tqsdk_contract_file() -> Path | None:
    """Locate tqsdk's bundled contract file without importing tqsdk."""
    spec = importlib.util.find_spec("tqsdk")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "expired_quotes.json.lzma"
    return path if path.exists() else None


def _sessions_from_quote(q: dict[str, Any], var: str) -> Sessions:
    """Sessions of an expired contract from its last quote snapshot.

    The snapshot is taken at expiry, so an empty night means nights were suspended then (Feb-May
    2020) or the field was not recorded (cu1909): the variety's night hours apply over the life of
    the contract, and the calendar knows the suspension.
    """
    default = variety_sessions(var)
    if not q.get("trading_time"):
        return default
    reported = Sessions.from_trading_time(q["trading_time"])
    return reported if reported.night else Sessions(day=reported.day, night=default.night)


def _spec_from_quote(q: dict[str, Any], fees: dict[str, Any]) -> ContractSpec:
    symbol = q["instrument_id"]
    var = q.get("product_id") or variety_of(symbol)
    expire = q.get("expire_datetime")
    exp_dt = None
    if expire and expire == expire:  # not NaN
        exp_dt = dt.datetime.fromtimestamp(float(expire), dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=8)
    return ContractSpec(
        symbol=symbol,
        variety=var,
        exchange=q.get("exchange_id", symbol.split(".")[0]),
        price_tick=float(q["price_tick"]),
        volume_multiple=float(q["volume_multiple"]),
        delivery_year=int(q["delivery_year"]),
        delivery_month=int(q["delivery_month"]),
        expire_datetime=exp_dt,
        sessions=_sessions_from_quote(q, var),
        fees=fee_spec(symbol, fees),
        source="tqsdk-wheel",
    )


@functools.lru_cache(maxsize=4)
def _shfe_futures(path: str, mtime_ns: int) -> tuple[tuple[str, str, tuple[tuple[str, Any], ...]], ...]:
    """(symbol, variety, quote items) of the SHFE futures in the (large, lzma) TqSdk contract file,
    decoded once per file version: every pipeline task builds a book, and decoding costs ~0.15 s."""
    with lzma.open(path) as fh:
        data = json.loads(fh.read())
    out = []
    for sym, q in data.items():
        m = SYMBOL_RE.match(sym)
        if m and m["exchange"] == "SHFE" and q.get("ins_class") == "FUTURE":
            out.append((sym, m["var"], tuple(q.items())))
    return tuple(out)


@dataclass(frozen=True)
class ContractBook:
    """All known futures specs of the SHFE varieties, keyed by symbol."""

    specs: dict[str, ContractSpec]
    calendar: TradingCalendar

    @classmethod
    def load(cls, calendar: TradingCalendar, varieties: tuple[str, ...] = ("cu", "au", "ag")) -> ContractBook:
        fees = load_fees()
        specs: dict[str, ContractSpec] = {}
        path = tqsdk_contract_file()
        if path is not None:
            for sym, var, q in _shfe_futures(str(path), path.stat().st_mtime_ns):
                if var in varieties:
                    specs[sym] = _spec_from_quote(dict(q), fees)
        return cls(specs=specs, calendar=calendar)

    def get(self, symbol: str) -> ContractSpec:
        """Spec of ``symbol``: from the contract file if known there, else built-in defaults."""
        spec = self.specs.get(symbol)
        return spec if spec is not None else default_spec(symbol, self.calendar)

    def listed(self, var: str, day: dt.date) -> list[ContractSpec]:
        """Contracts of ``var`` trading on ``day`` (12 consecutive months from the front month).

        The front month is the first delivery month whose last trading day is on/after ``day``;
        a new far month is listed the day after the front expires.
        """
        y, m = day.year, day.month
        if day > last_trading_day(self.calendar, y, m):
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        out = []
        for k in range(12):
            yy, mm = y + (m - 1 + k) // 12, (m - 1 + k) % 12 + 1
            out.append(self.get(f"SHFE.{var}{yy % 100:02d}{mm:02d}"))
        return out
