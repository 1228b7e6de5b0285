"""Tier-2 engine: latency, queue models, order types, fees, flattening and the listed data traps."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghtrader.backtest.tier2.engine import MarketMaker, Tier2Config, run_tier2
from ghtrader.backtest.tier2.queue import LOG, POWER, RISK_AVERSE, on_depth
from ghtrader.backtest.tier2.snapshots import prepare
from ghtrader.market.contracts import ContractBook
from ghtrader.testing.books import Snap, snapshot_frame

FAST = dict(md_latency_ms=0.0, entry_latency_ms=1.0, response_latency_ms=0.0)


def passive(model: str, **kw: object) -> Tier2Config:
    return Tier2Config(**FAST, queue_model=model, order_type="limit", passive=True, **kw)  # type: ignore[arg-type]


def test_trades_before_depth_are_not_counted_twice() -> None:
    """A depth drop fully explained by the interval's trades is no cancel (cum is subtracted)."""
    for model in (POWER, LOG):
        assert on_depth(model, 2.0, 4.0, 6.0, 20.0, 14.0) == pytest.approx(4.0)
        assert on_depth(model, 2.0, 4.0, 0.0, 20.0, 14.0) < 4.0  # read as cancels it would advance us
    assert on_depth(RISK_AVERSE, 2.0, 10.0, 0.0, 20.0, 10.0) == 10.0  # cancels never advance us
    assert on_depth(POWER, 2.0, 10.0, 0.0, 20.0, 10.0) == pytest.approx(5.0)  # half of them ahead


def _queue_scenario() -> list[Snap]:
    """Join a 10-lot bid; 10 more join behind; 10 cancel; then 6 lots trade at our price."""
    return [
        Snap(100, 110, bids=(10, 10, 10, 10, 10)),
        Snap(100, 110, bids=(10, 10, 10, 10, 10)),  # our buy arrives: front = 10
        Snap(100, 110, bids=(20, 10, 10, 10, 10)),
        Snap(100, 110, bids=(10, 10, 10, 10, 10)),  # 10 cancelled: ahead of us or behind?
        Snap(100, 110, bids=(4, 10, 10, 10, 10), volume=6, last=100),
        Snap(100, 110, bids=(4, 10, 10, 10, 10), volume=6, last=100),
    ]


@pytest.mark.parametrize(("model", "filled"), [("risk_averse", 0), ("power", 1), ("log", 1)])
def test_queue_models_differ_on_cancels(hand_book: ContractBook, model: str, filled: int) -> None:
    frame = snapshot_frame(_queue_scenario())
    target = np.array([1, 1, 1, 1, 1, 1])
    res = run_tier2(frame, book=hand_book, target=target, config=passive(model))
    maker = res.fills[res.fills["maker"]]
    assert maker["qty"].sum() == filled
    if filled:
        assert maker["price"].iloc[0] == 100.0 and maker["queue_wait_s"].iloc[0] > 0


def test_level_beyond_visible_depth_is_unknown_not_empty(hand_book: ContractBook) -> None:
    """Price runs away (our bid falls below level 5) and comes back: the queue ahead is kept."""
    snaps = [Snap(100, 110), Snap(100, 110)]
    snaps += [Snap(160, 170), Snap(160, 170)]  # bid5 = 1200 > our 1000: not visible
    snaps += [Snap(100, 110), Snap(100, 110, volume=3, last=100), Snap(100, 110, volume=3, last=100)]
    res = run_tier2(
        snapshot_frame(snaps),
        book=hand_book,
        target=np.ones(len(snaps)),
        config=passive("risk_averse", requote=False),
    )
    assert res.fills["maker"].sum() == 0  # 10 ahead, 3 traded: still waiting


def test_latency_decides_which_book_an_order_meets(hand_book: ContractBook) -> None:
    snaps = [Snap(100, 110), Snap(110, 120), Snap(120, 130), Snap(120, 130)]
    target = np.array([1, 1, 1, 1])
    fast = run_tier2(snapshot_frame(snaps), book=hand_book, target=target, config=Tier2Config(**FAST))
    slow_cfg = Tier2Config(md_latency_ms=0.0, entry_latency_ms=700.0, response_latency_ms=0.0)
    slow = run_tier2(snapshot_frame(snaps), book=hand_book, target=target, config=slow_cfg)
    assert fast.fills["price"].iloc[0] == 110.0  # the book of the decision snapshot, never earlier
    assert slow.fills[~slow.fills["forced"]].empty  # FAK at 110 meets the next book (ask 120): expires
    assert slow.metrics["orders_sent"] >= 1 and slow.metrics["fill_ratio"] == 0
    loose = run_tier2(snapshot_frame(snaps), book=hand_book, target=target,
                      config=Tier2Config(md_latency_ms=0.0, entry_latency_ms=700.0, price_offset_ticks=2))  # fmt: skip
    assert loose.fills["price"].iloc[0] == 120.0


