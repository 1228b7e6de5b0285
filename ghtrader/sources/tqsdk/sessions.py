"""Trading sessions of a variety from TqSdk's ``quote.trading_time``, cached under the data dir.

``trading_time`` is ``{"day": [["09:00:00", "10:15:00"], ...], "night": [["21:00:00", "25:00:00"]]}``;
hours past 24 mean after midnight of the next calendar day (``Sessions.from_trading_time``
handles them). The cache is ``<data_dir>/sessions/<var>.json``. Traps: the quote of a contract in
its delivery month, or any quote during a night suspension (Feb-May 2020), reports an *empty*
night, so sessions are read from the ``KQ.m@`` continuous quote and a mismatch with the built-in
table is a warning for a human, never a silent override.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghtrader.market.sessions import Sessions, variety_sessions
from ghtrader.store.files import atomic_write

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VarietySessions:
    var: str
    sessions: Sessions
    source_symbol: str
    warning: str | None  # set when TqSdk disagrees with the built-in table


def trading_time_dict(trading_time: Any) -> dict[str, list[list[str]]]:
    """Normalize a TqSdk ``TradingTime`` entity (attributes) or a plain mapping to a dict."""
    out: dict[str, list[list[str]]] = {}
    for key in ("day", "night"):
        value = getattr(trading_time, key, None)
        if value is None and isinstance(trading_time, Mapping):
            value = trading_time.get(key)
        out[key] = [[str(a), str(b)] for a, b in (value or [])]
    return out


def crosscheck(var: str, sessions: Sessions) -> str | None:
    """Describe how ``sessions`` differ from the built-in table of ``var`` (None when equal)."""
    builtin = variety_sessions(var)
    if sessions == builtin:
        return None
    if not sessions.night and builtin.night and sessions.day == builtin.day:
        return f"{var}: TqSdk reports no night session (suspension or delivery month?); built-in has one"
    return (
        f"{var}: TqSdk trading_time {sessions.to_trading_time()} differs from the built-in "
        f"table {builtin.to_trading_time()}"
    )


def cache_path(data_dir: Path, var: str) -> Path:
    return Path(data_dir) / "sessions" / f"{var}.json"


def write_cache(data_dir: Path, item: VarietySessions) -> Path:
    doc = {
        "var": item.var,
        "source_symbol": item.source_symbol,
        "trading_time": item.sessions.to_trading_time(),
        "warning": item.warning,
    }
    path = cache_path(data_dir, item.var)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode())
    return path


def read_cache(data_dir: Path, var: str) -> VarietySessions | None:
    path = cache_path(data_dir, var)
    if not path.is_file():
        return None
    doc = json.loads(path.read_text())
    sessions = Sessions.from_trading_time(doc["trading_time"])
    return VarietySessions(var, sessions, str(doc.get("source_symbol", "")), doc.get("warning"))


def fetch_sessions(api: Any, var: str, data_dir: Path, exchange: str = "SHFE") -> VarietySessions:
    """Read ``trading_time`` of ``KQ.m@<exchange>.<var>``, cross-check, cache and return it."""
    symbol = f"KQ.m@{exchange}.{var}"
    quote = api.get_quote(symbol)
    sessions = Sessions.from_trading_time(trading_time_dict(quote.trading_time))
    if not sessions.day:
        raise ValueError(f"{symbol}: TqSdk returned no trading_time")
    item = VarietySessions(var, sessions, symbol, crosscheck(var, sessions))
    if item.warning:
        log.warning(item.warning)
    write_cache(data_dir, item)
    return item


def sessions_for(var: str, data_dir: Path) -> Sessions:
    """Cached TqSdk sessions of ``var`` if present, else the built-in table."""
    cached = read_cache(data_dir, var)
    return cached.sessions if cached is not None else variety_sessions(var)
