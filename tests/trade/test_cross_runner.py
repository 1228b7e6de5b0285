"""The trade runner with cross-contract factors (role ``next``): the live feed adapter resolves the next
contract by the research rule and interleaves its quotes, so online == batch; a replay of a champion
trained on a cross set fills exactly like ``backtest --champion``; roles it cannot feed are refused."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ghtrader.backtest.champion import backtest_model, load_main_ticks, warm_state
from ghtrader.features.aux import range_aux
from ghtrader.features.build import build_features, per_row_spec
from ghtrader.features.engine import FactorState, OnlineFactorEngine, compute_matrix, tick_inputs
from ghtrader.features.sets import feature_set
from ghtrader.labels.core import LabelConfig
from ghtrader.market.clock import SessionClock
from ghtrader.market.contracts import ContractBook
from ghtrader.market.sessions import variety_sessions
from ghtrader.schema import to_pandas
from ghtrader.store.lake import ParquetLake
from ghtrader.testing.champion import make_champion, train_model
from ghtrader.trade.account import AuxTick, MarketTick
from ghtrader.trade.champion import Expected, load_champion
from ghtrader.trade.eventlog import EVENTS_NAME, read_records
from ghtrader.trade.feed import TickAdapter
from ghtrader.trade.replay import replay, replay_ticks
from ghtrader.trade.risk import RiskLimits
from ghtrader.trade.runner import TradeRunner

MAIN = "KQ.m@SHFE.cu"
# full_x's cross block on the core kernel (the extended block is not what is under test and compiles slowly)
LIGHT = dataclasses.replace(feature_set("full_x"), extended=False, x_tick_windows=(), time_windows_s=())
# the research backtest has no risk limits: wide ones, so only the session rule refuses anything
WIDE = RiskLimits(5, 10, 10**6, 10**9, 10**6, 10**6, 1e12, 1e12)
D0, D1 = dt.date(2025, 3, 17), dt.date(2025, 3, 18)  # the sim roll cu2504 -> cu2505 is on D1


@pytest.fixture(scope="module")
def xlake(sim_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A private copy of the sim lake (all but its features) with LIGHT features, and a
    champion trained on them."""
    root = tmp_path_factory.mktemp("xrunner")
    shutil.copytree(sim_data_dir / "lake_v2", root / "lake_v2", ignore=shutil.ignore_patterns("features"))
    lake = ParquetLake(root / "lake_v2", durable=False)
    from ghtrader.market.calendar import TradingCalendar

    book = ContractBook.load(TradingCalendar.bundled())
    build_features(lake, MAIN, book=book, config=LIGHT)
    runs = root / "runs"
    make_champion(runs, train_model(root, runs, model="lgbm"))
    return SimpleNamespace(lake=lake, book=book, runs=runs, expected=Expected(LIGHT, LabelConfig()))


def _feed_batches(lake: ParquetLake, days: list[dt.date], rows_per_batch: int = 700) -> list[pd.DataFrame]:
    """Every cu contract's stored ticks of ``days`` in time order, cut into poll-sized batches."""
    frames = [
        to_pandas(lake.read_day("ticks", sym, d)).assign(symbol=sym)
        for d in days
        for sym in lake.symbols("ticks")
        if lake.has_partition("ticks", sym, d)
    ]
    allt = pd.concat(frames, ignore_index=True).sort_values(["datetime_ns", "symbol"], kind="stable")
    return [allt.iloc[i : i + rows_per_batch] for i in range(0, len(allt), rows_per_batch)]


