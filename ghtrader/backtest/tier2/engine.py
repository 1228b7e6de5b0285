"""Tier-2 backtest: the same target-position strategies as tier-1, or a reference market maker,
replayed through latency, queue position, partial fills and SHFE fees (``kernel.run_kernel``).

Latencies are constant, or sampled per snapshot from a lognormal with the given median and
``latency_sigma`` (seeded). PnL is CNY net of fees, marked at mid; positions are flat at every
block end (segment, contract run, trading day with ``flatten_daily``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.backtest.tier2 import account as A
from ghtrader.backtest.tier2 import kernel as K
from ghtrader.backtest.tier2.queue import MODELS
from ghtrader.backtest.tier2.snapshots import Snapshots, prepare
from ghtrader.market.contracts import ContractBook

ORDER_TYPES = {"limit": K.LIMIT, "fak": K.FAK, "fok": K.FOK}
ACTIONS = ("open", "close", "close_today")
ADVERSE_HORIZON_S = (1.0, 5.0, 30.0)


@dataclass(frozen=True)
class Tier2Config:
    """Knobs of the tier-2 engine (latencies in ms; ``queue_model``: risk_averse | power | log)."""

    md_latency_ms: float = 20.0
    entry_latency_ms: float = 10.0
    response_latency_ms: float = 10.0
    latency_sigma: float = 0.0  # 0 = constant latencies, else lognormal log-sd
    queue_model: str = "risk_averse"
    queue_power: float = 2.0  # exponent n of the power model
    partial_fills: bool = True
    order_type: str = "fak"  # target strategy: fak | fok | limit
    passive: bool = False  # target strategy joins its own best instead of taking the opposite
    requote: bool = True  # passive target orders follow their best (cancel + re-enter)
    price_offset_ticks: int = 0  # aggressive target orders: limit = opposite best + offset
    flatten_daily: bool = True
    close_today_first: bool = True
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MarketMaker:
    """Reference market maker: join both bests with ``size`` lots while ``|position| <= max_pos``;
    requote (cancel, then re-enter) when its best moves."""

    size: int = 1
    max_pos: int = 3


@dataclass(frozen=True, eq=False)
class Tier2Result:
    """The replay's arrays; ``fills`` / ``equity`` tables are built on first access only."""

    snap: Snapshots
    raw: np.ndarray  # fill rows (kernel layout, ``account.F_*``), prices in ticks
    position: np.ndarray  # lots after each snapshot
    equity_cny: np.ndarray  # CNY net of fees, marked at mid, after each snapshot
    counts: np.ndarray  # orders sent, lots sent, cancels sent, snapshots replayed
    metrics: dict[str, Any]
    config: Tier2Config

    @cached_property
    def fills(self) -> pd.DataFrame:
        return fill_table(self.snap, self.raw)

    @cached_property
    def equity(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"datetime_ns": self.snap.ts, "position": self.position, "equity": self.equity_cny}
        )

    def fill_stats(self) -> dict[str, float]:
        """Non-forced fills straight from the arrays: orders filled, lots, lot-weighted average price."""
        live = self.raw[self.raw[:, A.F_FORCED] == 0]
        tick = self.snap.tick[self.snap.contract[live[:, A.F_I].astype(np.int64)]]
        lots = float(live[:, A.F_QTY].sum())
        value = float((live[:, A.F_QTY] * live[:, A.F_PX] * tick).sum())
        orders = float(len(np.unique(live[:, A.F_ORDER])))
        return {"fills": orders, "lots": lots, "avg_price": value / lots if lots else float("nan")}


def initial_rows(n: int) -> int:
    """First size of the kernel's fill table (it doubles in the kernel whenever it runs short)."""
    return n // 8 + 2 * K.HEADROOM


def _latency(rng: np.random.Generator | None, ms: float, sigma: float, n: int) -> np.ndarray:
    """Latency per snapshot (ns): constant, or lognormal around ``ms`` (``rng`` only then)."""
    if rng is None:
        return np.full(n, int(ms * 1e6), dtype=np.int64)
    return (ms * 1e6 * np.exp(sigma * rng.standard_normal(n))).astype(np.int64)


