"""Pre-trade risk: every order of every mode passes ``RiskEngine.vet`` before it may leave.

Checks, in order (the first failing one names the verdict): kill switch latched (only orders that
reduce the position towards 0 pass), stale data pause, session-time guard, price band around the last
price, order rate per second and per trading day; then the quantity is *clamped*: never beyond
``max_position`` in absolute lots (counting the position the order would leave, not just the order),
never more than ``max_order_size`` lots in one order. A clamped order is still an order; a rejected
order is none.

The kill switch trips on the daily loss (equity change since the trading day's first mark) or on the
drawdown from the running equity peak, or by hand (``ghtrader trade kill`` / SIGUSR1). It *latches*:
only ``reset()`` (``ghtrader trade reset-kill``) clears it. Trap: a kill that flattens must still obey
the session guard, band and rate limits (a flatten outside the session would be rejected by the
exchange anyway); it is retried on every tick until flat.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

NS = 1_000_000_000


@dataclass(frozen=True)
class RiskLimits:
    """Hard limits (lots, orders, price ticks, seconds, CNY)."""

    max_position: int = 1
    max_order_size: int = 2  # a reversal from -max to +max is one order of 2 * max_position
    max_orders_per_second: int = 5
    max_orders_per_day: int = 2000
    price_band_ticks: float = 20.0
    stale_after_s: float = 10.0
    max_daily_loss: float = 20_000.0
    max_drawdown: float = 30_000.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not value > 0:
                raise ValueError(f"risk limit {name} must be > 0, got {value!r}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OrderContext:
    """What the engine needs to know about the market and the account at decision time."""

    now_ns: int
    trading_day: str
    position: int
    last_price: float
    price_tick: float
    in_session: bool


@dataclass(frozen=True)
class Verdict:
    """``qty`` (signed lots) allowed to go out; 0 with a ``reason`` when rejected; ``clamped`` notes."""

    qty: int
    reason: str | None = None
    clamped: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.qty != 0 and self.reason is None


@dataclass
class RiskState:
    """Mutable state of the engine (persisted in the event log's snapshots, rebuilt on restart)."""

    killed: bool = False
    kill_reason: str | None = None
    paused: bool = False
    last_tick_ns: int | None = None
    day: str | None = None
    day_orders: int = 0
    recent: deque[int] = field(default_factory=deque)
    day_start_equity: float | None = None
    peak_equity: float | None = None


class RiskEngine:
    """Apply ``RiskLimits``; pure checks over ``RiskState`` plus the few events that change it."""

    def __init__(self, limits: RiskLimits, state: RiskState | None = None) -> None:
        self.limits = limits
        self.state = state or RiskState()

    # --- state changes ------------------------------------------------------------------------
    def kill(self, reason: str) -> bool:
        """Latch the kill switch; True when this call tripped it (False: already latched)."""
        if self.state.killed:
            return False
        self.state.killed, self.state.kill_reason = True, reason
        return True

    def reset(self) -> None:
        """Clear the kill latch (the one way out), and the loss references with it."""
        self.state.killed, self.state.kill_reason = False, None
        self.state.day_start_equity = self.state.peak_equity = None

    def on_tick(self, tick_ns: int) -> bool:
        """A fresh tick arrived; returns True when this resumed a stale pause."""
        self.state.last_tick_ns = tick_ns
        if self.state.paused:
            self.state.paused = False
            return True
        return False

    def check_stale(self, now_ns: int, in_session: bool) -> bool:
        """Pause when no tick came for ``stale_after_s`` during a session; True when this paused."""
        last = self.state.last_tick_ns
        stale = in_session and last is not None and now_ns - last > self.limits.stale_after_s * NS
        if stale and not self.state.paused:
            self.state.paused = True
            return True
        return False

    def check_pnl(self, equity: float, trading_day: str) -> str | None:
        """Track daily loss / drawdown of ``equity`` (CNY); trip the kill switch, returning the reason."""
        s = self.state
        self._roll_day(trading_day)
        if s.day_start_equity is None:
            s.day_start_equity = equity
        s.peak_equity = equity if s.peak_equity is None else max(s.peak_equity, equity)
        loss = s.day_start_equity - equity
        drawdown = s.peak_equity - equity
        reason = None
        if loss >= self.limits.max_daily_loss:
            reason = f"daily loss {loss:.2f} >= {self.limits.max_daily_loss:.2f}"
        elif drawdown >= self.limits.max_drawdown:
            reason = f"drawdown {drawdown:.2f} >= {self.limits.max_drawdown:.2f}"
        return reason if reason is not None and self.kill(reason) else None

    def _roll_day(self, trading_day: str) -> None:
        s = self.state
        if s.day != trading_day:
            s.day, s.day_orders, s.day_start_equity = trading_day, 0, None

    def record_order(self, now_ns: int, trading_day: str) -> None:
        """Count an order that left (rate limits)."""
        self._roll_day(trading_day)
        self.state.day_orders += 1
        self.state.recent.append(now_ns)

    # --- the check ----------------------------------------------------------------------------
    def vet(self, qty: int, limit_price: float, ctx: OrderContext) -> Verdict:
        """Verdict on an order of ``qty`` signed lots at ``limit_price`` (does not count it: call
        ``record_order`` when it is sent)."""
        if qty == 0:
            return Verdict(0, "empty order")
        lim, s = self.limits, self.state
        pos = ctx.position
        reducing = pos != 0 and qty * pos < 0
        if s.killed and not reducing:
            return Verdict(0, f"killed: {s.kill_reason}")
        if s.killed:
            qty = max(qty, -pos) if pos > 0 else min(qty, -pos)  # never through zero while killed
        if s.paused:
            return Verdict(0, "paused: stale data")
        if not ctx.in_session:
            return Verdict(0, "outside trading session")
        band = lim.price_band_ticks * ctx.price_tick
        if not (limit_price == limit_price and abs(limit_price - ctx.last_price) <= band + 1e-9 * band):
            return Verdict(0, f"price {limit_price} outside band {ctx.last_price} +/- {band:g}")
        while s.recent and s.recent[0] <= ctx.now_ns - NS:
            s.recent.popleft()
        if len(s.recent) >= lim.max_orders_per_second:
            return Verdict(0, f"rate: {lim.max_orders_per_second} orders in the last second")
        day_orders = s.day_orders if s.day == ctx.trading_day else 0
        if day_orders >= lim.max_orders_per_day:
            return Verdict(0, f"rate: {lim.max_orders_per_day} orders today")
        notes: list[str] = []
        target = pos + qty
        still_reducing = abs(target) < abs(pos) and target * pos > 0
        if abs(target) > lim.max_position and not still_reducing:
            capped = max(-lim.max_position, min(lim.max_position, target))
            if (capped - pos) * qty <= 0:
                return Verdict(0, f"position limit {lim.max_position} reached")
            notes.append(f"position clamped to {capped}")
            target = capped
        clamped = target - pos
        if abs(clamped) > lim.max_order_size:
            clamped = lim.max_order_size if clamped > 0 else -lim.max_order_size
            notes.append(f"order size clamped to {lim.max_order_size}")
        return Verdict(clamped, None, tuple(notes))

    def snapshot(self) -> dict[str, Any]:
        s = self.state
        return {
            "killed": s.killed,
            "kill_reason": s.kill_reason,
            "paused": s.paused,
            "day": s.day,
            "day_orders": s.day_orders,
            "day_start_equity": s.day_start_equity,
            "peak_equity": s.peak_equity,
        }
