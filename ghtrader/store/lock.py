"""Per-(dataset, symbol) writer lock: ``<dataset dir>/symbol=SYM/_lock`` held with ``fcntl.flock``.

Traps: two writers into one symbol directory race on temp files and stray cleanup (the loser dies
with a raw ``[Errno 2] … .tmp``), so every partition commit and every whole feature/label build
takes this lock. ``flock`` is released by the kernel when the holder dies, so a crashed writer
never leaves a stale lock; the JSON inside the file (pid, command, since) only *describes* the
last holder for the waiting side's message. flock locks belong to an open file description, so a
second ``open`` + ``flock`` in the same process would deadlock on itself: the lock is re-entrant
per thread (a build holding it may commit partitions, which take it again). The file name starts
with ``_`` so Parquet readers (pyarrow, pandas, polars, duckdb globs) never see it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCK_NAME = "_lock"
POLL_S = 0.05
RECORD_BYTES = 512  # the holder record's fixed size (the command is cut to 200 characters)
WAIT_REPORT_S = 5.0

WaitFn = Callable[[dict[str, Any]], None]


class LockTimeout(TimeoutError):
    """The lock stayed held by another writer for longer than the timeout; names the holder."""

    def __init__(self, path: Path, holder: dict[str, Any], timeout_s: float) -> None:
        self.path = path
        self.holder = holder
        self.timeout_s = timeout_s
        super().__init__(
            f"{path.parent} is locked by {describe_holder(holder)}; gave up after {timeout_s:g}s"
        )


@dataclass(frozen=True)
class LockPolicy:
    """Process-wide defaults for ``partition_lock`` calls that pass no timeout / wait callback."""

    timeout_s: float | None = None  # None: wait for as long as the holder runs
    on_wait: WaitFn | None = None


_policy = LockPolicy()
_guard = threading.Lock()
_held: dict[str, _Held] = {}


class _Held:
    def __init__(self) -> None:
        self.rlock = threading.RLock()
        self.depth = 0
        self.fd: int | None = None


def describe_holder(holder: dict[str, Any]) -> str:
    """``pid 123 (ghtrader download …) since 2025-…`` or ``an unknown writer``."""
    if not holder.get("pid"):
        return "an unknown writer"
    return f"pid {holder['pid']} ({holder.get('command', '?')}) since {holder.get('since', '?')}"


def lock_path(root: Path, symbol: str) -> Path:
    """The lock file of ``symbol`` under a dataset directory ``root`` (the one holding ``symbol=`` dirs)."""
    if not symbol or "/" in symbol or "\\" in symbol or symbol.startswith("."):
        raise ValueError(f"invalid symbol {symbol!r} for a lake path")
    return Path(root) / f"symbol={symbol}" / LOCK_NAME


def read_holder(path: Path) -> dict[str, Any]:
    """The holder record in a lock file (``{}`` when absent or half-written)."""
    try:
        data = json.loads(path.read_bytes() or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def lock_policy(*, timeout_s: float | None = None, on_wait: WaitFn | None = None) -> Iterator[None]:
    """Set the defaults for this process (CLI entry points: ``--lock-timeout`` and the wait line)."""
    global _policy
    old = _policy
    _policy = LockPolicy(timeout_s, on_wait)
    try:
        yield
    finally:
        _policy = old


def default_command() -> str:
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:200] if sys.argv else "python"


@contextmanager
def partition_lock(
    root: Path,
    symbol: str,
    *,
    command: str,
    timeout_s: float | None = None,
    on_wait: Callable[[dict[str, Any]], None] | None = None,
) -> Iterator[None]:
    """Hold the writer lock of ``root/symbol=SYM`` (created if needed) for the ``with`` block.

    ``root`` is a dataset directory (``lake.dataset_dir("ticks")``, ``lake_v2/features`` …).
    ``timeout_s`` None uses the process default (``lock_policy``; none = wait forever); on timeout
    ``LockTimeout`` names the holder. ``on_wait(holder)`` (holder record plus ``"lock"``: the lock
    file) is called when the lock is found busy, then every ``WAIT_REPORT_S`` while waiting.
    Re-entrant within a thread.
    """
    path = lock_path(root, symbol)
    timeout = _policy.timeout_s if timeout_s is None else timeout_s
    report = on_wait if on_wait is not None else _policy.on_wait
    key = str(path.absolute())
    with _guard:
        held = _held.setdefault(key, _Held())
    deadline = None if timeout is None else time.monotonic() + timeout
    if not held.rlock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
        raise LockTimeout(
            path, {"pid": os.getpid(), "command": "another thread of this process"}, timeout or 0
        )
    try:
        if held.depth == 0:
            held.fd = _acquire_file(path, command, deadline, timeout, report)
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
            if held.depth == 0 and held.fd is not None:
                fcntl.flock(held.fd, fcntl.LOCK_UN)
                os.close(held.fd)
                held.fd = None
    finally:
        held.rlock.release()


def _acquire_file(
    path: Path, command: str, deadline: float | None, timeout: float | None, report: WaitFn | None
) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    next_report = 0.0
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    raise LockTimeout(path, read_holder(path), timeout or 0.0) from None
                if report is not None and now >= next_report:
                    report({**read_holder(path), "lock": str(path)})
                    next_report = now + WAIT_REPORT_S
                time.sleep(POLL_S)
        since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        record = json.dumps({"pid": os.getpid(), "command": command, "since": since}).encode() + b"\n"
        # padded to a fixed size and overwritten in place: no truncate (a metadata change the
        # filesystem journals) on every commit; JSON readers ignore the trailing spaces
        if os.fstat(fd).st_size > RECORD_BYTES:
            os.ftruncate(fd, 0)
        os.pwrite(fd, record.ljust(RECORD_BYTES), 0)
        return fd
    except BaseException:
        os.close(fd)
        raise
