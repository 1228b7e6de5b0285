"""Structured daemon logs: one JSON object per line on stderr (supervisord captures and rotates it).

``log_event(log, "flush", rows=10, ms=3.2)`` -> ``{"ts": ..., "level": "info", "daemon": "recorder",
"event": "flush", "rows": 10, "ms": 3.2}``. Credentials never go into ``fields``.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, daemon, event, plus the record's ``fields``."""

    def __init__(self, daemon: str) -> None:
        super().__init__()
        self.daemon = daemon

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "daemon": self.daemon,
            "event": record.getMessage(),
        }
        out.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, sort_keys=False)


def configure_logging(name: str, level: str = "INFO") -> logging.Logger:
    """A logger ``ghtrader.daemon.<name>`` writing JSON lines to stderr (supervisord captures it)."""
    logger = logging.getLogger(f"ghtrader.daemon.{name}")
    logger.setLevel(level.upper())
    logger.propagate = False
    if not any(getattr(h, "_ghtrader_json", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter(name))
        handler._ghtrader_json = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    return logger


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log a structured event: ``log_event(log, "flush", rows=10, ms=3.2)``."""
    logger.log(level, event, extra={"fields": fields})
