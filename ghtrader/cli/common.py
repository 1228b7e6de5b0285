"""Shared CLI plumbing: settings at the entry point, one-line errors, JSON output, progress."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ghtrader.config import Settings, load_settings

err_console = Console(stderr=True)


class CliError(Exception):
    """An expected failure reported as one line and exit code 1."""


def settings_for(data_dir: Path | None) -> Settings:
    """Read the environment once, at the entry point; ``--data-dir`` wins over GHTRADER_DATA_DIR."""
    return load_settings(data_dir=data_dir)


def parse_day(text: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CliError(f"{flag} must be a date like 2025-03-03, got {text!r}") from None


def emit_json(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


@contextmanager
def progress_bar(label: str, total: int, enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """Yield ``advance(description)``; the bar draws on stderr so ``--json`` stdout stays clean."""
    if not enabled:
        yield lambda _desc: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task(label, total=total)

        def advance(desc: str) -> None:
            progress.update(task, advance=1, description=f"{label} {desc}")

        yield advance


def run_guarded(fn: Callable[[], None]) -> None:
    """Run a command body; turn expected errors into one stderr line and exit 1."""
    try:
        fn()
    except (CliError, ValueError, OSError) as exc:  # OSError covers ConnectionError (store down)
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
