"""Read the aux streams of the cross-contract factors from the lake (the IO edge of ``cross``).

Roles (``FeatureConfig.cross``):

* ``next``: the first delivery month after the day's main contract (``underlying_contract`` of the
  main_l5 day) that has a ``ticks`` partition that day. For cu that is the contract the main usually
  rolls into; for au/ag (mains on even months) it is the adjacent month, i.e. a calendar spread.
  Its segment is the contract's ``yymm``, so the cross windows reset when the next contract changes.
* ``pair``: the partner variety's continuous main series (``KQ.m@SHFE.ag`` for au and vice versa),
  with that series' own ``segment_id`` (its rolls reset the windows).

Both are resolved per trading day from what is stored, never from later days (causal). A day with
no aux ticks gives an empty stream: the last earlier aux quote stays in use and ``x*_aux_age_s``
shows how stale it is. ``AuxSource.provenance`` is what the feature build records per day, so a
changed or newly arrived aux partition rebuilds that day and every later one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ghtrader.features.catalog import PAIR_VARIETY
from ghtrader.features.engine import AuxTicks
from ghtrader.market.contracts import ContractBook, parse_symbol, variety_of
from ghtrader.store.lake import ParquetLake

MAIN_DATASET = "main_l5"
TICKS_DATASET = "ticks"
_COLUMNS = ["datetime_ns", "bid_price1", "ask_price1"]


@dataclass(frozen=True)
class AuxSource:
    """Where one role's aux ticks of a day come from: (dataset, symbol) or nothing that day."""

    role: str
    dataset: str | None
    symbol: str | None
    sha256: str | None

    @property
    def provenance(self) -> list[str | None]:
        return [self.dataset, self.symbol, self.sha256]


def partner_variety(var: str) -> str:
    """The variety whose main series is ``var``'s ``pair`` aux stream (one line naming the pairs if none)."""
    if var not in PAIR_VARIETY:
        pairs = ", ".join(f"{a}<->{b}" for a, b in PAIR_VARIETY.items() if a < b)
        raise ValueError(f"cross role 'pair' needs a partner variety; {var} has none (only {pairs})")
    return PAIR_VARIETY[var]


def _no_ticks() -> AuxTicks:
    return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)


def next_after(
    book: ContractBook, underlying: str, day: dt.date, has_ticks: Callable[[str], bool]
) -> str | None:
    """The first contract listed on ``day`` after ``underlying`` (by delivery month) that ``has_ticks``.

    The one ``next`` rule: the build asks the lake for a ``ticks`` partition of the day; the trade
    runner asks whether the live feed has delivered that contract today.
    """
    _, var, y, m = parse_symbol(underlying)
    for spec in book.listed(var, day):
        _, _, yy, mm = parse_symbol(spec.symbol)
        if (yy, mm) > (y, m) and has_ticks(spec.symbol):
            return spec.symbol
    return None


def next_contract(lake: ParquetLake, book: ContractBook, underlying: str, day: dt.date) -> str | None:
    """The first contract listed on ``day`` after ``underlying`` (by delivery month) with ticks that day."""
    return next_after(book, underlying, day, lambda s: lake.has_partition(TICKS_DATASET, s, day))


def contract_segment(symbol: str) -> int:
    """The segment id of a single contract's aux stream: its ``yymm`` (a new next contract resets the windows)."""
    _, _, y, m = parse_symbol(symbol)
    return (y % 100) * 100 + m


def aux_source(
    lake: ParquetLake, book: ContractBook, symbol: str, underlying: str, day: dt.date, role: str
) -> AuxSource:
    """Resolve ``role`` for main series ``symbol`` on ``day`` (its main contract is ``underlying``)."""
    if role == "next":
        dataset, sym = TICKS_DATASET, next_contract(lake, book, underlying, day)
    elif role == "pair":
        var = variety_of(symbol)
        dataset, sym = MAIN_DATASET, symbol.replace(f".{var}", f".{partner_variety(var)}")
    else:
        raise ValueError(f"unknown cross role {role!r}")
    m = lake.manifest(dataset, sym, day) if sym is not None else None
    if m is None:
        return AuxSource(role, None, None, None)
    return AuxSource(role, dataset, sym, m.sha256)


def read_aux(lake: ParquetLake, src: AuxSource, day: dt.date) -> AuxTicks:
    """The aux ticks of ``src`` on ``day`` as ``(datetime_ns, mid, segment)`` (empty when none)."""
    if src.dataset is None or src.symbol is None:
        return _no_ticks()
    cols = [*_COLUMNS, "segment_id"] if src.dataset == MAIN_DATASET else _COLUMNS
    t = lake.read_day(src.dataset, src.symbol, day, columns=cols)
    ts = t.column("datetime_ns").to_numpy().astype(np.int64)
    bid = t.column("bid_price1").to_numpy(zero_copy_only=False).astype(np.float64)
    ask = t.column("ask_price1").to_numpy(zero_copy_only=False).astype(np.float64)
    if src.dataset == MAIN_DATASET:
        seg = t.column("segment_id").to_numpy().astype(np.int64)
    else:
        seg = np.full(len(ts), contract_segment(src.symbol), np.int64)
    order = np.argsort(ts, kind="stable")
    return ts[order], (0.5 * (bid + ask))[order], seg[order]


def day_underlying(lake: ParquetLake, symbol: str, day: dt.date) -> str | None:
    """The main contract of a main_l5 day (one per day), or None for an empty day."""
    col = lake.read_day(MAIN_DATASET, symbol, day, columns=["underlying_contract"]).column(0)
    return str(col[0]) if len(col) else None


def day_sources(
    lake: ParquetLake, book: ContractBook, symbol: str, day: dt.date, roles: tuple[str, ...]
) -> list[AuxSource]:
    """Every role's aux source for main series ``symbol`` on ``day`` (``[]`` without roles)."""
    if not roles:
        return []
    underlying = day_underlying(lake, symbol, day)
    if underlying is None:  # an empty main day: nothing to align
        return [AuxSource(r, None, None, None) for r in roles]
    return [aux_source(lake, book, symbol, underlying, day, r) for r in roles]


def read_sources(lake: ParquetLake, day: dt.date, sources: list[AuxSource]) -> dict[str, AuxTicks]:
    """Each source's aux ticks of ``day``, by role."""
    return {s.role: read_aux(lake, s, day) for s in sources}


def range_aux(
    lake: ParquetLake, book: ContractBook, symbol: str, days: list[dt.date], roles: tuple[str, ...]
) -> dict[str, AuxTicks]:
    """Each role's aux ticks over ``days`` (in order), resolved day by day as the build does."""
    per_day = [read_sources(lake, d, day_sources(lake, book, symbol, d, roles)) for d in days]
    out: dict[str, AuxTicks] = {}
    for r in roles:
        ts, mid, seg = zip(_no_ticks(), *(p[r] for p in per_day), strict=True)
        out[r] = (np.concatenate(ts), np.concatenate(mid), np.concatenate(seg))
    return out
