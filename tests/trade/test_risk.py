"""Risk engine: hand cases per check, and hostile streams (hypothesis) that never breach a limit."""

from __future__ import annotations

from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.trade.risk import NS, OrderContext, RiskEngine, RiskLimits

LIMITS = RiskLimits(
    max_position=3,
    max_order_size=2,
    max_orders_per_second=2,
    max_orders_per_day=15,
    price_band_ticks=5,
    stale_after_s=3.0,
    max_daily_loss=2_000.0,
    max_drawdown=3_000.0,
)
T0 = 1_741_000_000 * NS


def ctx(
    pos: int = 0, now: int = T0, last: float = 70000.0, session: bool = True, day: str = "d1"
) -> OrderContext:
    return OrderContext(now, day, pos, last, 10.0, session)


def test_clamps_position_and_order_size() -> None:
    eng = RiskEngine(LIMITS)
    v = eng.vet(100, 70010.0, ctx())
    assert v.ok and v.qty == 2 and len(v.clamped) == 2
    assert eng.vet(5, 70010.0, ctx(pos=2)).qty == 1  # up to the position limit only
    assert eng.vet(1, 70010.0, ctx(pos=3)).reason == "position limit 3 reached"
    assert eng.vet(-10, 69990.0, ctx(pos=3)).qty == -2  # reducing through zero is still clamped


def test_band_session_rate_and_stale() -> None:
    eng = RiskEngine(LIMITS)
    assert "band" in (eng.vet(1, 70060.0, ctx()).reason or "")
    assert eng.vet(1, 70050.0, ctx()).ok
    assert eng.vet(1, float("nan"), ctx()).reason is not None
    assert eng.vet(1, 70010.0, ctx(session=False)).reason == "outside trading session"
    eng.record_order(T0, "d1")
    eng.record_order(T0 + NS // 2, "d1")
    assert "rate" in (eng.vet(1, 70010.0, ctx(now=T0 + NS // 2 + 1)).reason or "")
    assert eng.vet(1, 70010.0, ctx(now=T0 + NS + 1)).ok  # the first order left the 1 s window
    eng.on_tick(T0)
    assert not eng.check_stale(T0 + 2 * NS, True)
    assert not eng.check_stale(T0 + 10 * NS, False)  # lunch break: no ticks expected
    assert eng.check_stale(T0 + 4 * NS, True) and eng.state.paused
    assert eng.vet(1, 70010.0, ctx(now=T0 + 5 * NS)).reason == "paused: stale data"
    assert eng.on_tick(T0 + 5 * NS) and not eng.state.paused


def test_kill_latches_until_reset_and_only_reduces() -> None:
    eng = RiskEngine(LIMITS)
    assert eng.check_pnl(0.0, "d1") is None
    assert eng.check_pnl(-1999.0, "d1") is None
    assert "daily loss" in (eng.check_pnl(-2000.0, "d1") or "")
    assert eng.check_pnl(500.0, "d2") is None and eng.state.killed  # latched across days and recovery
    assert eng.vet(1, 70010.0, ctx()).reason.startswith("killed")  # type: ignore[union-attr]
    assert eng.vet(1, 70010.0, ctx(pos=-2)).qty == 1  # reducing is allowed
    assert eng.vet(-5, 69990.0, ctx(pos=1)).qty == -1  # but never through zero
    eng.reset()
    assert eng.vet(1, 70010.0, ctx()).ok


def test_drawdown_from_peak() -> None:
    eng = RiskEngine(LIMITS)
    for eq in (0.0, 2500.0, 1000.0):  # +2500 then -1500: day loss vs start is not hit, drawdown not yet
        assert eng.check_pnl(eq, "d1") is None
    assert "drawdown" in (eng.check_pnl(-500.0, "d1") or "")


@st.composite
def hostile(draw: st.DrawFn) -> list[tuple[int, int, float, bool, bool]]:
    """(target, ns step, price move, in session, kill now) per tick: flip-flopping max sizes, gaps."""
    n = draw(st.integers(20, 160))
    out = []
    for _ in range(n):
        target = draw(st.sampled_from([-1000, -3, -1, 0, 1, 3, 1000]) | st.integers(-50, 50))
        step = draw(st.sampled_from([1, NS // 10, NS // 2, NS, 5 * NS, 3600 * NS]))
        move = draw(st.sampled_from([0.0, 10.0, -10.0, 100.0, -100.0, 1000.0, -1000.0]))
        out.append((target, step, move, draw(st.booleans()), draw(st.integers(0, 60)) == 0))
    return out


@settings(max_examples=60, deadline=None)
@given(hostile())
def test_hostile_streams_never_breach(stream: list[tuple[int, int, float, bool, bool]]) -> None:
    eng = RiskEngine(LIMITS)
    pos, cash, now, last = 0, 0.0, T0, 70000.0
    sent: deque[int] = deque()
    per_day: dict[str, int] = {}
    for target, step, move, session, manual_kill in stream:
        now += step
        day = f"d{now // (4 * 3600 * NS)}"
        last = max(10.0, last + move)
        if step < 5 * NS:  # long gaps play the part of a stale feed: no tick arrives, only time passes
            eng.on_tick(now)
        eng.check_stale(now, session)
        equity = cash + pos * last * 5
        eng.check_pnl(equity, day)
        if manual_kill:
            eng.kill("manual")
        want = target - pos if not eng.state.killed else -pos
        if want == 0:
            continue
        price = last + (10.0 if want > 0 else -10.0)
        v = eng.vet(want, price, OrderContext(now, day, pos, last, 10.0, session))
        if not v.ok:
            continue
        assert session and not eng.state.paused
        assert abs(v.qty) <= LIMITS.max_order_size
        assert abs(price - last) <= LIMITS.price_band_ticks * 10.0
        if eng.state.killed:
            assert abs(pos + v.qty) < abs(pos) and (pos + v.qty) * pos >= 0
        eng.record_order(now, day)
        sent.append(now)
        while sent[0] <= now - NS:
            sent.popleft()
        assert len(sent) <= LIMITS.max_orders_per_second
        per_day[day] = per_day.get(day, 0) + 1
        assert per_day[day] <= LIMITS.max_orders_per_day
        pos += v.qty  # filled at once: the harshest case for the position limit
        cash -= v.qty * price * 5
        assert abs(pos) <= LIMITS.max_position
