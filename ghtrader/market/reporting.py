"""How the exchange reports cumulative fields in snapshots.

Trap: before 2020 SHFE (and INE) counted ``volume``, ``amount`` and ``open_interest`` on both sides
of every trade (bilateral); from the 2020-01-01 trading day on they are one-sided. Real cu1909 on
2019-09-12 shows it: each 10-lot volume step takes 5 lots out of the best queue. Anything that turns
volume deltas into traded lots (queue models, depth-vs-volume statistics) must halve pre-2020 deltas.
"""

from __future__ import annotations

import datetime as dt

SINGLE_SIDED_FROM = {"SHFE": dt.date(2020, 1, 1), "INE": dt.date(2020, 1, 1)}


def volume_divisor(symbol: str, trading_day: dt.date) -> int:
    """2 when ``symbol``'s snapshots double-count volume/amount/OI on ``trading_day``, else 1."""
    exchange = symbol.split(".", 1)[0]
    since = SINGLE_SIDED_FROM.get(exchange)
    return 2 if since is not None and trading_day < since else 1
