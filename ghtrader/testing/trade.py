"""Trade-runner test kit: synthetic ticks, a scripted (hostile) model, and a fake TqSdk trading API.

The fake API has the TqSdk trading surface ``TqAccount`` uses (``get_account``, ``get_position``,
``insert_order``, ``cancel_order``, ``get_trade``, ``get_order``) and counts every call, so tests can
prove that a path sends no order; orders fill at once at their limit price. ``net`` is the position
(set it to change the account behind the runner's back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.features.engine import tick_inputs
from ghtrader.features.registry import FeatureConfig, feature_columns
from ghtrader.labels.core import LabelConfig
from ghtrader.market.clock import midnight_ns
from ghtrader.schema import TICK_COLUMNS
from ghtrader.trade.account import MarketTick
from ghtrader.trade.champion import Champion, Expected, SignalRule

CONTRACT = "SHFE.cu2505"
DAY = dt.date(2025, 3, 11)  # a Tuesday: night session on the evening of 2025-03-10
NS = 1_000_000_000


def session_start_ns() -> int:
    """10:00:00 CST of ``DAY`` (inside the morning session)."""
    return midnight_ns(DAY) + 10 * 3600 * NS


class ScriptedModel:
    """Returns the next probability row of ``script`` on every call (cycled): a hostile signal stream."""

    name = "scripted"
    params: dict[str, Any] = {}

    def __init__(self, script: Sequence[Sequence[float]]) -> None:
        self.script = [np.asarray(p, dtype=np.float64) for p in script]
        self.i = 0

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        out = np.stack([self.script[(self.i + k) % len(self.script)] for k in range(len(X))])
        self.i += len(X)
        return out


UP, DOWN, FLAT = (0.0, 0.0, 1.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0)


def expected() -> Expected:
    return Expected(FeatureConfig(), LabelConfig())


def scripted_champion(
    script: Sequence[Sequence[float]], *, max_pos: int = 1, run_id: str = "scripted"
) -> Champion:
    """A champion whose model plays ``script``; ``max_pos`` may be absurd (the risk engine must clamp)."""
    exp = expected()
    meta = {
        "run_id": run_id,
        "model": "scripted",
        "feature_names": feature_columns(exp.features),
        "signal": {"threshold": 0.5, "max_pos": max_pos, "hold": False},
        "data": {"features": {"config_hash": exp.features.hash}, "labels": {"config_hash": exp.labels.hash}},
    }
    return Champion(
        run_id, Path("."), ScriptedModel(script), meta, SignalRule(0.5, max_pos, False), 50, run_id
    )


def synthetic_ticks(
    steps_ns: Sequence[int],
    mids: Sequence[float],
    *,
    lasts: Sequence[float] | None = None,
    start_ns: int | None = None,
    contract: str = CONTRACT,
) -> Iterator[MarketTick]:
    """Ticks at ``start + cumsum(steps)`` with a 1-tick spread around ``mids`` (cu: tick 10, mult 5);
    ``lasts`` (default ask) may sit far from the book, as after a gap."""
    n = len(mids)
    ts = (start_ns or session_start_ns()) + np.cumsum(np.asarray(steps_ns, dtype=np.int64))
    mid = np.asarray(mids, dtype=np.float64)
    df = pd.DataFrame({c: np.nan for c in TICK_COLUMNS}, index=range(n))
    df["symbol"] = contract
    df["datetime_ns"] = ts
    df["trading_day"] = DAY
    for i in range(1, 6):
        df[f"bid_price{i}"] = mid - 5 - 10 * (i - 1)
        df[f"ask_price{i}"] = mid + 5 + 10 * (i - 1)
        df[f"bid_volume{i}"] = 10.0
        df[f"ask_volume{i}"] = 10.0
    df["last_price"] = mid + 5 if lasts is None else np.asarray(lasts, dtype=np.float64)
    df["volume"] = np.arange(n) * 2
    df["amount"] = df["volume"] * mid * 5
    df["open_interest"] = 100000.0
    xs, t, day, seg = tick_inputs(df, 10.0, 5.0)
    for i in range(n):
        yield MarketTick(i, int(t[i]), DAY.isoformat(), int(day[i]), contract, 0, float(mid[i] - 5),
                         float(mid[i] + 5), float(df["last_price"].iloc[i]), xs[i])  # fmt: skip


class FakeTradeApi:
    """TqSdk's trading surface, in memory; orders fill immediately at their limit price."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.account = SimpleNamespace(balance=1_000_000.0, available=1_000_000.0)
        self.net = 0
        self.trades: dict[str, SimpleNamespace] = {}
        self.order_book: dict[str, SimpleNamespace] = {}

    @property
    def orders(self) -> list[tuple[Any, ...]]:
        return [args for name, args in self.calls if name == "insert_order"]

    def get_account(self) -> SimpleNamespace:
        self.calls.append(("get_account", ()))
        return self.account

    def get_position(self, symbol: str) -> SimpleNamespace:
        long_, short = max(self.net, 0), max(-self.net, 0)
        return SimpleNamespace(pos=self.net, pos_long=long_, pos_short=short, pos_long_today=long_,
                               pos_short_today=short)  # fmt: skip

    def insert_order(
        self, symbol: str, direction: str, offset: str, volume: int, **kw: Any
    ) -> SimpleNamespace:
        self.calls.append(
            ("insert_order", (symbol, direction, offset, volume, kw.get("limit_price"), kw.get("order_id")))
        )
        side = 1 if direction == "BUY" else -1
        self.net += side * volume
        tid = f"t{len(self.trades)}"
        self.trades[tid] = SimpleNamespace(instrument_id=symbol, direction=direction, offset=offset,
                                           volume=volume, price=kw.get("limit_price"), commission=0.0)  # fmt: skip
        order = SimpleNamespace(status="FINISHED", order_id=kw.get("order_id"))
        self.order_book[str(kw.get("order_id"))] = order
        return order

    def get_order(self) -> dict[str, SimpleNamespace]:
        return dict(self.order_book)

    def cancel_order(self, order: Any) -> None:
        self.calls.append(("cancel_order", (order,)))

    def get_trade(self) -> dict[str, SimpleNamespace]:
        return dict(self.trades)
