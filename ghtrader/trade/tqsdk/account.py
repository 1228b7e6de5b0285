"""``TqAccount``: the runner's account on a real TqSdk connection (TargetPosTask semantics by hand).

Orders go out with ``api.insert_order(..., order_id=<client id>)`` so a restarted runner recognizes
its own orders (idempotent ids); a new target cancels the working order first and sends the
replacement once the cancel is confirmed (TqSdk's TargetPosTask does the same). SHFE closes today's
lots with ``CLOSETODAY`` and older ones with ``CLOSE``. Without a ``LiveGate`` (paper, sim,
``--monitor-only``) ``set_target`` refuses: account snapshots only, never an order.

Restart: the broker is the truth. ``resume`` takes only the contract traded from the log, and treats
every trade the broker already reports as seen (not a new fill); ``order_ids`` lists the order ids the
broker knows, so the runner never reuses one of its own.
"""

from __future__ import annotations

from typing import Any

from ghtrader.trade.account import Fill, MarketTick
from ghtrader.trade.gate import LiveGate, LiveGateError


class TqAccount:
    kind = "live"

    def __init__(self, api: Any, *, gate: LiveGate | None) -> None:
        if gate is not None and not isinstance(gate, LiveGate):
            raise LiveGateError("TqAccount needs a LiveGate from open_gate() to route orders")
        self.api = api
        self.gate = gate
        self.contract: str | None = None
        self.working: Any = None
        self.want: tuple[int, str | None] | None = None
        self._seen_trades: set[str] = set()
        self._account = api.get_account()

    @property
    def position(self) -> int:
        if self.contract is None:
            return 0
        return int(self.api.get_position(self.contract).pos)

    def equity(self) -> float:
        return float(self._account.balance)

    def on_tick(self, tick: MarketTick) -> list[Fill]:
        self.contract = tick.underlying
        fills = []
        for tid, t in list(self.api.get_trade().items()):
            if tid in self._seen_trades:
                continue
            self._seen_trades.add(tid)
            side = 1 if t.direction == "BUY" else -1
            action = {"OPEN": "open", "CLOSE": "close", "CLOSETODAY": "close_today"}.get(t.offset, "close")
            fills.append(
                Fill(t.instrument_id, side, int(t.volume), float(t.price), float(t.commission), action, False)
            )
        self._advance(tick)
        return fills

    def set_target(self, target: int, tick: MarketTick, client_id: str | None) -> None:
        if self.gate is None:
            raise LiveGateError("live orders are disabled (no LiveGate): monitor-only account")
        self.contract = tick.underlying
        self.want = (int(target), client_id)
        if self.working is not None and self.working.status == "ALIVE":
            self.api.cancel_order(self.working)
        self._advance(tick)

    def end_tick(self, tick: MarketTick) -> None:
        return None

    def resume(self, state: dict[str, Any] | None, contract: str | None) -> None:
        self.contract = contract or (state or {}).get("contract")
        self._seen_trades = set(self.api.get_trade())
        get_order = getattr(self.api, "get_order", None)
        alive = [o for o in (get_order() if get_order is not None else {}).values() if o.status == "ALIVE"]
        self.working = alive[-1] if alive else None  # a new target cancels it before sending

    def working_target(self) -> int | None:
        return None  # an order left working before the restart is not ours to assume: re-decide

    def cancel_working(self) -> None:
        self.want = None
        if self.gate is not None and self.working is not None and self.working.status == "ALIVE":
            self.api.cancel_order(self.working)

    def order_ids(self) -> list[str]:
        get_order = getattr(self.api, "get_order", None)
        return [str(k) for k in get_order()] if get_order is not None else []

    def _advance(self, tick: MarketTick) -> None:
        """Send the wanted order once nothing is working (cancel confirmed)."""
        if self.want is None or self.gate is None:
            return
        if self.working is not None and self.working.status == "ALIVE":
            return
        target, client_id = self.want
        pos = self.api.get_position(tick.underlying)
        net = int(pos.pos)
        self.want = None
        if target == net or client_id is None:
            return
        qty = target - net
        direction = "BUY" if qty > 0 else "SELL"
        price = tick.ask if qty > 0 else tick.bid
        closable_today = int(pos.pos_short_today if qty > 0 else pos.pos_long_today)
        closable = int(pos.pos_short if qty > 0 else pos.pos_long)
        n = abs(qty)
        close_today = min(n, closable_today)
        close_old = min(n - close_today, closable - closable_today)
        legs = [("CLOSETODAY", close_today), ("CLOSE", close_old), ("OPEN", n - close_today - close_old)]
        k = 0
        for offset, vol in legs:
            if vol > 0:
                oid = client_id if k == 0 else f"{client_id}.{k}"
                self.working = self.api.insert_order(
                    tick.underlying, direction, offset, vol, limit_price=price, order_id=oid
                )
                k += 1

    def snapshot(self) -> dict[str, Any]:
        a = self._account
        return {
            "kind": self.kind,
            "contract": self.contract,
            "position": self.position,
            "balance": float(a.balance),
            "available": float(getattr(a, "available", float("nan"))),
            "orders_enabled": self.gate is not None,
        }
