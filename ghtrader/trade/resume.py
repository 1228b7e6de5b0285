"""Restarting a run: what the event log last recorded, and the reconciliation with the account.

``last_logged`` reads the chain once: the next client order id (after the highest ever logged, and
after any the broker reports for this run, so an id is never reused), the last logged position and
contract, the last full account state and the working order's target. ``TradeRunner.start`` hands the
state to ``Account.resume`` (sim: its own book if it has one, else this state; live: the broker) and
then ``mismatch`` compares the logged position with the account's. On a mismatch the runner logs a
``reconcile`` record with both values, adopts the account's position, cancels the working order and
re-decides on the next tick, through the risk checks like any other order: nothing is sent to "fix"
the position. The last reconciliation shows in the runner's status (``/healthz``) and counts in the
events metric.

Trap: a restart can follow a crash between the account's fill and the log's ``fill`` record (or a
trade placed by hand while the runner was down); the log is then behind the account, never the
other way round, which is why the account wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Logged:
    """What the event log last recorded about the account."""

    seq: int | None  # the last record's seq
    next_order: int
    position: int | None
    contract: str | None
    account: dict[str, Any] | None
    working: int | None


def order_number(client_id: str, run_id: str) -> int | None:
    """``n`` of ``<run_id>-<n>`` (or of a leg ``<run_id>-<n>.<k>``); None for other ids."""
    m = re.fullmatch(re.escape(run_id) + r"-(\d+)(?:\.\d+)?", client_id)
    return int(m.group(1)) if m else None


def last_logged(records: list[dict[str, Any]], run_id: str, broker_ids: Iterable[str] = ()) -> Logged:
    ids = [r["client_id"] for r in records if r.get("kind") == "order" and r.get("client_id")]
    nums = [n for n in (order_number(str(i), run_id) for i in [*ids, *broker_ids]) if n is not None]
    position = contract = account = working = None
    for r in reversed(records):
        acc = r.get("account") if isinstance(r.get("account"), dict) else None
        if account is None and acc is not None:
            account, working = acc, r.get("working")
        if position is None and (acc is not None or "position" in r):
            position = acc["position"] if acc is not None else r["position"]
        if contract is None:
            contract = r.get("contract") or (acc or {}).get("contract")
        if account is not None and position is not None and contract is not None:
            break
    return Logged(
        seq=records[-1].get("seq") if records else None,
        next_order=max(nums, default=-1) + 1,
        position=None if position is None else int(position),
        contract=contract,
        account=account,
        working=None if working is None else int(working),
    )


def mismatch(logged: Logged, account_position: int) -> dict[str, Any] | None:
    """The ``reconcile`` record's fields when the account holds another position than the log says."""
    if logged.position is None or logged.position == account_position:
        return None
    return {
        "logged": {"position": logged.position, "contract": logged.contract, "seq": logged.seq},
        "account_position": account_position,
        "adopted": account_position,
    }
