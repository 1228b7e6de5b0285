"""Hot reload: promote then roll back while the runner runs; both switches logged, no tick missed,
and after each switch the decisions equal a cold start of that model from the same factor state."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ghtrader.backtest.champion import backtest_config_from, tick_flags
from ghtrader.features.engine import FactorState
from ghtrader.features.registry import FeatureConfig
from ghtrader.labels.core import LabelConfig
from ghtrader.market.clock import SessionClock
from ghtrader.market.contracts import ContractBook
from ghtrader.market.sessions import variety_sessions
from ghtrader.promotion.gates import PromotionGates
from ghtrader.promotion.registry import promote, rollback
from ghtrader.trade.account import SimAccount
from ghtrader.trade.champion import ChampionWatcher, Expected, load_champion, load_from_pointer
from ghtrader.trade.eventlog import EVENTS_NAME, EventLog, read_records
from ghtrader.trade.replay import market_ticks
from ghtrader.trade.risk import RiskEngine, RiskLimits
from ghtrader.trade.runner import RunnerConfig, TradeRunner

EXPECTED = Expected(FeatureConfig(), LabelConfig())
OFF = PromotionGates(**{f.name: None for f in dataclasses.fields(PromotionGates)})


def make_runner(champion, runs: Path, run_dir: Path, book: ContractBook, state: FactorState, watch: bool):  # noqa: ANN001, ANN201
    cfg = RunnerConfig(run_id=run_dir.name, var="cu", symbol="KQ.m@SHFE.cu", mode="sim")
    watcher = ChampionWatcher(runs, "cu", EXPECTED, champion) if watch else None
    return TradeRunner(
        cfg, champion, EXPECTED, SimAccount(book), RiskEngine(RiskLimits()), EventLog.open(run_dir),
        SessionClock(book.calendar, variety_sessions("cu")), watcher=watcher, factor_state=state,
    )  # fmt: skip


def test_promote_then_rollback_while_running(
    trained: SimpleNamespace, window: SimpleNamespace, book: ContractBook, tmp_path: Path
) -> None:  # noqa: E501
    runs = tmp_path / "runs"
    shutil.copytree(trained.runs / "promotion", runs / "promotion")
    first = load_champion(runs, "cu", EXPECTED)
    last, nxt = tick_flags(window.ticks, backtest_config_from(first.meta))
    ticks = list(market_ticks(window.ticks, book, last, nxt))
    k1, k2 = len(ticks) // 3, 2 * len(ticks) // 3
    hot = make_runner(first, runs, tmp_path / "hot", book, window.state, watch=True)
    hot.start()
    snaps = {}
    for i, t in enumerate(ticks):
        if i == k1:
            promote("cu", trained.logistic, runs, OFF, "2025-03-21T00:00:00")
        if i == k2:
            rollback("cu", runs, "2025-03-22T00:00:00")
        if i in (k1, k2):
            snaps[i] = hot.engine.state.copy()  # what a cold start would warm up from
        hot.poll_champion()  # between ticks, as the daemon does
        hot.on_tick(t)
    records = read_records(tmp_path / "hot" / EVENTS_NAME)
    switches = [r for r in records if r["kind"] == "model_switch"]
    assert [s["new"]["model"] for s in switches] == ["logistic", "lgbm"]
    decisions = [r for r in records if r["kind"] == "decision"]
    assert len(decisions) == len(ticks)  # no missed tick
    for k, end, path in ((k1, k2, trained.logistic), (k2, len(ticks), trained.lgbm)):
        champ = load_from_pointer({"run_id": "cold", "path": str(path), "promoted_at": "cold"}, EXPECTED)
        cold = make_runner(champ, runs, tmp_path / f"cold{k}", book, snaps[k], watch=False)
        cold.start()
        got_p, got_t = [], []
        for t in ticks[k:end]:
            got_t.append(cold.on_tick(t))
            got_p.append(cold.proba.copy())
        assert np.array_equal(np.array(got_p), np.array([d["p"] for d in decisions[k:end]]))
        assert got_t == [d["target"] for d in decisions[k:end]]