def run_tier2(
    ticks: pd.DataFrame | Snapshots,
    *,
    book: ContractBook,
    target: np.ndarray | None = None,
    maker: MarketMaker | None = None,
    config: Tier2Config = Tier2Config(),
    analytics: bool = True,
) -> Tier2Result:
    """Replay ``ticks`` towards ``target`` (lots decided at each row) or with ``maker``.

    ``analytics=False`` skips the post-trade statistics (adverse selection, averages), e.g. when
    timing the replay itself against another engine."""
    if (target is None) == (maker is None):
        raise ValueError("give exactly one of target (lots per row) or maker")
    if config.queue_model not in MODELS or config.order_type not in ORDER_TYPES:
        raise ValueError(f"unknown queue model {config.queue_model!r} or order type {config.order_type!r}")
    snap = ticks if isinstance(ticks, Snapshots) else prepare(ticks, book, flatten_daily=config.flatten_daily)
    n = len(snap.ts)
    tgt = np.zeros(n) if target is None else np.asarray(target, dtype=np.float64)
    if len(tgt) != n:
        raise ValueError(f"target has {len(tgt)} rows, ticks have {n}")
    rng = np.random.default_rng(config.seed) if config.latency_sigma > 0 else None
    lat = [_latency(rng, ms, config.latency_sigma, n) for ms in
           (config.md_latency_ms, config.entry_latency_ms, config.response_latency_ms)]  # fmt: skip
    mm = maker or MarketMaker()
    pos, eq, raw, counts = K.run_kernel(
            snap.ts, snap.bid_px, snap.bid_qty, snap.ask_px, snap.ask_qty, snap.trade_qty, snap.last_px,
            snap.vwap_px, snap.day, snap.contract, snap.block_last, snap.tick, snap.mult, snap.value_basis,
            snap.rates, K.MODE_MM if maker is not None else K.MODE_TARGET, tgt, float(mm.size),
            float(mm.max_pos), ORDER_TYPES[config.order_type], config.price_offset_ticks, config.passive,
            config.requote, lat[0], lat[1], lat[2], MODELS[config.queue_model], config.queue_power,
            config.partial_fills, config.close_today_first, initial_rows(n),
    )  # fmt: skip
    res = Tier2Result(snap, raw, pos, eq, counts, {}, config)
    res.metrics.update(
        tier2_metrics(snap, res.fills, eq, counts) if analytics else {"net_pnl": float(eq[-1]) if n else 0.0}
    )
    return res


def fill_table(snap: Snapshots, raw: np.ndarray) -> pd.DataFrame:
    """One row per fill part (open / close / close_today), prices in CNY."""
    idx = raw[:, A.F_I].astype(np.int64)
    c = snap.contract[idx]
    return pd.DataFrame(
        {
            "tick": idx,
            "datetime_ns": raw[:, A.F_T].astype(np.int64),
            "contract": pd.Categorical.from_codes(c, categories=list(snap.contracts)),
            "side": raw[:, A.F_SIDE].astype(np.int64),
            "qty": raw[:, A.F_QTY],
            "price": np.round(raw[:, A.F_PX] * snap.tick[c], 8),
            "fee": raw[:, A.F_FEE],
            "action": pd.Categorical.from_codes(raw[:, A.F_ACT].astype(np.int8), categories=list(ACTIONS)),
            "maker": raw[:, A.F_MAKER] > 0,
            "queue_wait_s": np.where(raw[:, A.F_WAIT] >= 0, raw[:, A.F_WAIT] / 1e9, np.nan),
            "forced": raw[:, A.F_FORCED] > 0,
            "order": raw[:, A.F_ORDER].astype(np.int64),
        }
    )


def adverse_selection(snap: Snapshots, fills: pd.DataFrame, horizon_s: float) -> float | None:
    """Mean signed mid move (ticks) ``horizon_s`` after each non-forced fill, in the fill's favour
    (negative = adverse selection: the market moves against what we just bought/sold)."""
    f = fills[~fills["forced"]]
    if f.empty:
        return None
    mid = np.where(
        (snap.bid_px[:, 0] >= 0) & (snap.ask_px[:, 0] >= 0),
        0.5 * (snap.bid_px[:, 0] + snap.ask_px[:, 0]),
        np.nan,
    )
    later = np.searchsorted(snap.ts, f["datetime_ns"].to_numpy() + int(horizon_s * 1e9))
    later = np.minimum(later, len(snap.ts) - 1)
    tick = snap.tick[snap.contract[f["tick"].to_numpy()]]
    px_ticks = f["price"].to_numpy() / tick
    move = (mid[later] - px_ticks) * f["side"].to_numpy()
    same = snap.contract[later] == snap.contract[f["tick"].to_numpy()]
    ok = same & np.isfinite(move)
    return float(np.mean(move[ok])) if ok.any() else None


def tier2_metrics(snap: Snapshots, fills: pd.DataFrame, eq: np.ndarray, counts: np.ndarray) -> dict[str, Any]:
    fees = float(fills["fee"].sum()) if len(fills) else 0.0
    net = float(eq[-1]) if len(eq) else 0.0
    filled = float(fills.loc[~fills["forced"], "qty"].sum()) if len(fills) else 0.0
    maker = fills[fills["maker"]] if len(fills) else fills
    out: dict[str, Any] = {
        "ticks": len(snap.ts),
        "net_pnl": net,
        "fees": fees,
        "total_pnl": net + fees,
        "fills": int(fills["order"].nunique()) if len(fills) else 0,
        "fill_rows": len(fills),
        "filled_lots": filled,
        "orders_sent": int(counts[0]),
        "lots_sent": int(counts[1]),
        "cancels_sent": int(counts[2]),
        "fill_ratio": filled / counts[1] if counts[1] else None,
        "maker_share": float(maker["qty"].sum() / filled) if filled else None,
        "avg_fill_price": float(np.average(fills["price"], weights=fills["qty"])) if len(fills) else None,
        "queue_wait_s_mean": float(maker["queue_wait_s"].mean()) if len(maker) else None,
        "forced_fills": int(fills["forced"].sum()) if len(fills) else 0,
    }
    for h in ADVERSE_HORIZON_S:
        out[f"adverse_{h:g}s_ticks"] = adverse_selection(snap, fills, h)
    return out
