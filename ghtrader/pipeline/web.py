"""The ghTrader dashboard, a small FastAPI app mounted into the Airflow API server by
``plugins/ghtrader_reports.py``: one row per pipeline run (variety, range, DQ, model metrics,
promotion decision, report link), champions per variety, the live daemons, and the report files.

Trap: plugin apps are plain FastAPI apps; Airflow's login does not cover them unless they ask for
it. Mounted by the plugin, every route (files included: served by a route, not a static mount,
so the dependency applies) requires an authenticated Airflow user.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ghtrader.pipeline.dashboard import DaemonSpec, dashboard_html

KINDS = {"reports": "Evaluation reports", "gx": "Great Expectations Data Docs", "audit": "Audit reports"}


def list_reports(runs_dir: Path) -> dict[str, list[str]]:
    """Relative paths of report files under ``runs_dir``, newest first, by kind."""
    out: dict[str, list[str]] = {}
    for kind in KINDS:
        base = runs_dir / kind
        files = (
            [p for p in base.rglob("*") if p.suffix in (".html", ".json") and p.is_file()]
            if base.is_dir()
            else []
        )
        if kind != "audit":
            files = [p for p in files if p.suffix == ".html"]
        files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        out[kind] = [str(p.relative_to(runs_dir)) for p in files]
    return out


def safe_file(runs_dir: Path, rel: str) -> Path | None:
    """``runs_dir/rel`` if it is a file inside ``runs_dir`` (no ``..`` escapes), else None."""
    root = runs_dir.resolve()
    path = (root / rel).resolve()
    if path != root and root not in path.parents:
        return None
    if path.is_dir():
        path = path / "index.html"
    return path if path.is_file() else None


def create_app(
    runs_dir: Path,
    *,
    daemons: Sequence[DaemonSpec] = (),
    supervisor_socket: Path | None = None,
    auth: Callable[..., Any] | None = None,
):  # noqa: ANN201 - a FastAPI app
    """The dashboard app; ``auth`` is a FastAPI dependency applied to every route."""
    from fastapi import Depends, FastAPI, HTTPException
    from fastapi.responses import FileResponse, HTMLResponse

    runs_dir.mkdir(parents=True, exist_ok=True)
    deps = [Depends(auth)] if auth is not None else []
    app = FastAPI(title="ghTrader dashboard", dependencies=deps)

    @app.get("/", response_class=HTMLResponse)
    def index(dag_id: str | None = None, run_id: str | None = None) -> str:
        return dashboard_html(
            runs_dir,
            dag_id=dag_id,
            run_id=run_id,
            daemons=daemons,
            supervisor_socket=supervisor_socket,
            reports=list_reports(runs_dir),
        )

    @app.get("/files/{rel:path}")
    def files(rel: str) -> FileResponse:
        path = safe_file(runs_dir, rel)
        if path is None:
            raise HTTPException(status_code=404, detail="no such report file")
        return FileResponse(path)

    return app
