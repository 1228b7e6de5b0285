"""Restart reconciliation: when the account holds another position than the event log says, the
runner logs ``reconcile`` with both, adopts the account's position, sends nothing to "fix" it, shows it
in its status (``/healthz``) and re-decides through the risk checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.clock import SessionClock
from ghtrader.market.contracts import ContractBook
from ghtrader.market.sessions import variety_sessions
from ghtrader.testing.trade import NS, UP, FakeTradeApi, expected, scripted_champion, synthetic_ticks
from ghtrader.testing.trade_drill import audit
from ghtrader.trade.account import Account, MarketTick, SimAccount
from ghtrader.trade.eventlog import EVENTS_NAME, EventLog, read_records
from ghtrader.trade.gate import CONFIRM_TEXT, open_gate
from ghtrader.trade.risk import RiskEngine, RiskLimits
from ghtrader.trade.runner import RunnerConfig, TradeRunner
from ghtrader.trade.tqsdk.account import TqAccount

LIMITS = RiskLimits(max_position=1, max_order_size=2)


def runner(run_dir: Path, account: Account, calendar: TradingCalendar, mode: str) -> TradeRunner:
    return TradeRunner(
        RunnerConfig(run_id="rec", var="cu", symbol="KQ.m@SHFE.cu", mode=mode), scripted_champion([UP]),
        expected(), account, RiskEngine(LIMITS), EventLog.open(run_dir), SessionClock(calendar, variety_sessions("cu")),
    )  # fmt: skip


def ticks(n: int, after: MarketTick | None = None) -> list[MarketTick]:
    start = None if after is None else after.datetime_ns
    return list(synthetic_ticks([NS // 2] * n, [75_000.0] * n, start_ns=start))


def kinds(run_dir: Path, kind: str) -> list[dict]:
    return [r for r in read_records(run_dir / EVENTS_NAME) if r["kind"] == kind]


def test_live_restart_adopts_the_broker_position(calendar: TradingCalendar, tmp_path: Path) -> None:
    gate = open_gate("live", monitor_only=False, live_enabled=True, confirm=CONFIRM_TEXT)
    api = FakeTradeApi()
    first = runner(tmp_path, TqAccount(api, gate=gate), calendar, "live")
    first.start()
    before = ticks(6)
    for t in before:
        first.on_tick(t)
    first.log.close()
    assert api.net == 1 and len(api.orders) == 1 and first.status()["reconciled"] is None
    api.net = 5  # traded by hand while the runner was down: the log still says 1
    sent = len(api.orders)
    second = runner(tmp_path, TqAccount(api, gate=gate), calendar, "live")
    second.start()
    assert len(api.orders) == sent  # reconciling sends nothing
    (rec,) = kinds(tmp_path, "reconcile")
    assert rec["logged"]["position"] == 1 and rec["logged"]["contract"] == before[0].underlying
    assert rec["account_position"] == 5 and rec["adopted"] == 5 and rec["account"]["position"] == 5
    assert second.status()["reconciled"]["account_position"] == 5 and second.working == 5
    assert kinds(tmp_path, "run_resume")[-1]["position"] == 5
    for t in ticks(3, after=before[-1]):
        second.on_tick(t)
    orders = kinds(tmp_path, "order")
    assert [o["client_id"] for o in orders] == ["rec-0", "rec-1"]  # numbered after the logged ids
    assert orders[-1]["qty"] == -2 and orders[-1]["clamped"]  # 5 -> 1 through the risk checks: clamped
    assert api.net == 3
    fills = [f for r in kinds(tmp_path, "fill") for f in r["fills"]]
    assert len(fills) == 2  # the trade before the restart is not reported again


class Crash(Exception):
    pass


def test_sim_crash_between_fill_and_record(
    book: ContractBook, calendar: TradingCalendar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sim_account.json"
    clean = runner(tmp_path, SimAccount(book, book_path=path), calendar, "sim")
    clean.start()
    stream = ticks(12)
    for t in stream[:1]:  # the order goes out; it fills on the next tick
        clean.on_tick(t)
    clean.log.close()
    again = runner(tmp_path, SimAccount(book, book_path=path), calendar, "sim")
    again.start()  # a clean restart: the account's book equals the log, nothing to reconcile
    assert not kinds(tmp_path, "reconcile") and again.status()["reconciled"] is None
    append = again.log.append

    def dies_at_fill(kind: str, **fields: object) -> dict:
        if kind == "fill":  # kill -9 after the account filled, before the fill reached the log
            raise Crash
        return append(kind, **fields)

    monkeypatch.setattr(again.log, "append", dies_at_fill)
    done = 1
    with pytest.raises(Crash):
        for t in stream[2:]:
            again.on_tick(t)
            done += 1
    again.log.close()
    assert json.loads(path.read_text())["position"] == 1
    assert [r["position"] for r in kinds(tmp_path, "decision")][-1] == 0  # the log never saw the fill
    third = runner(tmp_path, SimAccount(book, book_path=path), calendar, "sim")
    third.start()
    (rec,) = kinds(tmp_path, "reconcile")
    assert rec["logged"]["position"] == 0 and rec["account_position"] == 1 and third.account.position == 1
    assert third.status()["reconciled"]["adopted"] == 1
    n_orders = len(kinds(tmp_path, "order"))
    for t in stream[done + 1 :]:
        third.on_tick(t)
    assert len(kinds(tmp_path, "order")) == n_orders  # already long: the re-decided target sends nothing
    assert not [
        r for r in kinds(tmp_path, "fill") if r["seq"] > rec["seq"]
    ]  # a restart never trades by itself
    assert kinds(tmp_path, "decision")[-1]["position"] == 1
    res = audit(tmp_path / EVENTS_NAME)
    assert res["chain_ok"] and res["reconciled"] and res["reconciles"] == 1 and not res["duplicate_order_ids"]