@pytest.mark.parametrize(("order_type", "lots"), [("fak", 2), ("fok", 0), ("limit", 5)])
def test_fak_fok_limit_with_thin_opposite_side(hand_book: ContractBook, order_type: str, lots: int) -> None:
    snaps = [Snap(100, 110, asks=(2, 10, 10, 10, 10))] * 2 + [
        Snap(100, 110, asks=(2, 10, 10, 10, 10), volume=5, last=110)
    ]
    snaps += [Snap(100, 110, asks=(2, 10, 10, 10, 10), volume=5, last=110)]
    cfg = Tier2Config(**FAST, order_type=order_type)  # type: ignore[arg-type]
    res = run_tier2(snapshot_frame(snaps), book=hand_book, target=np.full(len(snaps), 5), config=cfg)
    first = res.fills[~res.fills["forced"] & (res.fills["order"] == 1)]
    assert first["qty"].sum() == lots
    if order_type == "fak":
        assert not first["maker"].any()
    if order_type == "limit":  # 2 taken, 3 rest at 110 with nobody ahead: the ask at 110 fills them
        assert first["maker"].tolist() == [False, True] and first["qty"].tolist() == [2, 3]


def test_fees_close_today_and_flatten_at_block_end(hand_book: ContractBook) -> None:
    snaps = [Snap(100, 110)] * 3 + [Snap(120, 130, day=dt.date(2025, 3, 4))] * 3
    frame = snapshot_frame(snaps)
    res = run_tier2(frame, book=hand_book, target=np.ones(6), config=Tier2Config(**FAST))
    f = res.fills
    assert list(f["action"]) == ["open", "close_today", "open", "close_today"]
    assert f["forced"].tolist() == [False, True, False, True]  # flattened at each trading-day end
    opened = f[f["action"] == "open"]
    closed = f[f["action"] == "close_today"]
    assert np.allclose(opened["fee"], 0.00005 * opened["price"] * 5)
    assert np.allclose(closed["fee"], 0.0001 * closed["price"] * 5)
    assert res.equity["position"].iloc[[2, 5]].tolist() == [0, 0]
    gross = (100 - 110) * 5 + (120 - 130) * 5
    assert res.metrics["net_pnl"] == pytest.approx(gross - f["fee"].sum())


def test_snapshot_traps_double_count_auction_and_night(hand_book: ContractBook) -> None:
    fri, mon = dt.date(2019, 3, 1), dt.date(2019, 3, 4)
    cst = 8 * 3600 * 10**9
    day_ns = lambda d, h, m: int(np.datetime64(d, "ns").astype(np.int64)) + (h * 3600 + m * 60) * 10**9 - cst  # noqa: E731
    snaps = [
        Snap(100, 110, volume=500, day=fri, ts=day_ns(fri, 14, 58)),
        Snap(100, 110, volume=512, day=fri, ts=day_ns(fri, 14, 59)),  # 12 reported = 6 lots (2019)
        Snap(100, 110, volume=300, day=mon, ts=day_ns(fri, 21, 0)),  # Friday night = Monday: auction
        Snap(100, 110, volume=310, day=mon, ts=day_ns(fri, 23, 59)),
        Snap(100, 110, volume=320, day=mon, ts=day_ns(mon, 0, 1)),  # midnight is no block end
        Snap(100, 110, volume=330, day=mon, ts=day_ns(mon, 9, 0)),  # night -> day: same trading day
    ]
    snap = prepare(snapshot_frame(snaps, symbol="SHFE.cu1905"), hand_book)
    assert snap.trade_qty.tolist() == [0, 6, 0, 5, 5, 5]
    assert snap.block_last.tolist() == [False, True, False, False, False, True]
    modern = snapshot_frame([Snap(100, 110, volume=0), Snap(100, 110, volume=12)], symbol="SHFE.cu2505")
    assert prepare(modern, hand_book).trade_qty.tolist() == [0, 12]


