"""Run the repository's supervisord programs in a throw-away run directory (tests and drills).

``LiveStack`` writes a small supervisord.conf (socket, pid, logs under ``run_dir``) that includes
the real ``daemons/programs/*.conf``, so tests exercise exactly the program definitions that
``make live`` and docker use. Controlled through the real ``supervisorctl``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from ghtrader.testing import REPO_ROOT

BIN = Path(sys.executable).parent


PROGRAMS_DIR = REPO_ROOT / "daemons" / "programs"


def stack_config(run_dir: Path, only: tuple[str, ...] | None = None) -> str:
    """supervisord.conf for ``run_dir`` including the repository's program files (all, or ``only``
    those programs plus a ``live`` group of just them)."""
    sock = run_dir / "supervisor.sock"
    if only is None:
        include = f"{PROGRAMS_DIR}/*.conf"
    else:
        group = run_dir / "live-group.conf"
        group.write_text(f"[group:live]\nprograms={','.join(only)}\n")
        include = " ".join([*(str(PROGRAMS_DIR / f"{p}.conf") for p in only), str(group)])
    return "\n".join(
        [
            "[unix_http_server]",
            f"file={sock}",
            "chmod=0700",
            "[supervisord]",
            f"logfile={run_dir / 'supervisord.log'}",
            f"pidfile={run_dir / 'supervisord.pid'}",
            f"childlogdir={run_dir / 'logs'}",
            "nodaemon=false",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
            "[supervisorctl]",
            f"serverurl=unix://{sock}",
            "[include]",
            f"files = {include}",
            "",
        ]
    )


class LiveStack:
    """supervisord + the live programs on a temp run dir; ``env`` is what the programs read."""

    def __init__(self, run_dir: Path, env: dict[str, str], only: tuple[str, ...] | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.only = only
        self.conf = self.run_dir / "supervisord.conf"
        self.env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(REPO_ROOT),
            "GHTRADER_LIVE_DIR": str(self.run_dir),
            # the trade runner (same group) stays inside the run dir and off fixed ports unless told
            "GHTRADER_RUNS_DIR": str(self.run_dir / "runs"),
            "GHTRADER_TRADE_PORT": "0",
            **env,
        }

    def start(self) -> None:
        (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)
        self.conf.write_text(stack_config(self.run_dir, self.only))
        subprocess.run([str(BIN / "supervisord"), "-c", str(self.conf)], env=self.env, check=True)

    def ctl(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "supervisorctl"), "-c", str(self.conf), *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
        )

    def supervisord_pid(self) -> int:
        return int((self.run_dir / "supervisord.pid").read_text().strip())

    def pid(self, name: str = "live:recorder") -> int:
        out = self.ctl("pid", name).stdout.strip()
        return int(out) if out.isdigit() else 0

    def wait_running(self, name: str = "live:recorder", timeout: float = 30.0, not_pid: int = 0) -> int:
        """Wait until ``name`` is RUNNING (with a pid other than ``not_pid``); return its pid."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            st = self.ctl("status", name).stdout
            pid = self.pid(name)
            if "RUNNING" in st and pid and pid != not_pid:
                return pid
            time.sleep(0.2)
        raise TimeoutError(f"{name} not RUNNING after {timeout}s: {self.ctl('status').stdout}{self.tail()}")

    def heartbeat(self, name: str = "recorder") -> dict[str, object]:
        return json.loads((self.run_dir / f"{name}.heartbeat.json").read_text())

    def wait_heartbeat(self, pid: int, name: str = "recorder", timeout: float = 30.0) -> dict[str, object]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                hb = self.heartbeat(name)
                if hb.get("pid") == pid and hb.get("http"):
                    return hb
            except (FileNotFoundError, ValueError):
                pass
            time.sleep(0.1)
        raise TimeoutError(f"no heartbeat from {name} pid {pid}{self.tail()}")

    def log(self, name: str = "recorder") -> str:
        path = self.run_dir / "logs" / f"{name}.log"
        return path.read_text() if path.exists() else ""

    def events(self, name: str = "recorder") -> list[dict[str, object]]:
        out = []
        for line in self.log(name).splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
        return out

    def tail(self, name: str = "recorder", lines: int = 30) -> str:
        return "\n" + "\n".join(self.log(name).splitlines()[-lines:])

    def shutdown(self) -> None:
        pid_file = self.run_dir / "supervisord.pid"
        if not pid_file.exists():
            return
        self.ctl("shutdown")
        end = time.monotonic() + 30
        while pid_file.exists() and time.monotonic() < end:
            time.sleep(0.1)
