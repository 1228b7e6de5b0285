"""Accounts the runner trades against: paper (none), sim (tier-1 fill model), live (TqSdk, elsewhere).

The runner speaks TargetPosTask semantics to every account: ``set_target(lots)`` replaces whatever
order is working with one that brings the position to ``lots``; ``on_tick`` reports the fills the
tick produced. ``SimAccount`` *is* the tier-1 backtest: it calls ``ghtrader.backtest.kernel.fill_tick``
and ``set_pending`` per tick with fees from the contract specs, so a replay fills exactly like
``ghtrader backtest`` (fill at the next tick's opposite best, full size, close-today first, forced
flatten at a block end at the last seen opposite best).

Restart: ``resume`` takes the account up as it is. Like a broker, a daemon's ``SimAccount`` keeps its
own book (``book_path``, rewritten atomically whenever its position, cash or working order changes),
so after a crash it is the account's truth, not the event log; without one it continues from the
state the log last recorded. The runner compares the two (``ghtrader.trade.resume``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ghtrader.backtest import kernel as BK
from ghtrader.market.contracts import ContractBook
from ghtrader.store.files import atomic_write


@dataclass(frozen=True)
class MarketTick:
    """One tick as the runner sees it (the kernel input row ``x`` feeds the factor engine)."""

    index: int
    datetime_ns: int
    trading_day: str
    day_key: int
    underlying: str
    segment: int
    bid: float
    ask: float
    last: float
    x: np.ndarray
    block_last: bool = False
    next_block_last: bool = False


@dataclass(frozen=True)
class AuxTick:
    """A quote of a cross-contract aux stream (``role``: ``next``), for the factor engine only: never traded."""

    role: str
    datetime_ns: int
    mid: float
    segment: int


@dataclass(frozen=True)
class Fill:
    contract: str
    side: int
    qty: int
    price: float
    fee: float
    action: str
    forced: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "side": "buy" if self.side > 0 else "sell",
            "qty": self.qty,
            "price": self.price,
            "fee": self.fee,
            "action": self.action,
            "forced": self.forced,
        }


class Account(Protocol):
    kind: str

    @property
    def position(self) -> int: ...

    def equity(self) -> float: ...

    def on_tick(self, tick: MarketTick) -> list[Fill]: ...

    def set_target(self, target: int, tick: MarketTick, client_id: str | None) -> None: ...

    def end_tick(self, tick: MarketTick) -> None:
        """After the decision: the sim re-arms its pending order (block-end rules); others do nothing."""
        ...

    def snapshot(self) -> dict[str, Any]: ...

    def resume(self, state: dict[str, Any] | None, contract: str | None) -> None:
        """After a restart: the account as it is (``state``/``contract``: what the log last recorded)."""
        ...

    def working_target(self) -> int | None:
        """The position the account's working order aims at, when it knows (else None)."""
        ...

    def cancel_working(self) -> None:
        """Drop the working order (reconciliation: the runner re-decides through the risk checks)."""
        ...


class PaperAccount:
    """Decisions only: nothing is ever sent, the position stays flat."""

    kind = "paper"
    position = 0

    def equity(self) -> float:
        return 0.0

    def on_tick(self, tick: MarketTick) -> list[Fill]:
        return []

    def set_target(self, target: int, tick: MarketTick, client_id: str | None) -> None:
        return None

    def end_tick(self, tick: MarketTick) -> None:
        return None

    def snapshot(self) -> dict[str, Any]:
        return {"kind": self.kind, "position": 0, "equity": 0.0}

    def resume(self, state: dict[str, Any] | None, contract: str | None) -> None:
        return None

    def working_target(self) -> int | None:
        return None

    def cancel_working(self) -> None:
        return None


