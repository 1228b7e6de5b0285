"""Failure and deadline alerts for the pipeline DAGs: a JSON POST to a webhook (Slack-, Teams- or
Alertmanager-style receivers all accept a JSON body).

The URL comes from ``GHTRADER_ALERT_WEBHOOK_URL`` (read when an alert fires: this is an entry
point). Unset means "log only". Credentials embedded in the URL are never logged: only the host is.

Trap: an alert must never turn a task's failure into a different failure; delivery errors are
logged and swallowed, with a short timeout so a dead receiver cannot hang the callback.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)
ENV_URL = "GHTRADER_ALERT_WEBHOOK_URL"


def alert_payload(context: Mapping[str, Any], event: str) -> dict[str, Any]:
    """A small JSON-able description of what failed (DAG, run, task, try, error, log URL)."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    exc = context.get("exception")
    return {
        "event": event,
        "dag_id": getattr(dag_run, "dag_id", None) or getattr(ti, "dag_id", None),
        "run_id": getattr(dag_run, "run_id", None) or getattr(ti, "run_id", None),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", None),
        "try_number": getattr(ti, "try_number", None),
        "error": None if exc is None else f"{type(exc).__name__}: {exc}"[:2000],
        "log_url": getattr(ti, "log_url", None),
    }


def send_alert(payload: Mapping[str, Any], url: str | None, timeout_s: float = 5.0) -> bool:
    """POST ``payload`` as JSON; True when the receiver answered 2xx. Never raises."""
    if not url:
        log.warning("ghtrader alert (no %s set): %s", ENV_URL, json.dumps(payload, default=str))
        return False
    req = urllib.request.Request(
        url,
        data=json.dumps(payload, default=str).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    host = urlsplit(url).hostname
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:  # noqa: S310 - operator-set URL
            ok = 200 <= resp.status < 300
    except Exception as exc:  # noqa: BLE001 - an alert must not raise
        log.warning("ghtrader alert to %s failed: %s", host, type(exc).__name__)
        return False
    log.info("ghtrader alert sent to %s (%s)", host, payload.get("event"))
    return ok


def on_failure(context: Mapping[str, Any]) -> None:
    """``on_failure_callback`` for tasks and DAG runs."""
    event = "task_failed" if context.get("ti") is not None else "dag_run_failed"
    send_alert(alert_payload(context, event), os.environ.get(ENV_URL))
