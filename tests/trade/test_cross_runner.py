"""The trade runner with cross-contract factors: the live feed adapter resolves the next contract (and the
partner variety's main) by the research rules and interleaves their quotes, so online == batch; a replay
of a champion trained on a cross set fills exactly like ``backtest --champion``; bad roles are refused."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ghtrader.backtest.champion import backtest_model, load_main_ticks, warm_state
from ghtrader.features.aux import range_aux
from ghtrader.features.build import build_features, per_row_spec
from ghtrader.features.engine import FactorState, OnlineFactorEngine, compute_matrix, tick_inputs
from ghtrader.features.registry import FeatureConfig
from ghtrader.features.sets import feature_set
from ghtrader.labels.core import LabelConfig
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.clock import SessionClock
from ghtrader.market.contracts import ContractBook
from ghtrader.market.sessions import variety_sessions
from ghtrader.schema import to_pandas
from ghtrader.store.lake import ParquetLake
from ghtrader.testing.books import STEP_NS, Snap, snapshot_frame
from ghtrader.testing.champion import make_champion, train_model
from ghtrader.testing.simlake import shared_auag_lake
from ghtrader.trade.account import AuxTick, MarketTick
from ghtrader.trade.champion import Expected, load_champion
from ghtrader.trade.eventlog import EVENTS_NAME, read_records
from ghtrader.trade.feed import TickAdapter, feed_varieties
from ghtrader.trade.replay import replay, replay_ticks
from ghtrader.trade.risk import RiskLimits

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
    book = ContractBook.load(TradingCalendar.bundled())
    build_features(lake, MAIN, book=book, config=LIGHT)
    runs = root / "runs"
    make_champion(runs, train_model(root, runs, model="lgbm"))
    expected = Expected(LIGHT, LabelConfig())
    champion = load_champion(runs, "cu", expected)
    return SimpleNamespace(lake=lake, book=book, runs=runs, expected=expected, champion=champion)


def _feed_batches(lake: ParquetLake, days: list[dt.date], rows_per_batch: int = 700) -> list[pd.DataFrame]:
    """Every contract's stored ticks of ``days`` in time order, cut into poll-sized batches."""
    frames = [
        to_pandas(lake.read_day("ticks", sym, d)).assign(symbol=sym)
        for d in days
        for sym in lake.symbols("ticks")
        if lake.has_partition("ticks", sym, d)
    ]
    allt = pd.concat(frames, ignore_index=True).sort_values(["datetime_ns", "symbol"], kind="stable")
    return [allt.iloc[i : i + rows_per_batch] for i in range(0, len(allt), rows_per_batch)]


def _main_schedule(lake: ParquetLake, symbol: str) -> dict[str, str]:
    return {
        d.isoformat(): str(to_pandas(lake.read_day("main_l5", symbol, d))["underlying_contract"][0])
        for d in lake.days("main_l5", symbol)
    }


def _online(
    adapter: TickAdapter, config: FeatureConfig, batches: list[pd.DataFrame]
) -> tuple[np.ndarray, dict]:
    """The engine fed by the adapter's events: (factor rows of the main ticks, aux events and next contracts)."""
    eng = OnlineFactorEngine(config, price_tick=1.0, volume_multiple=1.0)  # the rows carry their own spec
    rows: list[np.ndarray] = []
    seen: dict = {"nexts": set(), **{r: 0 for r in config.cross}}
    for batch in batches:
        for ev in adapter.convert(batch):
            if isinstance(ev, AuxTick):
                eng.update_aux(ev.role, ev.datetime_ns, ev.mid, ev.segment)
                seen[ev.role] += 1
            else:
                assert isinstance(ev, MarketTick)
                rows.append(eng.update_values(ev.x, ev.datetime_ns, ev.day_key, ev.segment))
        seen["nexts"].add(adapter.next)
    return np.vstack(rows), seen


def _batch(
    lake: ParquetLake, book: ContractBook, symbol: str, config: FeatureConfig, days: list[dt.date]
) -> np.ndarray:
    ticks = load_main_ticks(lake, symbol, days[0], days[-1])
    pt, vm = per_row_spec(ticks, book)
    aux = range_aux(lake, book, symbol, days, config.cross)  # the streams the build resolves
    return compute_matrix(*tick_inputs(ticks, pt, vm), config, FactorState.fresh(config), aux)


