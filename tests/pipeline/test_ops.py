"""Operations pieces that need no Airflow run: alerts, login-body middleware, dashboard auth and
rendering, per-install secrets, fail-fast validation."""

from __future__ import annotations

import json
import os
import stat
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from ghtrader.pipeline.alerts import ENV_URL, alert_payload, on_failure, send_alert
from ghtrader.pipeline.dashboard import DaemonSpec, dashboard_html, supervisor_states
from ghtrader.pipeline.ledger import read_rows, record


@pytest.fixture()
def receiver():  # noqa: ANN201 - (url, received bodies)
    got: list[dict] = []

    class H(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a: object) -> None:
            pass

    srv = HTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}/hook", got
    srv.shutdown()


class _TI:
    dag_id, run_id, task_id, map_index, try_number, log_url = (
        "ghtrader_cu",
        "r1",
        "train",
        1,
        2,
        "http://x/log",
    )


def test_failure_alert_posts_json_to_the_webhook(receiver, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    url, got = receiver
    monkeypatch.setenv(ENV_URL, url)
    on_failure({"ti": _TI(), "exception": ValueError("boom")})
    assert got == [
        {
            "event": "task_failed",
            "dag_id": "ghtrader_cu",
            "run_id": "r1",
            "task_id": "train",
            "map_index": 1,
            "try_number": 2,
            "error": "ValueError: boom",
            "log_url": "http://x/log",
        }
    ]


def test_alert_to_a_dead_receiver_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    assert send_alert(alert_payload({}, "x"), "http://127.0.0.1:9/hook", timeout_s=0.5) is False
    assert send_alert(alert_payload({}, "x"), None) is False


def test_empty_login_body_is_a_400_not_a_500() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from starlette.requests import Request

    from ghtrader.pipeline.web_auth import EmptyLoginBodyMiddleware

    app = FastAPI()

    async def token(request):  # noqa: ANN001, ANN202 - like Airflow: an empty body raises here
        return await request.json()

    token.__annotations__ = {"request": Request}
    app.add_api_route("/auth/token", token, methods=["POST"])
    app.add_middleware(EmptyLoginBodyMiddleware)
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/auth/token", content=b"", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "username and password" in r.json()["detail"]
    assert c.post("/auth/token", json={"username": "a", "password": "b"}).json() == {
        "username": "a",
        "password": "b",
    }


def _runs(tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    (runs / "reports" / "e1").mkdir(parents=True)
    (runs / "reports" / "e1" / "report.html").write_text("<html>report</html>")
    base = {"dag_id": "ghtrader_au", "run_id": "manual__1"}
    record(
        runs,
        "au",
        "2025-03-03",
        "2025-03-28",
        "gx_ticks",
        base | {"state": "success", "result": {}},
        label="SHFE.au2506",
    )
    record(
        runs,
        "au",
        "2025-03-03",
        "2025-03-28",
        "gx_main_l5",
        base | {"state": "failed", "error": "DataQualityError: x"},
    )
    record(
        runs,
        "au",
        "2025-03-03",
        "2025-03-28",
        "train",
        base | {"state": "success", "result": {"model": "lgbm", "macro_f1_mean": 0.41}},
        label="lgbm",
    )
    record(
        runs,
        "au",
        "2025-03-03",
        "2025-03-28",
        "evaluate",
        base | {"state": "success", "result": {"report": str(runs / "reports/e1/report.html")}},
    )
    record(
        runs,
        "au",
        "2025-03-03",
        "2025-03-28",
        "promote",
        base | {"state": "success", "result": {"promote": False, "reasons": ["macro-F1 gain 0.001 < 0.005"]}},
    )
    return runs


def test_dashboard_rows_show_dq_failure_metrics_and_rejected_promotion(tmp_path: Path) -> None:
    runs = _runs(tmp_path)
    (row,) = read_rows(runs)
    assert row.dq == "FAIL: gx_main_l5" and row.models == {"lgbm": 0.41} and row.run_ids == ["manual__1"]
    page = dashboard_html(
        runs, daemons=[DaemonSpec("recorder", "http://127.0.0.1:9")], supervisor_socket=tmp_path / "none.sock"
    )
    assert page.count('<tr class="run"') == 1
    assert "not promoted</span> (champion kept)" in page and "macro-F1 gain 0.001" in page
    assert 'href="files/reports/e1/report.html"' in page and "lgbm 0.4100" in page
    assert "supervisord is not running" in page and '<tr class="daemon"><td>recorder</td>' in page
    assert dashboard_html(runs, run_id="other").count('<tr class="run"') == 0


def test_dashboard_app_requires_auth_on_every_route_and_blocks_traversal(tmp_path: Path) -> None:
    from fastapi import HTTPException
    from fastapi.testclient import TestClient

    from ghtrader.pipeline.web import create_app

    runs = _runs(tmp_path)
    (tmp_path / "secret.txt").write_text("no")

    def deny() -> None:
        raise HTTPException(status_code=401, detail="Not authenticated")

    locked = TestClient(create_app(runs, auth=deny))
    assert locked.get("/").status_code == 401
    assert locked.get("/files/reports/e1/report.html").status_code == 401
    open_ = TestClient(create_app(runs))
    assert open_.get("/files/reports/e1/report.html").text == "<html>report</html>"
    assert open_.get("/files/../secret.txt").status_code == 404
    assert open_.get("/files/%2e%2e/secret.txt").status_code == 404


def test_supervisor_states_reads_a_real_supervisord(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys
    import time

    supervisord = Path(sys.executable).with_name("supervisord")
    if not supervisord.exists() and not shutil.which("supervisord"):
        pytest.skip("supervisord not installed")
    sock = tmp_path / "s.sock"
    conf = tmp_path / "s.conf"
    conf.write_text(
        f"[unix_http_server]\nfile={sock}\nchmod=0700\n[supervisord]\nlogfile={tmp_path}/d.log\n"
        f"pidfile={tmp_path}/d.pid\nnodaemon=false\n[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
        f"[supervisorctl]\nserverurl=unix://{sock}\n[program:sleeper]\ncommand=sleep 60\n"
    )
    subprocess.run([str(supervisord), "-c", str(conf)], check=True)
    try:
        for _ in range(50):
            states = supervisor_states(sock)
            if isinstance(states, list) and states and states[0]["statename"] == "RUNNING":
                break
            time.sleep(0.2)
        assert isinstance(states, list) and states[0]["name"] == "sleeper"
        assert '<td class="ok">RUNNING</td>' in dashboard_html(tmp_path / "r", supervisor_socket=sock)
    finally:
        pid = int((tmp_path / "d.pid").read_text())
        os.kill(pid, 15)


def test_airflow_secrets_generated_once_per_install_and_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ghtrader.pipeline.airflow_env import REPO, SECRET_KEYS, airflow_env

    for k in SECRET_KEYS:
        monkeypatch.delenv(k, raising=False)
    a, b = airflow_env(REPO, tmp_path / "h1"), airflow_env(REPO, tmp_path / "h1")
    other = airflow_env(REPO, tmp_path / "h2")
    assert all(a[k] == b[k] and a[k] != other[k] and len(a[k]) >= 32 for k in SECRET_KEYS)
    assert stat.S_IMODE((tmp_path / "h1" / "secrets.env").stat().st_mode) == 0o600
    cfg = (REPO / "airflow.cfg").read_text()
    assert "jwt_secret =" not in cfg and "scheduler_health_check_server_host = 127.0.0.1" in cfg


def test_short_range_is_rejected_by_resolve_with_one_line(tmp_path: Path) -> None:
    import datetime as dt

    from ghtrader.pipeline.steps import resolve_spec

    params = {
        "start": "2025-03-17",
        "end": "2025-03-19",
        "data_dir": str(tmp_path),
        "runs_dir": str(tmp_path),
    }
    with pytest.raises(ValueError, match=r"has 3 trading days; the walk-forward needs >= 11") as ei:
        resolve_spec("cu", params, dt.date(2025, 3, 19))
    assert "\n" not in str(ei.value)


@pytest.mark.parametrize(
    ("var", "fset", "error"),
    [
        ("cu", "full", None),
        ("au", "full_xp", None),
        ("cu", "full_xp", "needs a partner variety; cu has none"),
        ("cu", "fancy", "unknown feature set 'fancy'"),
    ],
)
def test_feature_set_param_is_checked_by_resolve(
    tmp_path: Path, var: str, fset: str, error: str | None
) -> None:
    import datetime as dt

    from ghtrader.pipeline.steps import RunSpec, resolve_spec

    params = {"end": "2025-03-28", "data_dir": str(tmp_path), "runs_dir": str(tmp_path), "feature_set": fset}
    if error is None:
        assert RunSpec.from_params(resolve_spec(var, params, dt.date(2025, 3, 28))).feature_set == fset
        return
    with pytest.raises(ValueError, match=error) as ei:
        resolve_spec(var, params, dt.date(2025, 3, 28))
    assert "\n" not in str(ei.value)


def test_api_token_logs_in_as_the_first_prod_user_else_asks_the_demo(tmp_path: Path) -> None:
    from ghtrader.pipeline.airflow_env import api_token

    seen: list[tuple[str, dict | None]] = []

    class H(BaseHTTPRequestHandler):
        def _answer(self, body: dict | None) -> None:
            seen.append((self.command, body))
            out = json.dumps({"access_token": f"jwt-{self.command}"}).encode()
            self.send_response(201)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_POST(self) -> None:  # noqa: N802
            self._answer(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))

        def do_GET(self) -> None:  # noqa: N802
            self._answer(None)

        def log_message(self, *a: object) -> None:
            pass

    srv = HTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"
    pw = tmp_path / "passwords.json"
    env = {
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(pw),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "ops:admin,viewer:viewer",
    }
    try:
        assert api_token(base, env) == "jwt-GET"  # no passwords file: the local demo's token
        pw.write_text(json.dumps({"ops": "s3cret", "viewer": "v"}))
        assert api_token(base, env) == "jwt-POST"
    finally:
        srv.shutdown()
    assert seen == [("GET", None), ("POST", {"username": "ops", "password": "s3cret"})]


def test_build_step_rebuilds_the_lake_for_another_feature_set(sim_data_dir: Path, tmp_path: Path) -> None:
    import shutil

    from ghtrader.features.build import load_record
    from ghtrader.features.sets import feature_set
    from ghtrader.pipeline.steps import RunSpec, build
    from ghtrader.store.lake import ParquetLake
    from ghtrader.testing.simlake import TEST_RANGE

    shutil.copytree(sim_data_dir / "lake_v2", tmp_path / "lake_v2")  # built with the default set (core)
    lake = ParquetLake(tmp_path / "lake_v2")
    for d in lake.days("main_l5", "KQ.m@SHFE.cu")[3:]:  # 3 days are enough (and ~3x cheaper than 8)
        shutil.rmtree(lake.partition_dir("main_l5", "KQ.m@SHFE.cu", d))
    spec = RunSpec("cu", *TEST_RANGE, data_dir=tmp_path, runs_dir=tmp_path, feature_set="full")
    first = build(spec)
    assert first["rebuilt_for_new_set"] and len(first["features"]["built"]) == 3
    record = load_record(lake, "KQ.m@SHFE.cu")
    assert record is not None and record["config_hash"] == feature_set("full").hash
    again = build(spec)  # same set: incremental, nothing to do
    assert not again["rebuilt_for_new_set"] and again["features"]["built"] == []
