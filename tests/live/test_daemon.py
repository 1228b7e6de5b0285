"""The daemon core: health/metrics endpoint on loopback, heartbeat, SIGTERM -> final flush -> exit 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import Counter
from prometheus_client.parser import text_string_to_metric_families

from ghtrader.live.daemon import Daemon, DaemonConfig
from ghtrader.testing import REPO_ROOT
from ghtrader.testing.sockets import is_loopback, listening_sockets


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_config_refuses_non_loopback(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="loopback"):
        DaemonConfig(name="x", run_dir=tmp_path, http_host="0.0.0.0")


def test_healthz_flips_metrics_parse_and_only_loopback_listens(tmp_path: Path) -> None:
    d = Daemon(DaemonConfig(name="t", run_dir=tmp_path))
    ticks = Counter("ticks_received", "ticks", ["symbol"], registry=d.registry)
    ticks.labels("SHFE.cu2505").inc(7)
    stale = {"on": False}
    d.add_health_check("feed", lambda: "cu stale for 12s" if stale["on"] else None)
    port = d.start_http()
    try:
        base = f"http://127.0.0.1:{port}"
        code, body = _get(base + "/healthz")
        assert code == 200 and json.loads(body)["healthy"] is True
        stale["on"] = True
        code, body = _get(base + "/healthz")
        assert code == 503 and json.loads(body)["failing"] == {"feed": "cu stale for 12s"}
        code, body = _get(base + "/metrics")
        assert code == 200
        fams = {f.name: f for f in text_string_to_metric_families(body.decode())}
        (sample,) = [s for s in fams["ticks_received"].samples if s.name == "ticks_received_total"]
        assert sample.labels == {"symbol": "SHFE.cu2505"} and sample.value == 7
        assert fams["ghtrader_daemon_healthy"].samples[0].value == 0
        socks = listening_sockets(os.getpid())
        assert (("127.0.0.1", port)) in socks
        assert all(is_loopback(a) for a, _ in socks), socks
        d.write_heartbeat()
        hb = json.loads(d.config.heartbeat_path.read_text())
        assert hb["pid"] == os.getpid() and hb["healthy"] is False and hb["http"] == f"127.0.0.1:{port}"
        assert _get(base + "/nope")[0] == 404
    finally:
        d.stopping.set()
        d.shutdown()


SCRIPT = textwrap.dedent(
    """
    import signal, sys
    from pathlib import Path
    from ghtrader.live.daemon import Daemon, DaemonConfig
    run = Path(sys.argv[1])
    d = Daemon(DaemonConfig(name="probe", run_dir=run, heartbeat_s=0.1))
    buf = []
    d.on_shutdown(lambda: (run / "flushed").write_text(f"{len(buf)}"))
    d.on_signal(signal.SIGUSR1, lambda: (run / "killed").write_text("1"))
    def main(d):
        while not d.stopping.is_set():
            buf.append(1)
            d.sleep(0.01)
    sys.exit(d.run(main))
    """
)


def _wait_for(path: Path, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > end:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)


def test_sigterm_runs_the_final_flush_and_exits_zero_sigusr1_is_a_hook(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp_path)], env=env, stderr=subprocess.PIPE)
    try:
        hb_path = tmp_path / "probe.heartbeat.json"
        _wait_for(hb_path)
        hb = json.loads(hb_path.read_text())
        assert hb["pid"] == proc.pid and hb["state"] == "running"
        host, port = hb["http"].split(":")
        assert all(is_loopback(a) for a, _ in listening_sockets(proc.pid))
        assert _get(f"http://{host}:{port}/healthz")[0] == 200
        proc.send_signal(signal.SIGUSR1)
        _wait_for(tmp_path / "killed")
        assert proc.poll() is None  # a hook signal does not stop the daemon
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    assert int((tmp_path / "flushed").read_text()) > 0
    hb = json.loads(hb_path.read_text())
    assert hb["state"] == "stopped"
    events = [json.loads(line)["event"] for line in err.decode().splitlines() if line.startswith("{")]
    assert events[0] == "started" and "signal" in events and events[-1] == "stopped"