def test_live_adapter_online_equals_batch(xlake: SimpleNamespace) -> None:
    """Feed-order batches of all contracts over the roll -> TickAdapter -> the engine == the batch build."""
    lake, book = xlake.lake, xlake.book
    clock = SessionClock(book.calendar, variety_sessions("cu"))
    adapter = TickAdapter("cu", book, clock, _main_schedule(lake, MAIN), 30.0, roles=("next",))
    got, seen = _online(adapter, LIGHT, _feed_batches(lake, [D0, D1]))
    assert {"SHFE.cu2505", "SHFE.cu2506"} <= seen["nexts"] and seen[
        "next"
    ] > 10_000  # next rolled with the main
    want = _batch(lake, book, MAIN, LIGHT, [D0, D1])
    assert np.array_equal(got, want, equal_nan=True)  # bit for bit, cross columns included
    assert np.isfinite(want[:, -9:]).mean() > 0.9


def test_pair_role_from_a_two_variety_feed(
    book: ContractBook, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """au with ``next`` and ``pair`` (ag's main) from one feed of both varieties == the batch build's streams."""
    lake = ParquetLake(shared_auag_lake(tmp_path_factory) / "lake_v2")
    au, ag = "KQ.m@SHFE.au", "KQ.m@SHFE.ag"
    days = lake.days("main_l5", au)[:2]
    config = dataclasses.replace(LIGHT, cross=("next", "pair"))
    clock = SessionClock(book.calendar, variety_sessions("au"))
    adapter = TickAdapter(
        "au",
        book,
        clock,
        _main_schedule(lake, au),
        30.0,
        config.cross,
        partner_schedule=_main_schedule(lake, ag),
    )
    got, seen = _online(adapter, config, _feed_batches(lake, days))
    assert seen["next"] > 5_000 and seen["pair"] > 5_000 and seen["nexts"] == {"SHFE.au2508"}
    want = _batch(lake, book, au, config, days)
    assert np.array_equal(got, want, equal_nan=True)
    assert np.isfinite(want[:, -18:]).mean() > 0.9  # both cross blocks are live


def test_replay_of_cross_champion_equals_backtest(xlake: SimpleNamespace, tmp_path: Path) -> None:
    """The roll day (the state stored at the end of cu2504's last day, then cu2505 and its next, cu2506)."""
    lake, book, expected = xlake.lake, xlake.book, xlake.expected
    champion = load_champion(xlake.runs, "cu", expected)
    summary = replay(
        lake, var="cu", symbol=MAIN, start=D1, end=D1, mode="sim", champion=champion, expected=expected,
        book=book, runs_dir=tmp_path, run_id="xr", limits=WIDE,
    )  # fmt: skip
    assert not [k for k in summary["risk_events"] if "session" not in k]
    assert summary["aux_ticks"]["next"] > 10_000
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


def test_roles_the_feed_cannot_carry_are_refused(xlake: SimpleNamespace, tmp_path: Path) -> None:
    book = xlake.book
    clock = SessionClock(book.calendar, variety_sessions("cu"))
    with pytest.raises(ValueError, match="cross role 'pair' needs a partner variety; cu has none"):
        TickAdapter("cu", book, clock, {}, 30.0, roles=("next", "pair"))
    with pytest.raises(ValueError, match="unknown cross role"):
        TickAdapter("cu", book, clock, {}, 30.0, roles=("spread",))
    assert feed_varieties("au", ("next", "pair")) == ("au", "ag") and feed_varieties("cu", ("next",)) == (
        "cu",
    )
    champion = load_champion(xlake.runs, "cu", xlake.expected)
    with pytest.raises(ValueError, match="pass the aux stream"):
        replay_ticks(
            load_main_ticks(xlake.lake, MAIN, D0, D0), FactorState.fresh(LIGHT), var="cu", symbol=MAIN,
            mode="paper", champion=champion, expected=xlake.expected, book=book, run_dir=tmp_path / "r",
            run_id="r",
        )  # fmt: skip


class _ListFeed:
    """A finite feed of prepared batches that asks the daemon to stop once they are delivered."""

    def __init__(self, daemon: Any, batches: list[pd.DataFrame]) -> None:
        self.daemon, self.batches = daemon, batches

    def open(self) -> None: ...

    def close(self) -> None: ...

    def __iter__(self) -> Iterator[pd.DataFrame]:
        yield from self.batches
        self.daemon.request_stop("feed done")


def _daemon_vs_research(
    lake: ParquetLake,
    book: ContractBook,
    var: str,
    expected: Expected,
    runs: Path,
    day: dt.date,
    tmp_path: Path,
) -> dict[str, Any]:
    """``run_trade`` on 25 feed batches of ``day`` (every contract in the lake); every decision's
    probabilities must equal research's (``backtest_model`` from a fresh state with the stored aux
    streams of the set's roles). Returns the runner status of the final heartbeat."""
    from ghtrader.trade.service import TradeOptions, run_trade

    symbol = f"KQ.m@SHFE.{var}"
    roles = expected.features.cross
    batches = _feed_batches(lake, [day])[:25]
    opts = TradeOptions(
        mode="paper", var=var, symbol=symbol, source="sim", runs_dir=runs, data_dir=tmp_path,
        run_dir=tmp_path / "daemons", run_id=f"d-{var}", port=0,
    )  # fmt: skip
    partner = feed_varieties(var, roles)[1:]
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1)}
    try:
        code = run_trade(
            opts, expected=expected, calendar=book.calendar, book=book, gate=None,
            feed_factory=lambda d: _ListFeed(d, batches), schedule=_main_schedule(lake, symbol),
            partner_schedule=_main_schedule(lake, f"KQ.m@SHFE.{partner[0]}") if partner else None,
        )  # fmt: skip
    finally:
        for s, h in saved.items():
            signal.signal(s, h)
    assert code == 0
    decisions = [
        r for r in read_records(runs / "trading" / opts.run_id / EVENTS_NAME) if r["kind"] == "decision"
    ]
    rows = pd.concat(batches)
    assert len(decisions) == (rows["symbol"] == _main_schedule(lake, symbol)[day.isoformat()]).sum() > 3_000
    champion = load_champion(runs, var, expected)
    ticks = load_main_ticks(lake, symbol, day, day).iloc[: len(decisions)]
    bt = backtest_model(
        ticks, champion.model, champion.meta, features=expected.features, state=FactorState.fresh(expected.features),
        book=book, aux=range_aux(lake, book, symbol, [day], roles),
    )  # fmt: skip
    assert np.array_equal(np.array([r["p"] for r in decisions]), bt.proba)
    beat = json.loads((opts.run_dir / "trade-runner.heartbeat.json").read_text())  # the final one
    assert beat["state"] == "stopped" and beat["status"]["ticks"] == len(decisions)
    return beat["status"]


