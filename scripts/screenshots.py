"""Headless-Chromium screenshots of the Airflow UI and the ghTrader dashboard (`make screenshots`).

Logs in through Airflow's own token endpoint (the production users/passwords file when prod mode
is up, else the local demo's all-admins token), hands the JWT to Chromium as Airflow's `_token`
cookie over the DevTools protocol, and saves PNGs to docs/screenshots/: the DAG list, the grid of
the latest ghtrader_cu run, and the ghTrader dashboard (runs, DQ, champions, daemons).

Usage: `.venv/bin/python scripts/screenshots.py [--base http://127.0.0.1:8080] [--out docs/screenshots]`
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def get_token(base: str) -> str:
    from ghtrader.pipeline.airflow_env import api_token

    return api_token(base)


def latest_run(base: str, token: str, dag_id: str) -> str | None:
    req = urllib.request.Request(
        f"{base}/api/v2/dags/{dag_id}/dagRuns?order_by=-run_after&limit=1",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        runs = json.loads(r.read())["dag_runs"]
    return runs[0]["dag_run_id"] if runs else None


class Chromium:
    """A headless Chromium driven over the DevTools protocol (no extra Python packages)."""

    def __init__(self, port: int = 9333) -> None:
        exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        if exe is None:
            sys.exit("chromium not found: apt-get install chromium")
        self.tmp = tempfile.mkdtemp(prefix="ghtrader-shots-")
        self.proc = subprocess.Popen(
            [
                exe,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                f"--remote-debugging-port={port}",
                "--remote-debugging-address=127.0.0.1",
                f"--user-data-dir={self.tmp}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    pages = [p for p in json.loads(r.read()) if p.get("type") == "page"]
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        from websockets.sync.client import connect

        self.ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=None)  # closed in close()
        self.n = 0

    def cmd(self, method: str, **params: Any) -> dict[str, Any]:
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def shot(self, url: str, out: Path, settle_s: float = 20.0) -> None:
        self.cmd("Page.navigate", url=url)
        time.sleep(settle_s)  # the Airflow UI is a single-page app: let it fetch and render
        data = self.cmd("Page.captureScreenshot", format="png")["data"]
        out.write_bytes(base64.b64decode(data))
        print(f"saved {out} ({out.stat().st_size // 1024} KiB) <- {url}")

    def close(self) -> None:
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    token = get_token(a.base)
    run = latest_run(a.base, token, "ghtrader_cu")
    c = Chromium()
    try:
        c.cmd("Network.enable")
        c.cmd("Network.setCookie", name="_token", value=token, url=a.base, path="/")
        c.cmd("Emulation.setDeviceMetricsOverride", width=1500, height=950, deviceScaleFactor=1, mobile=False)
        c.shot(f"{a.base}/dags", a.out / "airflow_dags.png")
        if run:
            c.shot(f"{a.base}/dags/ghtrader_cu/runs/{run}", a.out / "airflow_run_grid.png")
        c.shot(f"{a.base}/ghtrader/", a.out / "ghtrader_dashboard.png", settle_s=3.0)
    finally:
        c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
