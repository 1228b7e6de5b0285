"""Turn stored L5 snapshots into the flat arrays the tier-2 kernel replays.

Data traps handled here (each has a test):

* **Double counting.** SHFE snapshots before 2020 report volume/amount/OI for both sides of each
  trade; traded lots are ``Δvolume / volume_divisor`` (``ghtrader.market.reporting``).
* **Call auction.** The first snapshot of a trading day carries the opening auction's volume (and a
  cumulative figure from nowhere): it is not continuous trading, so its trade volume is 0. The same
  holds at every block start (new segment or underlying contract in a continuous series).
* **Night sessions.** The night session belongs to the *next* trading day: blocks (and the daily
  flatten) follow ``trading_day``, never the calendar date; the break between the night and day
  sessions of one trading day is not a block end (resting orders stay, as GFD orders do on SHFE).
* **Missing sides.** Empty levels (NaN / 0 price) become price -1 with qty 0, never a level at 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ghtrader.market.contracts import ContractBook
from ghtrader.market.reporting import volume_divisor

LEVELS = 5


@dataclass(frozen=True)
class Snapshots:
    """Column arrays of a snapshot series (prices in ticks, sizes in lots)."""

    ts: np.ndarray  # int64 exchange stamps (ns)
    bid_px: np.ndarray  # (n, 5) int64 ticks, -1 = empty level
    bid_qty: np.ndarray  # (n, 5) float64 lots
    ask_px: np.ndarray
    ask_qty: np.ndarray
    trade_qty: np.ndarray  # float64 one-sided lots traded since the previous snapshot
    last_px: np.ndarray  # int64 ticks of the last trade (-1 unknown)
    vwap_px: np.ndarray  # float64 ticks: interval VWAP (NaN without trades)
    day: np.ndarray  # int64 trading-day code
    contract: np.ndarray  # int64 contract code (index into ``contracts``)
    block_last: np.ndarray  # bool: last snapshot of a segment / contract run / trading day
    contracts: tuple[str, ...]
    days: tuple[dt.date, ...]
    tick: np.ndarray  # price tick per contract code
    mult: np.ndarray  # volume multiple per contract code
    value_basis: np.ndarray  # bool per contract: fee rates are a share of notional
    rates: np.ndarray  # (contracts, 3) open / close / close_today fee rates


def _levels(ticks: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """(n, k) float64, C order, one column per name (a frame's own 2-D block is column-major)."""
    out = np.empty((len(ticks), len(cols)))
    for k, c in enumerate(cols):
        out[:, k] = ticks[c].to_numpy(np.float64)
    return out


def _ticks(prices: np.ndarray, row_tick: np.ndarray) -> np.ndarray:
    """(n, k) prices to tick indices; empty (NaN, inf or <= 0) -> -1."""
    px = prices / row_tick[:, None]
    ok = (px > 0) & (px < np.inf)  # False for NaN
    return np.rint(px, out=np.full(px.shape, -1.0), where=ok).astype(np.int64)


def prepare(ticks: pd.DataFrame, book: ContractBook, *, flatten_daily: bool = True) -> Snapshots:
    """Arrays of ``ticks`` (tick schema, or main_l5 with ``underlying_contract`` / ``segment_id``)."""
    n = len(ticks)
    under = ticks["underlying_contract"] if "underlying_contract" in ticks else ticks["symbol"]
    codes, names = pd.factorize(under, sort=False)
    contracts = tuple(str(c) for c in names)
    specs = [book.get(c) for c in contracts]
    tick_c = np.array([s.price_tick for s in specs], dtype=np.float64).reshape(-1)
    mult = np.array([s.volume_multiple for s in specs], dtype=np.float64).reshape(-1)
    basis = np.array([s.fees.basis == "value" for s in specs], dtype=np.bool_).reshape(-1)
    rates = np.array([[s.fees.open, s.fees.close, s.fees.close_today] for s in specs], np.float64)
    rates = rates.reshape(len(specs), 3)
    contract = codes.astype(np.int64)
    day_codes, day_names = pd.factorize(ticks["trading_day"], sort=False)
    day = day_codes.astype(np.int64)
    row_tick = tick_c[contract] if n else np.empty(0)
    levels = range(1, 6)
    bid_px = _ticks(_levels(ticks, [f"bid_price{k}" for k in levels]), row_tick)
    ask_px = _ticks(_levels(ticks, [f"ask_price{k}" for k in levels]), row_tick)
    bid_qty = _levels(ticks, [f"bid_volume{k}" for k in levels])
    ask_qty = _levels(ticks, [f"ask_volume{k}" for k in levels])
    bid_qty[np.isnan(bid_qty) | (bid_px < 0)] = 0.0
    ask_qty[np.isnan(ask_qty) | (ask_px < 0)] = 0.0
    segment = ticks["segment_id"].to_numpy(np.int64) if "segment_id" in ticks else np.zeros(n, np.int64)
    start = np.ones(n, dtype=np.bool_)
    start[1:] = (segment[1:] != segment[:-1]) | (contract[1:] != contract[:-1]) | (day[1:] != day[:-1])
    block_last = np.zeros(n, dtype=np.bool_)
    if n:
        change = (segment[1:] != segment[:-1]) | (contract[1:] != contract[:-1])
        if flatten_daily:
            change |= day[1:] != day[:-1]
        block_last[:-1] = change
        block_last[-1] = True
    days = tuple(day_names)
    # one volume divisor per (contract, trading day), looked up per row
    table = np.array([volume_divisor(sym, d) for sym in contracts for d in days], dtype=np.float64)
    div = table[contract * len(days) + day] if n else np.ones(0)
    volume = ticks["volume"].to_numpy(np.float64)
    amount = ticks["amount"].to_numpy(np.float64) if "amount" in ticks else np.full(n, np.nan)
    dvol = np.diff(volume, prepend=np.nan)
    damt = np.diff(amount, prepend=np.nan)
    dvol[start] = 0.0  # call auction / block start: not continuous trading
    dvol = np.where(np.isfinite(dvol) & (dvol > 0), dvol, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        vwap = np.where(dvol > 0, damt / (dvol * mult[contract]) / row_tick, np.nan)
    last = ticks["last_price"].to_numpy(np.float64) if "last_price" in ticks else np.full(n, np.nan)
    last_px = _ticks(last[:, None], row_tick).reshape(-1)
    return Snapshots(
        ts=ticks["datetime_ns"].to_numpy(np.int64),
        bid_px=bid_px,
        bid_qty=bid_qty,
        ask_px=ask_px,
        ask_qty=ask_qty,
        trade_qty=dvol / div,
        last_px=last_px,
        vwap_px=vwap,
        day=day,
        contract=contract,
        block_last=block_last,
        contracts=contracts,
        days=days,
        tick=tick_c,
        mult=mult,
        value_basis=basis,
        rates=rates,
    )