def test_market_maker_on_sim_day(hand_book: ContractBook, sim_main_day) -> None:  # type: ignore[no-untyped-def]
    res = run_tier2(sim_main_day, book=hand_book, maker=MarketMaker(size=1, max_pos=2))
    m = res.metrics
    assert m["fills"] > 0 and 0 < m["fill_ratio"] <= 1 and m["maker_share"] > 0.9
    assert res.equity["position"].abs().max() <= 2 + 1  # max_pos plus one in-flight order
    assert res.equity["position"].iloc[-1] == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    moves=st.lists(st.integers(-1, 1), min_size=4, max_size=40),
    targets=st.lists(st.integers(-2, 2), min_size=40, max_size=40),
    model=st.sampled_from(["risk_averse", "power", "log"]),
    order_type=st.sampled_from(["fak", "fok", "limit"]),
)
def test_flat_at_every_block_end_and_position_is_sum_of_fills(
    hand_book, moves, targets, model, order_type
) -> None:  # type: ignore[no-untyped-def]
    px = 100 + np.cumsum(moves)
    n = len(px)
    snaps = [
        Snap(
            int(p),
            int(p) + 1,
            volume=3 * i,
            last=int(p) + (i % 2),
            segment=i // 15,
            bids=(3, 5, 5, 5, 5),
            asks=(3, 5, 5, 5, 5),
        )
        for i, p in enumerate(px)
    ]
    snap = prepare(snapshot_frame(snaps), hand_book)
    cfg = Tier2Config(
        md_latency_ms=0.0,
        entry_latency_ms=300.0,
        response_latency_ms=100.0,
        queue_model=model,
        order_type=order_type,
    )
    res = run_tier2(snap, book=hand_book, target=np.array(targets[:n]), config=cfg)
    pos = res.equity["position"].to_numpy()
    assert (pos[snap.block_last] == 0).all()
    f = res.fills
    signed = np.zeros(n)
    np.add.at(signed, f["tick"].to_numpy(), (f["side"] * f["qty"]).to_numpy())
    assert np.allclose(np.cumsum(signed), pos)
    assert np.isfinite(res.equity["equity"]).all()


def test_promotion_gate_on_tier2_net_pnl() -> None:
    from ghtrader.promotion.gates import PromotionGates, gate_checks

    gates = PromotionGates(min_f1_margin=None, max_log_loss=None, min_net_pnl=None, max_drawdown_pct=None,
                           max_latency_us_per_row=None, champion_epsilon=None, min_tier2_net_pnl=0.0)  # fmt: skip
    ok = gate_checks({"metrics": {"backtest_tier2": {"net_pnl": 5.0}}}, None, gates)
    bad = gate_checks({"metrics": {"backtest_tier2": {"net_pnl": -5.0}}}, None, gates)
    missing = gate_checks({"metrics": {}}, None, gates)
    assert [c.passed for c in ok + bad + missing] == [True, False, False]
    assert gate_checks({"metrics": {}}, None, PromotionGates()) == gate_checks(
        {"metrics": {}}, None, PromotionGates()
    )


def test_sampled_latency_is_seeded_and_changes_fills(hand_book: ContractBook, sim_main_day) -> None:  # type: ignore[no-untyped-def]
    mm = MarketMaker(size=1, max_pos=2)
    base = Tier2Config(md_latency_ms=50.0, entry_latency_ms=50.0)
    jit = Tier2Config(md_latency_ms=50.0, entry_latency_ms=50.0, latency_sigma=1.0, seed=7)
    a = run_tier2(sim_main_day, book=hand_book, maker=mm, config=jit).fills
    b = run_tier2(sim_main_day, book=hand_book, maker=mm, config=jit).fills
    c = run_tier2(sim_main_day, book=hand_book, maker=mm, config=base).fills
    assert a.equals(b) and not a.equals(c)


def test_fill_table_grows_inside_the_kernel(hand_book: ContractBook, sim_main_day, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A fill table far too small doubles in the kernel: the same fills as one sized for everything."""
    from ghtrader.backtest.tier2 import engine, kernel

    flips = np.where(np.arange(len(sim_main_day)) % 2 == 0, 1.0, -1.0)  # a fill (2 rows) every other tick
    monkeypatch.setattr(engine, "initial_rows", lambda n: 4 * n)
    roomy = run_tier2(sim_main_day, book=hand_book, target=flips)
    assert len(roomy.raw) > 4 * kernel.HEADROOM  # the smallest table must double at least twice
    monkeypatch.setattr(engine, "initial_rows", lambda n: 0)
    tight = run_tier2(sim_main_day, book=hand_book, target=flips)
    assert np.array_equal(tight.raw, roomy.raw) and tight.metrics == roomy.metrics


def test_result_tables_are_lazy_and_fill_stats_match_them(hand_book: ContractBook, sim_main_day) -> None:  # type: ignore[no-untyped-def]
    res = run_tier2(sim_main_day, book=hand_book, maker=MarketMaker(size=1, max_pos=2), analytics=False)
    assert "fills" not in vars(res) and "equity" not in vars(res)  # nothing built for a timing run
    stats = res.fill_stats()
    f = res.fills[~res.fills["forced"]]
    assert stats["fills"] == f["order"].nunique() > 0 and stats["lots"] == f["qty"].sum()
    assert stats["avg_price"] == pytest.approx(np.average(f["price"], weights=f["qty"]), abs=1e-6)
    assert res.equity["equity"].iloc[-1] == res.metrics["net_pnl"]
