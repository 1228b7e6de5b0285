"""The live gate alone: only live + GHTRADER_LIVE_ENABLED=true + --confirm-live I_UNDERSTAND opens it."""

from __future__ import annotations

import itertools

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
