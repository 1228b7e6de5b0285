"""The live gate: the only way to an order path on a real account.

Two independent keys, both required: ``GHTRADER_LIVE_ENABLED=true`` in the environment (read once by
the entry point into ``Settings.live_enabled``; only the literal ``true`` counts) and the flag
``--confirm-live I_UNDERSTAND`` (exact text). ``open_gate`` checks them *before* anything connects and
returns a ``LiveGate`` token; the TqSdk account adapter refuses to send an order without one, so
``paper``, ``sim`` and ``live --monitor-only`` cannot reach an order path even by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

CONFIRM_TEXT = "I_UNDERSTAND"
MODES = ("paper", "sim", "live")


class LiveGateError(RuntimeError):
    """Live order routing was asked for without both keys."""


@dataclass(frozen=True)
class LiveGate:
    """Proof that both keys were present when the runner started (only ``open_gate`` makes one)."""

    _token: object

    def __post_init__(self) -> None:
        if self._token is not _SECRET:
            raise LiveGateError("a LiveGate can only come from open_gate()")


_SECRET = object()


def open_gate(mode: str, *, monitor_only: bool, live_enabled: bool, confirm: str | None) -> LiveGate | None:
    """``LiveGate`` when ``mode == "live"`` may route orders; None for every mode without an order path
    to a real account (paper, sim, live --monitor-only). Raises ``LiveGateError`` when live orders were
    asked for and a key is missing, naming the missing key(s) and never what was typed."""
    if mode not in MODES:
        raise LiveGateError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    if mode != "live" or monitor_only:
        return None
    missing = []
    if live_enabled is not True:
        missing.append("GHTRADER_LIVE_ENABLED=true")
    if confirm != CONFIRM_TEXT:
        missing.append(f"--confirm-live {CONFIRM_TEXT}")
    if missing:
        raise LiveGateError(
            "live trading is disabled: it needs " + " AND ".join(missing) + " (use --mode paper or sim, "
            "or --monitor-only for account snapshots without orders)"
        )
    return LiveGate(_SECRET)
