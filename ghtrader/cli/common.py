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


def error_line(exc: BaseException) -> str:
    """One line for an expected error: OSErrors as ``strerror: filename`` (no raw ``[Errno N]``)."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        line = f"{exc.strerror}: {exc.filename}"
        if exc.filename2 is not None:
            line += f" -> {exc.filename2}"
        if isinstance(exc, (NotADirectoryError, FileExistsError)):
            line += " (a file is in the way of a data directory?)"
        elif isinstance(exc, PermissionError):
            line += " (is the data directory writable?)"
        return line
    return " ".join(str(exc).split()) or type(exc).__name__


def run_guarded(fn: Callable[[], None]) -> None:
    """Run a command body; turn expected errors into one stderr line and exit 1."""
    try:
        fn()
    except (CliError, ValueError, OSError) as exc:  # OSError covers ConnectionError, LockTimeout
        err_console.print(f"[red]error:[/red] {error_line(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def check_variety(var: str | None, flag: str = "--var") -> str | None:
    """The one answer to an unsupported variety, shared by every command (``None`` passes)."""
    from ghtrader.market.sessions import VARIETIES

    if var is not None and var not in VARIETIES:
        raise CliError(f"{flag} must be one of {', '.join(VARIETIES)}, got {var!r}")
    return var


@contextmanager
def writer_locks(timeout_s: float | None) -> Iterator[None]:
    """Apply ``--lock-timeout`` to every lake write of this command; say who we are waiting for."""
    from ghtrader.store.lock import describe_holder, lock_policy

    def waiting(holder: dict[str, Any]) -> None:
        where = Path(str(holder.get("lock", "?"))).parent
        err_console.print(
            f"waiting for {where}: locked by {describe_holder(holder)}"
            + (f" (--lock-timeout {timeout_s:g}s)" if timeout_s is not None else ""),
            highlight=False,
            soft_wrap=True,
        )

    with lock_policy(timeout_s=timeout_s, on_wait=waiting):
        yield
