"""Writer lock: cross-process exclusion, holder named on wait/timeout, re-entrant in a thread."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ghtrader.store.lock import LOCK_NAME, LockTimeout, lock_policy, partition_lock, read_holder

SYM = "SHFE.cu2001"
# Another writer process speaking the same protocol (flock + holder JSON), without importing
# ghtrader (keeps the test fast).
HOLD = """
import fcntl, json, os, sys, time
d = os.path.join(sys.argv[1], "symbol=" + sys.argv[2])
os.makedirs(d, exist_ok=True)
fd = os.open(os.path.join(d, "_lock"), os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, json.dumps({"pid": os.getpid(), "command": "holder-proc", "since": "now"}).encode())
print("held", flush=True)
time.sleep(float(sys.argv[3]))
"""


def _hold(root: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root), SYM, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_lock_file_records_holder_and_is_hidden_from_readers(tmp_path: Path) -> None:
    with partition_lock(tmp_path, SYM, command="ghtrader download"):
        holder = read_holder(tmp_path / f"symbol={SYM}" / LOCK_NAME)
        assert holder["command"] == "ghtrader download" and holder["pid"] > 0 and holder["since"]
        with partition_lock(tmp_path, SYM, command="nested commit"):  # re-entrant, no self-deadlock
            pass
    assert LOCK_NAME.startswith(("_", "."))


def test_second_process_times_out_naming_the_holder(tmp_path: Path) -> None:
    proc = _hold(tmp_path, 5)
    try:
        waits: list[dict] = []
        t0 = time.monotonic()
        with (
            pytest.raises(LockTimeout, match=r"locked by pid \d+ \(holder-proc\)") as info,
            partition_lock(tmp_path, SYM, command="me", timeout_s=0.3, on_wait=waits.append),
        ):
            pass
        assert time.monotonic() - t0 < 3
        assert waits and waits[0]["command"] == "holder-proc" and info.value.holder["pid"] == proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_waiter_gets_the_lock_when_the_holder_exits(tmp_path: Path) -> None:
    proc = _hold(tmp_path, 0.5)
    waits: list[dict] = []
    with lock_policy(timeout_s=20, on_wait=waits.append), partition_lock(tmp_path, SYM, command="me"):
        assert json.loads((tmp_path / f"symbol={SYM}" / LOCK_NAME).read_text())["command"] == "me"
    proc.wait()
    assert waits[0]["command"] == "holder-proc"


def test_dead_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    proc = _hold(tmp_path, 30)
    proc.kill()
    proc.wait()
    with partition_lock(tmp_path, SYM, command="me", timeout_s=1):
        pass
