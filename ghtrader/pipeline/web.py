"""A tiny FastAPI app, mounted into the Airflow API server by ``plugins/ghtrader_reports.py``, that
lists and serves the HTML reports, GX Data Docs and audit reports under ``runs_dir``.

Trap: plugin endpoints are not behind Airflow's auth; the API server binds 127.0.0.1 by default
(``airflow.cfg``), and production puts the UI behind a login and an SSH tunnel or proxy.
"""

from __future__ import annotations

import html
from pathlib import Path

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


def index_html(runs_dir: Path) -> str:
    parts = [
        "<!doctype html><meta charset=utf-8><title>ghTrader reports</title>",
        "<style>body{font-family:sans-serif;margin:2em}li{margin:.2em 0}</style>",
        f"<h1>ghTrader reports</h1><p>from <code>{html.escape(str(runs_dir))}</code></p>",
    ]
    for kind, files in list_reports(runs_dir).items():
        parts.append(f"<h2>{KINDS[kind]}</h2><ul>")
        parts += [f'<li><a href="files/{html.escape(f)}">{html.escape(f)}</a></li>' for f in files[:200]]
        parts.append("</ul>" if files else "<li>none yet</li></ul>")
    return "".join(parts)


def create_app(runs_dir: Path):  # noqa: ANN201 - a FastAPI app
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse
    from starlette.staticfiles import StaticFiles

    runs_dir.mkdir(parents=True, exist_ok=True)
    app = FastAPI(title="ghTrader reports")

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return index_html(runs_dir)

    app.mount("/files", StaticFiles(directory=runs_dir, html=True), name="files")
    return app