def test_daemon_main_loop_serves_a_cross_set_like_research(xlake: SimpleNamespace, tmp_path: Path) -> None:
    """``run_trade`` (the daemon's loop, adapter, runner, timer) on a feed of all cu contracts serves the
    ``next`` champion exactly like research."""
    status = _daemon_vs_research(xlake.lake, xlake.book, "cu", xlake.expected, xlake.runs, D0, tmp_path)
    assert status["aux_ticks"]["next"] > 5_000 and 0 <= status["aux_age_s"]["next"] < 5


def test_daemon_main_loop_serves_the_pair_role_like_research(
    book: ContractBook, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """au with ``next`` + ``pair`` from one feed of au and ag: a champion trained on that set, served by
    the daemon's loop, decides exactly like research."""
    root = tmp_path_factory.mktemp("xpair")
    src = shared_auag_lake(tmp_path_factory) / "lake_v2"
    shutil.copytree(src, root / "lake_v2", ignore=shutil.ignore_patterns("features"))
    lake = ParquetLake(root / "lake_v2", durable=False)
    config = dataclasses.replace(LIGHT, cross=("next", "pair"))
    build_features(lake, "KQ.m@SHFE.au", book=book, config=config)
    runs = root / "runs"
    make_champion(runs, train_model(root, runs, model="lgbm", var="au"), var="au")
    expected = Expected(config, LabelConfig())
    status = _daemon_vs_research(
        lake, book, "au", expected, runs, lake.days("main_l5", "KQ.m@SHFE.au")[-1], tmp_path
    )
    assert status["aux_ticks"]["pair"] > 3_000 and status["aux_ticks"]["next"] > 1_000


def test_main_resolver_without_a_schedule() -> None:
    """No lake schedule: the variety's largest open interest in the day's first batch with its rows."""
    from ghtrader.trade.feed import MainResolver

    def batch(rows: list[tuple[str, int, float]]) -> pd.DataFrame:
        return pd.DataFrame(rows, columns=["symbol", "datetime_ns", "open_interest"])

    r = MainResolver("au", {})
    assert r.update(batch([("SHFE.ag2506", 1, 9e9)]), "2025-03-10") is None  # only the partner's rows yet
    day1 = batch([("SHFE.ag2506", 2, 9e9), ("SHFE.au2506", 2, 5e4), ("SHFE.au2508", 3, 3e4)])
    assert r.update(day1, "2025-03-10") == "SHFE.au2506" and r.segment == 0
    assert r.update(batch([("SHFE.au2508", 4, 9e4)]), "2025-03-10") == "SHFE.au2506"  # fixed for the day
    assert r.update(batch([("SHFE.au2508", 5, 9e4), ("SHFE.au2506", 5, 1e4)]), "2025-03-11") == "SHFE.au2508"
    assert r.segment == 1  # a roll
    assert MainResolver("au", {"2025-03-12": "SHFE.au2510"}).update(batch([]), "2025-03-12") == "SHFE.au2510"


def test_next_moves_to_a_nearer_month_when_it_first_quotes(book: ContractBook) -> None:
    """A feed that delivers the farther month first (only changed quotes, an odd month trading late): live
    takes it as ``next`` until the nearer month's first quote, then switches to it (its own aux segment)
    and stays with it; before any later month has quoted, ``next`` is unresolved and no aux is sent."""
    day = dt.date(2025, 3, 10)
    t0 = int(pd.Timestamp("2025-03-10 09:00:00", tz="Asia/Shanghai").value)

    def rows(sym: str, k: int, n: int, mid: float) -> pd.DataFrame:
        snaps = [Snap(mid - 0.5, mid + 0.5, day=day, ts=t0 + (k + i) * STEP_NS) for i in range(n)]
        return snapshot_frame(snaps, symbol=sym, tick=0.02, mult=1000.0)

    clock = SessionClock(book.calendar, variety_sessions("au"))
    adapter = TickAdapter("au", book, clock, {day.isoformat(): "SHFE.au2506"}, 30.0, roles=("next",))

    def aux_of(batch: pd.DataFrame) -> list[AuxTick]:
        return [e for e in adapter.convert(batch) if isinstance(e, AuxTick)]

    assert aux_of(rows("SHFE.au2506", 0, 4, 700.0)) == [] and adapter.next is None  # no later month yet
    got = aux_of(pd.concat([rows("SHFE.au2506", 4, 4, 700.0), rows("SHFE.au2508", 4, 4, 703.0)]))
    assert adapter.next == "SHFE.au2508" and [e.segment for e in got] == [2508] * 4
    got = aux_of(
        pd.concat(
            [
                rows(s, 8, 4, m)
                for s, m in (("SHFE.au2506", 700.0), ("SHFE.au2507", 701.0), ("SHFE.au2508", 703.0))
            ]
        )
    )
    assert adapter.next == "SHFE.au2507"  # the research rule's contract from its first quote on
    assert [(e.segment, e.mid) for e in got] == [(2507, 701.0)] * 4
    got = aux_of(pd.concat([rows("SHFE.au2508", 12, 2, 703.0), rows("SHFE.au2507", 12, 2, 701.5)]))
    assert adapter.next == "SHFE.au2507" and [e.segment for e in got] == [2507] * 2  # no way back
