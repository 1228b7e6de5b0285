"""Contract catalog of a variety: contract service + tqsdk's bundled pre-2020 file + the local store.

Expired contracts are included. Each entry shows where it was found and its store coverage
(committed days and no-data days in ``lake_v2``). Traps: ``query_quotes`` only answers online and
its recent history may not reach back to 2016, while the bundled file (``expired_quotes.json.lzma``,
read by ``ContractBook`` without importing tqsdk) stops around 2020; a contract found only in the
store still belongs in the catalog; expiry comes from the service when it knows it, else the
bundled file, else the SHFE rule (15th of the delivery month).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ghtrader.market.contracts import SYMBOL_RE, ContractBook
from ghtrader.store.lake import ParquetLake

log = logging.getLogger(__name__)
SERVICE, BUNDLED, STORE = "service", "bundled", "store"


@dataclass(frozen=True)
class CatalogEntry:
    symbol: str
    last_trading_day: dt.date | None
    expired: bool
    sources: tuple[str, ...]
    days_in_store: int
    first_day: dt.date | None
    last_day: dt.date | None
    no_data_days: int


@dataclass(frozen=True)
class Catalog:
    var: str
    entries: tuple[CatalogEntry, ...]
    sources_used: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "var": self.var,
            "sources_used": list(self.sources_used),
            "notes": list(self.notes),
            "contracts": [
                {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(e).items()}
                | {"sources": list(e.sources)}
                for e in self.entries
            ],
        }


def _of_var(symbol: str, var: str) -> bool:
    m = SYMBOL_RE.match(symbol)
    return m is not None and m["var"] == var and m["exchange"] == "SHFE"


def fetch_service_contracts(api: Any, var: str) -> dict[str, dt.date | None]:
    """SHFE futures of ``var`` known to the contract service (expired included) -> last trading day."""
    symbols = [
        s for s in api.query_quotes(ins_class="FUTURE", exchange_id="SHFE", product_id=var) if _of_var(s, var)
    ]
    expiry: dict[str, dt.date | None] = dict.fromkeys(symbols)
    if symbols and hasattr(api, "query_symbol_info"):
        info = api.query_symbol_info(symbols)
        for sym, exp in zip(info["instrument_id"], info["expire_datetime"], strict=True):
            if sym in expiry and exp == exp and exp:  # NaN-safe
                expiry[sym] = (dt.datetime.fromtimestamp(float(exp), dt.UTC) + dt.timedelta(hours=8)).date()
    return expiry


def build_catalog(
    var: str,
    *,
    book: ContractBook,
    lake: ParquetLake,
    today: dt.date,
    service: Mapping[str, dt.date | None] | None = None,
    notes: tuple[str, ...] = (),
) -> Catalog:
    """Merge the three sources into one sorted catalog with store coverage per contract."""
    found: dict[str, set[str]] = {}
    if service is not None:
        for s in service:
            if _of_var(s, var):
                found.setdefault(s, set()).add(SERVICE)
    for s, spec in book.specs.items():
        if spec.variety == var and _of_var(s, var):
            found.setdefault(s, set()).add(BUNDLED)
    for s in lake.symbols("ticks"):
        if _of_var(s, var):
            found.setdefault(s, set()).add(STORE)
    entries = []
    for sym in sorted(found, key=lambda s: s[-4:]):
        ltd = (service or {}).get(sym) or book.get(sym).last_trading_day
        days = lake.days("ticks", sym)
        entries.append(
            CatalogEntry(
                symbol=sym,
                last_trading_day=ltd,
                expired=ltd is not None and ltd < today,
                sources=tuple(x for x in (SERVICE, BUNDLED, STORE) if x in found[sym]),
                days_in_store=len(days),
                first_day=days[0] if days else None,
                last_day=days[-1] if days else None,
                no_data_days=len(lake.no_data_days("ticks", sym)),
            )
        )
    used = tuple(x for x in (SERVICE, BUNDLED, STORE) if any(x in v for v in found.values()))
    if service is not None and SERVICE not in used:
        used = (SERVICE, *used)  # asked and answered (even if empty)
    return Catalog(var, tuple(entries), used, notes)
