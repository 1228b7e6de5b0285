"""TargetPosTask routing for the trade runner: a changed target becomes one vetted order.

``Router._route`` runs after the decision of each tick: paper and ``--monitor-only`` only record the
target; otherwise an unchanged target leaves the working order alone, a target equal to the position
cancels it, and any other target becomes one order (client id ``<run_id>-<n>``) at the opposite best,
after ``RiskEngine.vet`` (which may clamp it or refuse it). Outside a session or while paused on stale
data nothing is routed, not even a cancel (the research backtest mirrors this with
``hold_outside_sessions``).
"""

from __future__ import annotations

from typing import Any

from ghtrader.features import kernels as K
from ghtrader.market.clock import SessionClock
from ghtrader.trade.account import Account, MarketTick
from ghtrader.trade.risk import OrderContext, RiskEngine


class Router:
    """Mixin of ``TradeRunner``: the attributes below are the runner's."""

    cfg: Any
    account: Account
    risk: RiskEngine
    sessions: SessionClock
    working: int
    asked: int | None
    order_seq: int
    last_reject: str | None

    def _event(self, kind: str, **fields: Any) -> None: ...

    def _route(self, target: int, t: MarketTick) -> dict[str, Any] | None:
        """TargetPosTask: one order per target change, vetted; returns the order record or None."""
        pos = self.account.position
        if self.cfg.mode == "paper" or self.cfg.monitor_only:
            self.working = self.asked = target  # decisions only: nothing is ever sent
            return None
        if target == self.asked:
            return None  # unchanged: the working order (if any) keeps working
        in_session = self.sessions.in_session(t.datetime_ns)
        if not in_session or self.risk.state.paused:
            self._reject(
                t, target, pos, "outside trading session" if not in_session else "paused: stale data"
            )
            return None  # nothing reaches the exchange: the working order stays as it is
        if target == self.working:
            self.asked = target
            return None
        if target == pos:  # the working order is no longer wanted
            self.working, self.asked = pos, target
            self.account.set_target(pos, t, None)
            return {"ts": t.datetime_ns, "action": "cancel", "client_id": None, "target": pos}
        qty = target - pos
        px = t.ask if qty > 0 else t.bid
        if px != px:  # empty opposite side: quote at the last price (the fill model waits for a side)
            px = t.last
        last = t.last if t.last == t.last else 0.5 * (t.bid + t.ask)
        ctx = OrderContext(t.datetime_ns, t.trading_day, pos, last, float(t.x[K.PT]), in_session)
        verdict = self.risk.vet(qty, px, ctx)
        if not verdict.ok:
            self._reject(t, target, pos, verdict.reason)
            if self.working != pos:
                self.working = pos
                self.account.set_target(pos, t, None)
            return None
        self.last_reject = None
        new_target = pos + verdict.qty
        client_id = f"{self.cfg.run_id}-{self.order_seq}"
        self.order_seq += 1
        self.risk.record_order(t.datetime_ns, t.trading_day)
        self.account.set_target(new_target, t, client_id)
        self.working, self.asked = new_target, target
        return {
            "ts": t.datetime_ns,
            "action": "target",
            "client_id": client_id,
            "target": new_target,
            "qty": verdict.qty,
            "limit": px,
            "clamped": list(verdict.clamped),
        }

    def _reject(self, t: MarketTick, target: int, pos: int, reason: str | None) -> None:
        if reason != self.last_reject:
            self._event("risk_reject", ts=t.datetime_ns, target=target, position=pos, reason=reason)
        self.last_reject = reason
