"""SHFE trading calendar and trading-day assignment.

Traps handled here: a night-session tick belongs to the *next* trading day; Friday night belongs to
Monday (or the first trading day after a holiday); there is no night session on the evening before
a holiday (nor after a long break); after-midnight ticks carry the *next* calendar date. TqSdk's own
helper ignores holidays; this one does not.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ghtrader.market.sessions import Sessions

NS_PER_S = 1_000_000_000
CST_OFFSET_NS = 8 * 3600 * NS_PER_S
EPOCH = dt.date(1970, 1, 1)
NIGHT_START_S = 18 * 3600  # evening ticks at/after this local time are night session
NIGHT_END_S = 6 * 3600  # after-midnight ticks before this local time are night session


def _to_date(d: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(d) if isinstance(d, str) else d


@dataclass(frozen=True)
class TradingCalendar:
    """Trading days = weekdays not in the SHFE holiday list, for ``first_year..last_year``."""

    holidays: frozenset[dt.date]
    first_year: int
    last_year: int
    night_suspensions: tuple[tuple[dt.date, dt.date], ...] = ()  # trading days without night session
    _trading: np.ndarray = field(init=False, repr=False, compare=False)  # bool per day since _origin
    _next: np.ndarray = field(init=False, repr=False, compare=False)  # next trading day index (> d)
    _evening: np.ndarray = field(init=False, repr=False, compare=False)  # night-session evening or -1
    _origin: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lo = dt.date(self.first_year - 1, 12, 1)
        hi = dt.date(self.last_year + 1, 2, 1)
        origin = (lo - EPOCH).days
        n = (hi - lo).days
        days = np.arange(origin, origin + n)
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
        hol = np.array(sorted((h - EPOCH).days for h in self.holidays), dtype=np.int64)
        trading = (weekday < 5) & ~np.isin(days, hol)
        nxt = np.full(n, -1, dtype=np.int64)
        upcoming = -1
        for i in range(n - 1, -1, -1):  # once at construction, ~4k days
            nxt[i] = upcoming
            if trading[i]:
                upcoming = origin + i
        prev = np.arange(n) - np.where(weekday == 0, 3, 1)
        has_night = trading & (prev >= 0) & trading[np.clip(prev, 0, None)]
        for a, b in self.night_suspensions:
            has_night[(days >= (a - EPOCH).days) & (days <= (b - EPOCH).days)] = False
        evening = np.where(has_night, origin + prev, -1)
        object.__setattr__(self, "_evening", evening)
        object.__setattr__(self, "_trading", trading)
        object.__setattr__(self, "_next", nxt)
        object.__setattr__(self, "_origin", origin)

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_holidays(
        cls,
        holidays: Iterable[dt.date | str],
        first_year: int,
        last_year: int,
        night_suspensions: Iterable[tuple[dt.date | str, dt.date | str]] = (),
    ) -> TradingCalendar:
        susp = tuple((_to_date(a), _to_date(b)) for a, b in night_suspensions)
        return cls(frozenset(_to_date(h) for h in holidays), first_year, last_year, susp)

    @classmethod
    def from_json(cls, path: Path) -> TradingCalendar:
        """Load a holiday list: either TqSdk's plain JSON array or our ``{"holidays": [...]}`` form."""
        data = json.loads(Path(path).read_text())
        days = data["holidays"] if isinstance(data, dict) else data
        dates = sorted(_to_date(d) for d in days)
        if not dates:
            raise ValueError(f"{path}: empty holiday list")
        first = data.get("first_year", dates[0].year) if isinstance(data, dict) else dates[0].year
        last = data.get("last_year", dates[-1].year) if isinstance(data, dict) else dates[-1].year
        susp = []
        if isinstance(data, dict):
            susp = [
                (x["first_trading_day"], x["last_trading_day"]) for x in data.get("night_suspensions", [])
            ]
        return cls.from_holidays(dates, int(first), int(last), susp)

    @classmethod
    def bundled(cls) -> TradingCalendar:
        """The holiday list shipped with the package (2016-2026)."""
        ref = resources.files("ghtrader.market") / "data" / "shfe_holidays.json"
        with resources.as_file(ref) as p:
            return cls.from_json(p)

    # -- queries -------------------------------------------------------------------------------
    def _idx(self, d: dt.date) -> int:
        i = (d - EPOCH).days - self._origin
        if not 0 <= i < len(self._trading) or not self.first_year <= d.year <= self.last_year:
            raise ValueError(
                f"{d} is outside the holiday list ({self.first_year}-{self.last_year}); refresh it"
            )
        return i

    def is_trading_day(self, d: dt.date | str) -> bool:
        return bool(self._trading[self._idx(_to_date(d))])

    def next_trading_day(self, d: dt.date | str) -> dt.date:
        """First trading day strictly after ``d``."""
        nxt = int(self._next[self._idx(_to_date(d))])
        if nxt < 0:
            raise ValueError(f"no trading day after {d} within the holiday list")
        return EPOCH + dt.timedelta(days=nxt)

    def prev_trading_day(self, d: dt.date | str) -> dt.date:
        """Last trading day strictly before ``d``."""
        day = _to_date(d) - dt.timedelta(days=1)
        while not self.is_trading_day(day):
            day -= dt.timedelta(days=1)
        return day

    def trading_days(self, start: dt.date | str, end: dt.date | str) -> list[dt.date]:
        """Trading days in ``[start, end]``."""
        a, b = self._idx(_to_date(start)), self._idx(_to_date(end))
        idx = np.nonzero(self._trading[a : b + 1])[0] + a + self._origin
        return [EPOCH + dt.timedelta(days=int(i)) for i in idx]

    def has_night_session(self, trading_day: dt.date | str) -> bool:
        """Whether ``trading_day`` opens with a night session on the previous evening.

        True iff the weekday before it is a trading day: Monday's night session is held on Friday
        evening; the first day after a holiday has none (no night session before a holiday); and
        none during exchange-wide night suspensions (Feb-May 2020).
        """
        d = _to_date(trading_day)
        return bool(self._evening[self._idx(d)] >= 0)

    def night_evening(self, trading_day: dt.date | str) -> dt.date | None:
        """Calendar date of the evening whose night session belongs to ``trading_day``, if any."""
        d = _to_date(trading_day)
        if not self.has_night_session(d):
            return None
        return d - dt.timedelta(days=3 if d.weekday() == 0 else 1)

    # -- vectorized assignment --------------------------------------------------------------------
    def local_day_and_seconds(self, datetime_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split epoch-ns UTC into (CST calendar day index since epoch, seconds after CST midnight)."""
        local = np.asarray(datetime_ns, dtype=np.int64) + CST_OFFSET_NS
        day = np.floor_divide(local, 86400 * NS_PER_S)
        sec = (local - day * 86400 * NS_PER_S) / NS_PER_S
        return day, sec

    def trading_day_index(self, datetime_ns: np.ndarray) -> np.ndarray:
        """Trading day (days since epoch) of each timestamp; -1 where none can be assigned.

        Evening (>= 18:00 CST) -> next trading day after that date; after midnight (< 06:00) ->
        next trading day after the previous date; otherwise the calendar date itself if it is a
        trading day, else -1 (a daytime tick on a non-trading day has no trading day).
        """
        day, sec = self.local_day_and_seconds(datetime_ns)
        evening_date = np.where(sec < NIGHT_END_S, day - 1, day)
        night = (sec >= NIGHT_START_S) | (sec < NIGHT_END_S)
        i_night = evening_date - self._origin
        i_day = day - self._origin
        n = len(self._trading)
        ok = (i_night >= 0) & (i_night < n) & (i_day >= 0) & (i_day < n)
        if not ok.all():
            bad = np.asarray(datetime_ns)[~ok][0]
            raise ValueError(
                f"timestamp {bad} is outside the holiday list ({self.first_year}-{self.last_year})"
            )
        out = np.where(night, self._next[i_night], np.where(self._trading[i_day], day, -1))
        return out.astype(np.int64)

    def trading_days_of(self, datetime_ns: np.ndarray) -> np.ndarray:
        """Like ``trading_day_index`` but as ``datetime64[D]`` (NaT where unassignable)."""
        idx = self.trading_day_index(datetime_ns)
        out = idx.astype("datetime64[D]")
        out[idx < 0] = np.datetime64("NaT")
        return out

    def trading_day_of(self, datetime_ns: int) -> dt.date | None:
        idx = int(self.trading_day_index(np.array([datetime_ns]))[0])
        return None if idx < 0 else EPOCH + dt.timedelta(days=idx)


def session_mask(
    cal: TradingCalendar,
    sessions: Sessions,
    datetime_ns: np.ndarray,
    *,
    no_night_from: dt.date | None = None,
    auction_s: float = 60.0,
    close_tolerance_s: float = 1.0,
) -> np.ndarray:
    """Whether each timestamp falls inside a trading session of its trading day.

    A night tick must lie on the evening (or after midnight) of the night session that really
    belongs to its trading day: Saturday-evening ticks, ticks on the evening before a holiday and
    night ticks of a contract in its delivery month (trading day >= ``no_night_from``) are out.
    ``auction_s`` admits the call-auction print just before 09:00 / 21:00; ``close_tolerance_s``
    admits the closing snapshot stamped on the session end.
    """
    ts = np.asarray(datetime_ns, dtype=np.int64)
    day, sec = cal.local_day_and_seconds(ts)
    td = cal.trading_day_index(ts)
    night = (sec >= NIGHT_START_S) | (sec < NIGHT_END_S)
    evening_date = np.where(sec < NIGHT_END_S, day - 1, day)
    off = np.where(sec < NIGHT_END_S, sec + 86400, sec)
    i_td = np.clip(td - cal._origin, 0, len(cal._evening) - 1)
    night_ok = night & (td >= 0) & (cal._evening[i_td] == evening_date)
    if no_night_from is not None:
        night_ok &= td < date_to_index(no_night_from)
    day_ok = ~night & (td >= 0)
    in_night = _in_ranges(off, sessions.night, auction_s, close_tolerance_s)
    in_day = _in_ranges(sec, sessions.day, auction_s, close_tolerance_s)
    return (night_ok & in_night) | (day_ok & in_day)


def _in_ranges(
    off: np.ndarray, ranges: tuple[tuple[int, int], ...], auction_s: float, tol: float
) -> np.ndarray:
    mask = np.zeros(off.shape, dtype=bool)
    for k, (a, b) in enumerate(ranges):
        lo = a - auction_s if k == 0 else a
        mask |= (off >= lo) & (off < b + tol)
    return mask


def date_to_index(d: dt.date) -> int:
    return (d - EPOCH).days


def index_to_date(i: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(i))