class SimAccount:
    """Simulated account on the tier-1 fill kernel (state: the kernel's ``fs``/``si`` slots)."""

    kind = "sim"

    def __init__(
        self, book: ContractBook, close_today_first: bool = True, book_path: Path | None = None
    ) -> None:
        self.book = book
        self.book_path = book_path
        self._saved: tuple[bytes, float, int] | None = None
        self.close_today_first = close_today_first
        self.contracts: list[str] = []
        self.mult: np.ndarray = np.zeros(0)
        self.value_basis: np.ndarray = np.zeros(0, dtype=np.bool_)
        self.rates: np.ndarray = np.zeros((0, 3))
        self.fs, self.si = BK.new_state()
        self._ff, self._fi, self._rt = BK.new_buffers()
        self._prev: MarketTick | None = None
        self._resumed: list[str | None] | None = (
            None  # [last trading day] until the first tick after a restart
        )
        self._code = -1
        self.round_trips: list[tuple[float, int]] = []
        self.target = 0

    def _code_of(self, contract: str) -> int:
        if contract not in self.contracts:
            spec = self.book.get(contract)
            self.contracts.append(contract)
            self.mult = np.append(self.mult, spec.volume_multiple)
            self.value_basis = np.append(self.value_basis, spec.fees.basis == "value")
            rates = [spec.fees.open, spec.fees.close, spec.fees.close_today]
            self.rates = np.vstack([self.rates, np.array([rates], dtype=np.float64)])
        return self.contracts.index(contract)

    @property
    def position(self) -> int:
        return int(self.si[BK.I_POS])

    def equity(self) -> float:
        return (
            float(BK.equity_of(self.fs, self.si, max(self._code, 0), self.mult)) if self._code >= 0 else 0.0
        )

    def on_tick(self, tick: MarketTick) -> list[Fill]:
        if self._resumed is not None:  # first tick after a restart: the block goes on, no working order
            day, self._resumed = self._resumed[0], None
            self.si[BK.I_PENDING] = self.si[BK.I_POS]  # the runner re-decides (and re-orders) on this tick
            return self._step(
                tick, None, new_day=day is not None and day != tick.trading_day, new_block=False
            )
        prev = self._prev
        rolled: list[Fill] = []
        if prev is not None and prev.underlying != tick.underlying and not prev.block_last:
            # live roll without a block end seen in the data: close the old contract at its last seen
            # opposite best (the kernel's forced flatten), then start the new contract flat
            rolled = self._step(replace(prev, bid=float("nan"), ask=float("nan"), block_last=True), prev)
            prev = self._prev = replace(prev, block_last=True)
        return rolled + self._step(tick, prev)

    def _step(
        self,
        tick: MarketTick,
        prev: MarketTick | None,
        *,
        new_day: bool | None = None,
        new_block: bool | None = None,
    ) -> list[Fill]:
        c = self._code = self._code_of(tick.underlying)
        if new_day is None:
            new_day = prev is not None and prev.trading_day != tick.trading_day
        if new_block is None:
            new_block = prev is None or prev.block_last
        k, r = BK.fill_tick(
            tick.index, tick.bid, tick.ask, c, new_day, new_block, tick.block_last, self.mult,
            self.value_basis, self.rates, self.close_today_first, self.fs, self.si, self._ff, self._fi, self._rt,
        )  # fmt: skip
        self._prev = tick
        self.target = int(self.si[BK.I_PENDING])  # 0 after a block change
        self.round_trips += [(float(self._rt[j, 0]), int(self._rt[j, 1])) for j in range(r)]
        return [
            Fill(
                tick.underlying,
                int(self._fi[j, 0]),
                int(self._fi[j, 1]),
                float(self._ff[j, 0]),
                float(self._ff[j, 1]),
                BK.ACTIONS[int(self._fi[j, 2])],
                bool(self._fi[j, 3]),
            )
            for j in range(k)
        ]

    def set_target(self, target: int, tick: MarketTick, client_id: str | None) -> None:
        self.target = int(target)

    def end_tick(self, tick: MarketTick) -> None:
        """``set_pending`` every tick, as the batch loop does (it zeroes the order at a block end)."""
        BK.set_pending(self.si, self.target, tick.block_last, tick.next_block_last)
        if self.book_path is not None:
            key = (self.si.tobytes(), float(self.fs[BK.F_CASH]), len(self.contracts))
            if key != self._saved:  # a fill or a new working order: the book changed
                atomic_write(self.book_path, json.dumps(self.snapshot()).encode(), durable=False)
                self._saved = key

    def snapshot(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "position": self.position,
            "equity": self.equity(),
            "fs": self.fs.tolist(),
            "si": self.si.tolist(),
            "contracts": list(self.contracts),
            "day": self._prev.trading_day if self._prev is not None else None,
        }

    def restore(self, snap: dict[str, Any]) -> None:
        """Continue from a snapshot (restart after a crash)."""
        for c in snap.get("contracts", []):
            self._code_of(c)
        self.fs[:] = np.array([np.nan if v is None else v for v in snap["fs"]], dtype=np.float64)
        self.si[:] = np.array(snap["si"], dtype=np.int64)
        self.target = int(self.si[BK.I_PENDING])
        self._resumed = [snap.get("day")]

    def resume(self, state: dict[str, Any] | None, contract: str | None) -> None:
        """Its own book when there is one (the account's truth), else the state the log recorded."""
        if self.book_path is not None and self.book_path.is_file():
            self.restore(json.loads(self.book_path.read_text()))
        elif state is not None:
            self.restore(state)

    def working_target(self) -> int | None:
        return self.target

    def cancel_working(self) -> None:
        self.target = self.position
        self.si[BK.I_PENDING] = self.position