def test_live_adapter_online_equals_batch(xlake: SimpleNamespace) -> None:
    """Feed-order batches of all contracts -> TickAdapter -> the engine == batch features with range_aux."""
    lake, book = xlake.lake, xlake.book
    schedule = {d.isoformat(): str(to_pandas(lake.read_day("main_l5", MAIN, d))["underlying_contract"][0])
                for d in (D0, D1)}  # fmt: skip
    clock = SessionClock(book.calendar, variety_sessions("cu"))
    adapter = TickAdapter("cu", book, clock, schedule, 30.0, roles=("next",))
    eng = OnlineFactorEngine(LIGHT, price_tick=10.0, volume_multiple=5.0)
    online, n_aux, nexts = [], 0, set()
    for batch in _feed_batches(lake, [D0, D1]):
        for ev in adapter.convert(batch):
            if isinstance(ev, AuxTick):
                eng.update_aux(ev.role, ev.datetime_ns, ev.mid, ev.segment)
                n_aux += 1
            else:
                assert isinstance(ev, MarketTick)
                online.append(eng.update_values(ev.x, ev.datetime_ns, ev.day_key, ev.segment))
        nexts.add(adapter.next)
    assert {
        "SHFE.cu2505",
        "SHFE.cu2506",
    } <= nexts and n_aux > 10_000  # the next contract rolled with the main
    ticks = load_main_ticks(lake, MAIN, D0, D1)
    pt, vm = per_row_spec(ticks, book)
    want = compute_matrix(
        *tick_inputs(ticks, pt, vm),
        LIGHT,
        FactorState.fresh(LIGHT),
        range_aux(lake, book, MAIN, [D0, D1], ("next",)),
    )
    got = np.vstack(online)
    assert got.shape == want.shape
    assert np.array_equal(got, want, equal_nan=True)  # bit for bit, cross columns included
    assert np.isfinite(want[:, -9:]).mean() > 0.9


def test_replay_of_cross_champion_equals_backtest(xlake: SimpleNamespace, tmp_path: Path) -> None:
    """The roll day (the state stored at the end of cu2504's last day, then cu2505 and its next, cu2506)."""
    lake, book, expected = xlake.lake, xlake.book, xlake.expected
    champion = load_champion(xlake.runs, "cu", expected)
    summary = replay(
        lake, var="cu", symbol=MAIN, start=D1, end=D1, mode="sim", champion=champion, expected=expected,
        book=book, runs_dir=tmp_path, run_id="xr", limits=WIDE,
    )  # fmt: skip
    assert not [k for k in summary["risk_events"] if "session" not in k]
    assert summary["aux_ticks"] > 10_000
    records = read_records(tmp_path / "trading" / "xr" / EVENTS_NAME)
    ticks = load_main_ticks(lake, MAIN, D1, D1)
    state = warm_state(lake, MAIN, D1, LIGHT)
    bt = backtest_model(
        ticks, champion.model, champion.meta, features=LIGHT, state=state, book=book,
        aux=range_aux(lake, book, MAIN, [D1], ("next",)),
    )  # fmt: skip
    decisions = [r for r in records if r["kind"] == "decision"]
    assert len(decisions) == len(ticks)
    assert np.array_equal(np.array([r["p"] for r in decisions]), bt.proba)  # bit for bit
    fills = [(r["ts"], f["qty"], f["price"]) for r in records if r["kind"] == "fill" for f in r["fills"]]
    trades = bt.result.trades
    assert len(trades) >= 100
    assert fills == list(
        zip(trades["datetime_ns"].tolist(), trades["qty"].tolist(), trades["price"].tolist(), strict=True)
    )
    assert summary["net_pnl"] == bt.result.metrics["net_pnl"]
    # the cross factors feed the model: without the aux stream the probabilities differ
    blind = backtest_model(
        ticks, champion.model, champion.meta, features=LIGHT, state=state, book=book,
        aux={"next": (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))},
    )  # fmt: skip
    assert not np.array_equal(blind.proba, bt.proba)


def test_roles_the_runner_cannot_feed_are_refused(xlake: SimpleNamespace, tmp_path: Path) -> None:
    book = xlake.book
    clock = SessionClock(book.calendar, variety_sessions("au"))
    with pytest.raises(ValueError, match="no aux stream for cross role"):
        TickAdapter("au", book, clock, {}, 30.0, roles=("next", "pair"))
    champion = load_champion(xlake.runs, "cu", xlake.expected)
    with pytest.raises(ValueError, match=r"cannot feed cross role\(s\) pair \(only 'next'\)"):
        TradeRunner(None, None, Expected(feature_set("full_xp"), LabelConfig()), None, None, None, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pass the aux stream"):
        replay_ticks(
            load_main_ticks(xlake.lake, MAIN, D0, D0), FactorState.fresh(LIGHT), var="cu", symbol=MAIN,
            mode="paper", champion=champion, expected=xlake.expected, book=book, run_dir=tmp_path / "r",
            run_id="r",
        )  # fmt: skip
