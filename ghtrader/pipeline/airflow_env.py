"""Environment for running this repo's Airflow locally (SQLite, LocalExecutor, loopback only).

Usage: ``eval "$(python -m ghtrader.pipeline.airflow_env)"`` (the Makefile does this) or
``airflow_env(repo)`` from tests. Airflow does not expand paths in a user ``airflow.cfg``; this
supplies the absolute ones.

Secrets (``[api_auth] jwt_secret``, ``[api] secret_key``) are never committed: they are generated
once per install into ``AIRFLOW_HOME/secrets.env`` (mode 0600, under the gitignored home) and
exported from there, so every Airflow process of one install shares them and no two installs do.
"""

from __future__ import annotations

import os
import secrets
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SECRET_KEYS = ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY")


def install_secrets(home: Path) -> dict[str, str]:
    """Read (or create once, 0600) this install's Airflow secrets; an env var already set wins."""
    path = home / "secrets.env"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        body = "".join(f"{k}={secrets.token_urlsafe(32)}\n" for k in SECRET_KEYS)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(body)
    stored = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k: os.environ.get(k) or stored[k] for k in SECRET_KEYS if k in stored}


def airflow_env(repo: Path = REPO, home: Path | None = None) -> dict[str, str]:
    """Variables that point Airflow at the repo's config, DAGs and plugins and a local home."""
    home = home or repo / "airflow_home"
    return {
        "AIRFLOW_CONFIG": str(repo / "airflow.cfg"),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(repo / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(repo / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        **install_secrets(home),
    }


#: Loopback ports of production mode (``make prod-up``); override with the same-named env vars.
PROD_PORTS = {
    "PG_PORT": "5433",
    "REDIS_PORT": "6380",
    "AIRFLOW_PORT": "8080",
    "PROMETHEUS_PORT": "9090",
    "STATSD_PORT": "9125",
    "STATSD_WEB_PORT": "9102",
}


def prod_env(repo: Path = REPO, prod_dir: Path | None = None) -> dict[str, str]:
    """Production mode on one machine: PostgreSQL metadata DB, CeleryExecutor on Redis, real login.

    Everything binds 127.0.0.1. UI users come from ``GHTRADER_AIRFLOW_USERS`` (``name:role,...``,
    default ``admin:admin``); Airflow's simple auth manager generates their passwords once into
    ``<prod_dir>/airflow_home/passwords.json`` (0600). Moving workers to other hosts: the same
    variables with the broker/DB addresses of this host (see docker/DEPLOYMENT.md).
    """
    prod_dir = (prod_dir or repo / "runs" / "prod").resolve()  # fixed: daemons/prod/supervisord.conf
    ports = {k: os.environ.get(f"GHTRADER_{k}", v) for k, v in PROD_PORTS.items()}
    home = prod_dir / "airflow_home"
    db = f"postgresql+psycopg2://airflow@127.0.0.1:{ports['PG_PORT']}/airflow"
    env = airflow_env(repo, home) | {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db,
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{ports['REDIS_PORT']}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://airflow@127.0.0.1:{ports['PG_PORT']}/airflow",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": "default",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": ports["AIRFLOW_PORT"],
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{ports['AIRFLOW_PORT']}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{ports['AIRFLOW_PORT']}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": os.environ.get("GHTRADER_AIRFLOW_USERS", "admin:admin"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__METRICS__STATSD_ON": "True",
        "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
        "AIRFLOW__METRICS__STATSD_PORT": ports["STATSD_PORT"],
        "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
        "GHTRADER_PROD_DIR": str(prod_dir),
        "GHTRADER_SUPERVISOR_SOCKET": str(prod_dir / "supervisor.sock"),
    }
    env |= {f"GHTRADER_{k}": v for k, v in ports.items()}
    return env


def ensure_passwords(path: Path, users: str) -> Path:
    """Create/extend the simple auth manager's passwords file (0600) for ``users`` (``name:role,...``).

    Trap: left to itself, Airflow generates missing passwords and *prints them to the API server's
    log*. Generating them here first means no credential is ever logged; read them from the file.
    """
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as fh:
        current = json.loads(fh.read().strip() or "{}")
        names = [u.split(":", 1)[0].strip() for u in users.split(",") if u.strip()]
        missing = {n: secrets.token_urlsafe(18) for n in names if n not in current}
        if missing:
            fh.seek(0)
            fh.truncate()
            fh.write(json.dumps(current | missing) + "\n")
    os.chmod(path, 0o600)
    return path


def api_token(base: str, env: dict[str, str] | None = None, timeout_s: float = 30.0) -> str:
    """A JWT from Airflow's ``/auth/token`` at ``base``: as the first user of the production passwords
    file when it exists (``prod_env``), else the local demo's all-admins token (no credentials)."""
    import json
    import urllib.request

    env = env if env is not None else prod_env()
    pw_file = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    if pw_file.exists():
        user = env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(",")[0].split(":")[0]
        body = json.dumps({"username": user, "password": json.loads(pw_file.read_text())[user]}).encode()
        req = urllib.request.Request(
            f"{base}/auth/token", body, {"Content-Type": "application/json"}, method="POST"
        )
    else:  # local demo (SIMPLE_AUTH_MANAGER_ALL_ADMINS)
        req = urllib.request.Request(f"{base}/auth/token")
    with urllib.request.urlopen(req, timeout=timeout_s) as r:
        return str(json.loads(r.read())["access_token"])


if __name__ == "__main__":
    if "--ensure-passwords" in sys.argv[1:]:
        e = prod_env()
        ensure_passwords(
            Path(e["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]),
            e["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"],
        )
        sys.exit(0)
    env = prod_env() if "--prod" in sys.argv[1:] else airflow_env()
    sys.stdout.write("".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items()))
