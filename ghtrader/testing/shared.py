"""Build expensive test data once per test run, shared by every test and every pytest-xdist worker.

``make test`` runs pytest with ``-n 2`` (pytest-xdist): each worker is its own process with its own
session fixtures, so a plain ``scope="session"`` fixture that builds a sim lake would build it once
*per worker*. ``build_once`` builds into the run's common temp dir under an exclusive file lock and
marks completion with a ``<name>.done`` file; the other worker waits, then reuses it. A half-built
directory (a builder that crashed) has no ``.done`` and is rebuilt, never reused.

Usage in a conftest (see ``tests/README.md``)::

    @pytest.fixture(scope="session")
    def my_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return build_once(tmp_path_factory, "my_lake", lambda d: build_sim_lake(d, start=..., end=...))

The result is shared: treat it as read-only and ``shutil.copytree`` it before corrupting anything.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol


class TempFactory(Protocol):
    def getbasetemp(self) -> Path: ...


def run_temp_dir(factory: TempFactory) -> Path:
    """The temp dir common to the whole run: the parent of a worker's own base temp under xdist."""
    base = Path(factory.getbasetemp())
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(factory: TempFactory, name: str, build: Callable[[Path], Any]) -> Path:
    """Return ``<run temp>/<name>``, calling ``build(dir)`` first if no process of this run has yet."""
    root = run_temp_dir(factory)
    target, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                if target.exists():
                    shutil.rmtree(target)
                target.mkdir(parents=True)
                build(target)
                done.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target
