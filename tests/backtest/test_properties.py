"""Properties over random targets, books with gaps, and random segment/day layouts."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.backtest import BacktestConfig, run_backtest
from ghtrader.market.contracts import ContractBook

from .conftest import make_ticks

CONTRACTS = ["SHFE.cu2504", "SHFE.cu2505", "SHFE.cu2506"]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple:
    seg_lens = draw(st.lists(st.integers(1, 12), min_size=1, max_size=5))
    n = sum(seg_lens)
    segments = np.repeat(np.arange(len(seg_lens)), seg_lens)
    # trading days advance inside and across segments (a day may span a roll or not)
    day_steps = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    day_idx = np.cumsum(day_steps)
    days = [dt.date(2025, 3, 3) + dt.timedelta(days=int(d)) for d in day_idx]
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    mid = 70000 + 10 * np.cumsum(rng.integers(-2, 3, n))
    bid = np.where(rng.random(n) < 0.2, np.nan, mid - 5.0)
    ask = np.where(rng.random(n) < 0.2, np.nan, mid + 5.0)
    contracts = [CONTRACTS[s % 3] for s in segments]
    target = rng.integers(-3, 4, n)
    cfg = BacktestConfig(flatten_daily=draw(st.booleans()), flatten_at_end=draw(st.booleans()))
    ticks = make_ticks(bid, ask, days=days, contracts=contracts, segments=segments.tolist())
    return ticks, target, cfg


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_no_position_across_segments_and_books_balance(hand_book: ContractBook, sc: tuple) -> None:
    ticks, target, cfg = sc
    r = run_backtest(ticks, target, book=hand_book, config=cfg)
    pos = r.equity["position"].to_numpy()
    seg = ticks["segment_id"].to_numpy()
    seg_last = np.append(seg[1:] != seg[:-1], False)
    seg_first = np.insert(seg[1:] != seg[:-1], 0, True)
    assert (pos[seg_last] == 0).all(), "position carried across a roll"
    assert (pos[seg_first] == 0).all(), "filled at a segment's first tick (order from the previous one)"
    if cfg.flatten_daily:
        days = ticks["trading_day"].to_numpy()
        assert (pos[np.append(days[1:] != days[:-1], False)] == 0).all()
    if cfg.flatten_at_end:
        assert pos[-1] == 0
    tr = r.trades
    # every fill trades the contract of its own tick, and never before the first decision
    assert (
        tr["contract"].astype(str).to_numpy() == ticks["underlying_contract"].to_numpy()[tr["tick"]]
    ).all()
    assert (tr["tick"] >= 1).all()
    # the position path is the running sum of fills
    signed = np.zeros(len(pos), dtype=np.int64)
    np.add.at(signed, tr["tick"].to_numpy(), np.where(tr["side"] == "buy", 1, -1) * tr["qty"].to_numpy())
    assert (np.cumsum(signed) == pos).all()
    # non-forced fills happen at the opposite best of their own tick
    normal = tr[~tr["forced"]]
    side_px = np.where(
        normal["side"] == "buy",
        ticks["ask_price1"].to_numpy()[normal["tick"]],
        ticks["bid_price1"].to_numpy()[normal["tick"]],
    )
    assert np.allclose(normal["price"].to_numpy(), side_px)
    # flat ticks: equity equals the running sum of cash flows
    cash = np.cumsum(np.bincount(tr["tick"], weights=tr["cash_flow"], minlength=len(pos)))
    flat = pos == 0
    assert np.allclose(r.equity["equity"].to_numpy()[flat], cash[flat], atol=1e-6)
    assert abs(r.metrics["total_pnl"] - r.metrics["fees"] - r.metrics["net_pnl"]) < 1e-6
