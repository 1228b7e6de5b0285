"""Fill rules and accounting on hand-computed cases (SPEC §5 tier 1)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ghtrader.backtest import BacktestConfig, run_backtest
from ghtrader.market.contracts import ContractBook

from .conftest import D1, D2, MakeTicks

NAN = float("nan")
NO_FLATTEN = BacktestConfig(flatten_daily=False, flatten_at_end=False)


def test_cu_round_trip_same_day_pays_close_today(ticks_factory: MakeTicks, hand_book: ContractBook) -> None:
    ticks = ticks_factory(bid=[70000, 70010, 70050, 70040, 70040], ask=[70010, 70020, 70060, 70050, 70050])
    r = run_backtest(ticks, np.array([1, 1, 0, 0, 0]), book=hand_book)
    tr = r.trades
    assert list(tr["side"]) == ["buy", "sell"]
    assert list(tr["tick"]) == [1, 3]  # decided at 0 and 2, filled one tick later
    assert list(tr["price"]) == [70020.0, 70040.0]  # ask of tick 1, bid of tick 3
    assert list(tr["action"]) == ["open", "close_today"]
    open_fee, close_fee = 0.00005 * 70020 * 5, 0.0001 * 70040 * 5  # 17.505, 35.02
    assert tr["fee"].tolist() == pytest.approx([open_fee, close_fee])
    m = r.metrics
    assert m["total_pnl"] == pytest.approx((70040 - 70020) * 5)  # 100 CNY gross
    assert m["fees"] == pytest.approx(open_fee + close_fee)
    assert m["net_pnl"] == pytest.approx(100 - 17.505 - 35.02)
    # marked at mid while held: tick 1 mid 70015, tick 2 mid 70055
    assert r.equity["equity"].tolist() == pytest.approx(
        [0, (70015 - 70020) * 5 - open_fee, (70055 - 70020) * 5 - open_fee, 47.475, 47.475]
    )
    assert r.equity["position"].tolist() == [0, 1, 1, 0, 0]
    assert m["round_trips"] == 1 and m["win_rate"] == 1.0 and m["avg_holding_ticks"] == 2.0
    assert m["turnover_lots"] == 2 and m["turnover_notional"] == pytest.approx((70020 + 70040) * 5)


def test_cu_held_overnight_pays_close(ticks_factory: MakeTicks, hand_book: ContractBook) -> None:
    ticks = ticks_factory(bid=[70000] * 4, ask=[70010] * 4, days=[D1, D1, D2, D2])
    r = run_backtest(ticks, np.array([1, 1, 0, 0]), book=hand_book, config=NO_FLATTEN)
    assert list(r.trades["action"]) == ["open", "close"]
    assert r.trades["fee"].tolist() == pytest.approx([0.00005 * 70010 * 5, 0.00005 * 70000 * 5])


def test_au_per_lot_fees(ticks_factory: MakeTicks, hand_book: ContractBook) -> None:
    au = ["SHFE.au2506"] * 6
    days = [D1, D1, D1, D1, D2, D2]
    bid, ask = (
        [450.00, 450.00, 450.10, 450.10, 450.20, 450.20],
        [450.02, 450.02, 450.12, 450.12, 450.22, 450.22],
    )
    # open 2 lots, close 1 the same day (close_today, 0 CNY), close the other the next day (10 CNY/lot)
    r = run_backtest(
        ticks_factory(bid, ask, days=days, contracts=au),
        np.array([2, 2, 1, 1, 0, 0]),
        book=hand_book,
        config=NO_FLATTEN,
    )
    tr = r.trades
    assert list(tr["action"]) == ["open", "close_today", "close"]
    assert list(tr["qty"]) == [2, 1, 1]
    assert tr["fee"].tolist() == pytest.approx([20.0, 0.0, 10.0])
    gross = (450.10 - 450.02) * 1000 + (450.20 - 450.02) * 1000  # multiplier 1000 g/lot
    assert r.metrics["net_pnl"] == pytest.approx(gross - 30.0)


def test_fees_come_from_the_contract_data(ticks_factory: MakeTicks, book: ContractBook) -> None:
    ticks = ticks_factory(bid=[70000] * 4, ask=[70010] * 4)
    r = run_backtest(ticks, np.array([1, 0, 0, 0]), book=book)
    spec = book.get("SHFE.cu2505")
    expected = [
        spec.fees.fee(70010, 1, spec.volume_multiple, "open"),
        spec.fees.fee(70000, 1, spec.volume_multiple, "close_today"),
    ]
    assert r.trades["fee"].tolist() == pytest.approx(expected)


def test_no_fill_while_side_missing_then_retry(ticks_factory: MakeTicks, hand_book: ContractBook) -> None:
    ticks = ticks_factory(bid=[70000, 70000, 70000, 70000, 70000], ask=[70010, NAN, NAN, 70030, 70040])
    r = run_backtest(ticks, np.array([1, 1, 1, 1, 1]), book=hand_book, config=NO_FLATTEN)
    assert list(r.trades["tick"]) == [3] and list(r.trades["price"]) == [70030.0]
    assert r.equity["position"].tolist() == [0, 0, 0, 1, 1]


def test_retry_goes_to_the_latest_target(ticks_factory: MakeTicks, hand_book: ContractBook) -> None:
    ticks = ticks_factory(bid=[70000, NAN, 70000, 70000], ask=[70010, 70010, 70010, 70010])
    # long at tick 1 (ask present), then the sell to -1 waits for a bid
    r = run_backtest(ticks, np.array([1, -1, -1, -1]), book=hand_book, config=NO_FLATTEN)
    assert list(r.trades["tick"]) == [1, 2, 2]
    assert list(r.trades["action"]) == ["open", "close_today", "open"]
    assert r.equity["position"].tolist() == [0, 1, -1, -1]


def test_flatten_before_roll(ticks_factory: MakeTicks, hand_book: ContractBook) -> None:
    contracts = ["SHFE.cu2504"] * 4 + ["SHFE.cu2505"] * 4
    ticks = ticks_factory(
        bid=[70000, 70010, 70020, 70030, 71000, 71010, 71020, 71030],
        ask=[70010, 70020, 70030, 70040, 71010, 71020, 71030, 71040],
        contracts=contracts,
        segments=[0] * 4 + [1] * 4,
    )
    r = run_backtest(ticks, np.ones(8, dtype=np.int64), book=hand_book, config=NO_FLATTEN)
    tr = r.trades
    assert list(tr["tick"]) == [1, 3, 5]  # open, flatten at the segment's last tick, re-open in seg 1
    assert list(tr["contract"]) == ["SHFE.cu2504", "SHFE.cu2504", "SHFE.cu2505"]
    assert list(tr["price"]) == [70020.0, 70030.0, 71020.0]
    assert not tr["forced"].any()
    assert r.equity["position"].tolist() == [0, 1, 1, 0, 0, 1, 1, 1]


def test_flatten_at_day_end_only_when_configured(ticks_factory: MakeTicks, hand_book: ContractBook) -> None:
    ticks = ticks_factory(bid=[70000] * 6, ask=[70010] * 6, days=[D1] * 3 + [D2] * 3)
    target = np.ones(6, dtype=np.int64)
    daily = run_backtest(ticks, target, book=hand_book, config=BacktestConfig(flatten_at_end=False))
    assert daily.equity["position"].tolist() == [0, 1, 0, 0, 1, 1]
    carry = run_backtest(ticks, target, book=hand_book, config=NO_FLATTEN)
    assert carry.equity["position"].tolist() == [0, 1, 1, 1, 1, 1]


def test_forced_flatten_at_stale_price_when_side_missing(
    ticks_factory: MakeTicks, hand_book: ContractBook
) -> None:
    ticks = ticks_factory(bid=[70000, 70010, 70020, NAN], ask=[70010, 70020, 70030, 70040])
    r = run_backtest(ticks, np.array([1, 1, 1, 1]), book=hand_book)
    last = r.trades.iloc[-1]
    assert (last["tick"], last["price"], last["side"], bool(last["forced"])) == (3, 70020.0, "sell", True)
    assert r.equity["position"].iloc[-1] == 0 and r.metrics["forced_fills"] == 1


def test_reversal_splits_into_close_and_open(ticks_factory: MakeTicks, hand_book: ContractBook) -> None:
    ticks = ticks_factory(bid=[70000] * 5, ask=[70010] * 5)
    r = run_backtest(ticks, np.array([2, -1, -1, -1, -1]), book=hand_book, config=NO_FLATTEN)
    tr = r.trades
    assert list(zip(tr["side"], tr["qty"], tr["action"], strict=True)) == [
        ("buy", 2, "open"),
        ("sell", 2, "close_today"),
        ("sell", 1, "open"),
    ]
    assert r.metrics["round_trips"] == 1  # the long episode closed; the short is still open


def test_pnl_decomposition(ticks_factory: MakeTicks, hand_book: ContractBook) -> None:
    rng = np.random.default_rng(7)
    mid = 70000 + 10 * np.cumsum(rng.integers(-1, 2, 400))
    ticks = ticks_factory(bid=mid - 5, ask=mid + 5, days=[D1] * 200 + [D2] * 200)
    r = run_backtest(ticks, rng.integers(-2, 3, 400), book=hand_book, config=NO_FLATTEN)
    final_pos = r.equity["position"].iloc[-1]
    assert final_pos != 0
    mtm = final_pos * mid[-1] * 5
    assert r.trades["cash_flow"].sum() + mtm == pytest.approx(r.equity["equity"].iloc[-1], abs=1e-6)
    signed = np.where(r.trades["side"] == "buy", 1, -1) * r.trades["qty"]
    assert int(signed.sum()) == final_pos


def test_rejects_unsorted_or_misaligned(ticks_factory: MakeTicks, hand_book: ContractBook) -> None:
    ticks = ticks_factory(bid=[1, 2, 3], ask=[2, 3, 4])
    with pytest.raises(ValueError, match="rows"):
        run_backtest(ticks, np.zeros(2), book=hand_book)
    with pytest.raises(ValueError, match="sorted"):
        run_backtest(ticks.iloc[::-1], np.zeros(3), book=hand_book)


def test_empty_and_flat(ticks_factory: MakeTicks, hand_book: ContractBook) -> None:
    r = run_backtest(ticks_factory(bid=[70000] * 3, ask=[70010] * 3), np.zeros(3), book=hand_book)
    m = r.metrics
    assert (m["net_pnl"], m["trade_count"], m["win_rate"], m["sharpe"]) == (0.0, 0, None, None)
    assert math.isfinite(m["max_drawdown"])
