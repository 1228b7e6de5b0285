"""The live gate alone: only live + GHTRADER_LIVE_ENABLED=true + --confirm-live I_UNDERSTAND opens it."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ghtrader.config import load_settings
from ghtrader.trade.gate import CONFIRM_TEXT, LiveGate, LiveGateError, open_gate

ENV_VALUES = [None, "", "false", "0", "1", "yes", "on", "True ", "TRUE", "true", "tru"]
CONFIRMS = [None, "", "i_understand", "I_UNDERSTAND ", "yes", CONFIRM_TEXT]


def live_enabled(value: str | None, monkeypatch: pytest.MonkeyPatch) -> bool:
    if value is None:
        monkeypatch.delenv("GHTRADER_LIVE_ENABLED", raising=False)
    else:
        monkeypatch.setenv("GHTRADER_LIVE_ENABLED", value)
    return load_settings(env_file=None).live_enabled


def test_only_literal_true_enables(monkeypatch: pytest.MonkeyPatch) -> None:
    enabled = {v: live_enabled(v, monkeypatch) for v in ENV_VALUES}
    assert {v for v, on in enabled.items() if on} == {"True ", "TRUE", "true"}


def test_gate_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    for env, confirm, mode, monitor in itertools.product(
        ENV_VALUES, CONFIRMS, ("paper", "sim", "live"), (False, True)
    ):
        enabled = live_enabled(env, monkeypatch)
        wants_orders = mode == "live" and not monitor
        if wants_orders and not (enabled and confirm == CONFIRM_TEXT):
            with pytest.raises(LiveGateError):
                open_gate(mode, monitor_only=monitor, live_enabled=enabled, confirm=confirm)
            continue
        gate = open_gate(mode, monitor_only=monitor, live_enabled=enabled, confirm=confirm)
        assert (gate is not None) == wants_orders


def test_token_cannot_be_forged() -> None:
    with pytest.raises(LiveGateError):
        LiveGate(object())


# --- the whole path: gate -> account -> runner, on the fake TqSdk trading API --------------------------


def _run_live_path(
    mode: str, monitor: bool, enabled: bool, confirm: str | None, tmp: Path, book
) -> tuple[int, int]:  # noqa: ANN001
    """(connections, insert_order calls) for one combination; the runner is fed a hostile stream."""
    from ghtrader.market.clock import SessionClock
    from ghtrader.market.sessions import variety_sessions
    from ghtrader.testing.trade import (
        DOWN,
        NS,
        UP,
        FakeTradeApi,
        expected,
        scripted_champion,
        synthetic_ticks,
    )
    from ghtrader.trade.eventlog import EventLog
    from ghtrader.trade.risk import RiskEngine, RiskLimits
    from ghtrader.trade.runner import RunnerConfig, TradeRunner
    from ghtrader.trade.service import TradeOptions, build_account

    apis: list[FakeTradeApi] = []
    try:
        gate = open_gate(mode, monitor_only=monitor, live_enabled=enabled, confirm=confirm)
    except LiveGateError:
        return len(apis), 0  # refused before anything connected
    api = FakeTradeApi() if mode == "live" else None
    if api is not None:
        apis.append(api)
    opts = TradeOptions(mode=mode, var="cu", symbol="KQ.m@SHFE.cu", source="sim", runs_dir=tmp, data_dir=tmp,
                        run_dir=tmp, run_id="gate", monitor_only=monitor)  # fmt: skip
    account = build_account(opts, book, gate, api)
    runner = TradeRunner(
        RunnerConfig(run_id="gate", var="cu", symbol="KQ.m@SHFE.cu", mode=mode, monitor_only=monitor),
        scripted_champion([UP, DOWN], max_pos=50), expected(), account, RiskEngine(RiskLimits()), EventLog.open(tmp / "run"),
        SessionClock(book.calendar, variety_sessions("cu")),
    )  # fmt: skip
    for t in synthetic_ticks([NS] * 12, [75_000.0] * 12):
        runner.on_tick(t)
    return len(apis), len(api.orders) if api is not None else 0


def test_adversarial_matrix_sends_no_order_without_both_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, book
) -> None:  # noqa: ANN001
    sent = {}
    for i, (env, confirm, mode, monitor) in enumerate(
        itertools.product(
            ["", "false", "1", "yes", "true"],
            [None, "i_understand", CONFIRM_TEXT],
            ("paper", "sim", "live"),
            (False, True),
        )
    ):
        enabled = live_enabled(env, monkeypatch)
        _, orders = _run_live_path(mode, monitor, enabled, confirm, tmp_path / str(i), book)
        sent[(env, confirm, mode, monitor)] = orders
    routed = {k for k, n in sent.items() if n}
    assert routed == {("true", CONFIRM_TEXT, "live", False)}, routed
    assert sent[("true", CONFIRM_TEXT, "live", False)] >= 2  # the gated path really trades


def test_cli_live_without_keys_exits_before_connecting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    import ghtrader.sources.tqsdk as tq
    from ghtrader.cli import trade as trade_cli
    from ghtrader.cli.main import app

    connects: list[int] = []
    monkeypatch.setattr(tq, "tqapi_factory", lambda creds: connects.append(1) or (lambda **_: None))
    monkeypatch.setattr(trade_cli, "_run_daemon", lambda *a, **k: connects.append(2) or 0)
    runner = CliRunner()
    base = ["trade", "--mode", "live", "--source", "tqsdk", "--runs-dir", str(tmp_path)]
    for env, extra in [
        (None, []),
        ("true", []),
        ("false", ["--confirm-live", CONFIRM_TEXT]),
        ("1", ["--confirm-live", CONFIRM_TEXT]),
    ]:
        live_enabled(env, monkeypatch)
        res = runner.invoke(app, [*base, *extra])
        assert res.exit_code == 2, res.output
    assert connects == []
    monkeypatch.setenv("GHTRADER_LIVE_ENABLED", "true")
    assert runner.invoke(app, [*base, "--confirm-live", CONFIRM_TEXT]).exit_code == 0
    assert connects == [2]  # with both keys the daemon starts (here: stubbed)
