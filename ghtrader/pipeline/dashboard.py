"""HTML of the ghTrader dashboard: runs (one row each), champions, live daemons, report files.

Pure rendering over what is on disk (the run ledger, the promotion registry, report files) plus
two live probes with short timeouts: supervisord's XML-RPC over its unix socket (program states)
and each daemon's ``/healthz``. A probe that fails shows as a row saying so, never as an error page.
"""

from __future__ import annotations

import html
import json
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghtrader.pipeline.ledger import RunRow, read_rows

VARIETIES = ("cu", "au", "ag")
CSS = (
    "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3}.ok{color:#176117;font-weight:600}"
    ".bad{color:#a31515;font-weight:600}.muted{color:#777}details{margin:.3em 0}"
)


@dataclass(frozen=True)
class DaemonSpec:
    """A live daemon shown on the dashboard: its supervisord program name and HTTP base URL."""

    name: str
    url: str  # e.g. http://127.0.0.1:9301 (serves /healthz and /metrics)

    @classmethod
    def parse_list(cls, text: str | None) -> list[DaemonSpec]:
        """``"recorder=http://127.0.0.1:9301,trade-runner=http://127.0.0.1:9302"``."""
        out = []
        for item in (text or "").split(","):
            if "=" in item:
                name, url = item.split("=", 1)
                out.append(cls(name.strip(), url.strip().rstrip("/")))
        return out


def supervisor_states(socket: Path | None, timeout_s: float = 2.0) -> list[dict[str, Any]] | str:
    """Program states from supervisord's XML-RPC on its unix socket, or a one-line reason."""
    if socket is None:
        return "no supervisord socket configured"
    if not Path(socket).exists():
        return f"supervisord is not running (no socket at {socket})"
    try:
        import socket as _s
        import xmlrpc.client

        from supervisor.xmlrpc import SupervisorTransport

        old = _s.getdefaulttimeout()
        _s.setdefaulttimeout(timeout_s)
        try:
            proxy = xmlrpc.client.ServerProxy(
                "http://127.0.0.1", transport=SupervisorTransport(None, None, f"unix://{socket}")
            )
            return list(proxy.supervisor.getAllProcessInfo())  # type: ignore[arg-type]
        finally:
            _s.setdefaulttimeout(old)
    except Exception as exc:  # noqa: BLE001 - shown, not raised
        return f"supervisord did not answer: {type(exc).__name__}: {exc}"


def daemon_health(url: str, timeout_s: float = 1.0) -> tuple[bool, str]:
    """(healthy, short text) from ``url/healthz``."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=timeout_s) as resp:  # noqa: S310
            body = resp.read(2000).decode(errors="replace")
            return 200 <= resp.status < 300, body
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {exc}"


def _e(x: object) -> str:
    return html.escape(str(x))


def _link(runs_dir: Path, path: str | None, text: str) -> str:
    if not path:
        return '<span class="muted">—</span>'
    try:
        rel = Path(path).resolve().relative_to(runs_dir.resolve())
    except ValueError:
        return _e(text)
    return f'<a href="files/{_e(rel.as_posix())}">{_e(text)}</a>'


def _promotion_cell(p: Mapping[str, Any] | None) -> str:
    if p is None:
        return '<span class="muted">not run</span>'
    reasons = "; ".join(str(r) for r in p.get("reasons", []))
    if p.get("promote"):
        return f'<span class="ok">PROMOTED</span> <small>{_e(reasons)}</small>'
    if p.get("promote") is None:
        return f'<span class="bad">promote failed</span> <small>{_e(reasons)}</small>'
    return f'<span class="bad">not promoted</span> (champion kept) <small>{_e(reasons)}</small>'


def _docs_links(runs_dir: Path, row: RunRow) -> str:
    links = []
    for name, t in sorted(row.tasks.items()):
        res = t.get("result")
        if not isinstance(res, dict):
            continue
        docs = [res.get("docs")] + [v.get("docs") for v in res.values() if isinstance(v, dict)]
        for d in [d for d in docs if d]:
            links.append(_link(runs_dir, d, name))
    return " ".join(links) or '<span class="muted">—</span>'


def runs_table(runs_dir: Path, rows: Sequence[RunRow]) -> str:
    head = "<tr><th>variety</th><th>range</th><th>DAG run</th><th>DQ</th><th>models (macro-F1)</th>"
    head += "<th>promotion</th><th>report</th><th>GX Data Docs</th></tr>"
    body = []
    for r in rows:
        dq_cls = "ok" if r.dq == "pass" else ("bad" if r.dq.startswith("FAIL") else "muted")
        models = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} —" for k, v in r.models.items())
        failed = (
            f' <span class="bad">failed: {_e(", ".join(r.failed_tasks))}</span>' if r.failed_tasks else ""
        )
        body.append(
            f'<tr class="run" data-var="{_e(r.var)}"><td>{_e(r.var)}</td><td>{_e(r.start)} … {_e(r.end)}</td>'
            f"<td><small>{_e(', '.join(r.run_ids)) or '—'}</small>{failed}</td>"
            f'<td class="{dq_cls}">{_e(r.dq)}</td><td>{_e(models) or "—"}</td>'
            f"<td>{_promotion_cell(r.promotion)}</td><td>{_link(runs_dir, r.report, 'report')}</td>"
            f"<td>{_docs_links(runs_dir, r)}</td></tr>"
        )
    if not body:
        body.append('<tr><td colspan="8" class="muted">no pipeline runs recorded yet</td></tr>')
    return f'<table id="runs">{head}{"".join(body)}</table>'


def champions_table(runs_dir: Path, varieties: Sequence[str] = VARIETIES) -> str:
    from ghtrader.promotion.registry import champion, decisions

    rows = []
    for var in varieties:
        ptr = champion(runs_dir, var)
        log = decisions(runs_dir, var)
        last = log[-1] if log else None
        verdict = _promotion_cell(last) if last else '<span class="muted">no decision yet</span>'
        if ptr is None:
            rows.append(
                f'<tr class="champion"><td>{var}</td><td class="muted">none</td><td></td><td>{verdict}</td></tr>'
            )
            continue
        meta = ptr.get("meta") or {}
        rows.append(
            f'<tr class="champion"><td>{var}</td><td>{_e(ptr.get("run_id"))}</td>'
            f"<td>{_e(meta.get('model', ''))} since {_e(ptr.get('promoted_at', ''))}</td><td>{verdict}</td></tr>"
        )
    head = "<tr><th>variety</th><th>champion</th><th>model / since</th><th>last decision</th></tr>"
    return f'<table id="champions">{head}{"".join(rows)}</table>'


def daemons_table(daemons: Sequence[DaemonSpec], supervisor_socket: Path | None) -> str:
    states = supervisor_states(supervisor_socket)
    rows = []
    if isinstance(states, str):
        rows.append(f'<tr><td colspan="4" class="muted">{_e(states)}</td></tr>')
        by_name: dict[str, Mapping[str, Any]] = {}
    else:
        by_name = {str(s.get("name")): s for s in states}
    names = list(dict.fromkeys([d.name for d in daemons] + list(by_name)))
    urls = {d.name: d.url for d in daemons}
    for name in names:
        s = by_name.get(name, {})
        state = str(s.get("statename", "unknown"))
        cls = "ok" if state == "RUNNING" else "bad"
        url = urls.get(name)
        if url:
            ok, text = daemon_health(url)
            health = f'<span class="{"ok" if ok else "bad"}">{"healthy" if ok else "unhealthy"}</span> '
            health += f'<small>{_e(text[:200])}</small> <a href="{_e(url)}/metrics">metrics</a>'
        else:
            health = '<span class="muted">no health URL</span>'
        rows.append(
            f'<tr class="daemon"><td>{_e(name)}</td><td class="{cls}">{_e(state)}</td>'
            f"<td><small>{_e(s.get('description', ''))}</small></td><td>{health}</td></tr>"
        )
    head = "<tr><th>program</th><th>state</th><th>detail</th><th>health</th></tr>"
    return f'<table id="daemons">{head}{"".join(rows)}</table>'


def dashboard_html(
    runs_dir: Path,
    *,
    dag_id: str | None = None,
    run_id: str | None = None,
    daemons: Sequence[DaemonSpec] = (),
    supervisor_socket: Path | None = None,
    reports: Mapping[str, list[str]] | None = None,
) -> str:
    """The whole page; ``dag_id``/``run_id`` filter the runs table (links from a DAG or a DAG run)."""
    rows = read_rows(runs_dir)
    title = "ghTrader dashboard"
    if dag_id:
        rows = [r for r in rows if r.dag_id == dag_id]
        title += f" — {dag_id}"
    if run_id:
        rows = [r for r in rows if run_id in r.run_ids]
        title += f" — run {run_id}"
    parts = [
        f"<!doctype html><meta charset=utf-8><title>{_e(title)}</title><style>{CSS}</style>",
        f"<h1>{_e(title)}</h1><p class=muted>runs dir <code>{_e(runs_dir)}</code>"
        + (' · <a href="./">all runs</a>' if dag_id or run_id else "")
        + "</p>",
        "<h2>Pipeline runs</h2>",
        runs_table(runs_dir, rows),
        "<h2>Champions</h2>",
        champions_table(runs_dir),
        "<h2>Live daemons</h2>",
        daemons_table(daemons, supervisor_socket),
    ]
    if reports is not None:
        parts.append("<h2>All report files</h2>")
        for kind, files in reports.items():
            items = "".join(f'<li><a href="files/{_e(f)}">{_e(f)}</a></li>' for f in files[:500])
            parts.append(f"<details><summary>{_e(kind)} ({len(files)})</summary><ul>{items}</ul></details>")
    return "".join(parts)


def dashboard_json(runs_dir: Path) -> str:
    """The runs table as JSON (for scripts and tests)."""
    rows = [
        {
            "var": r.var,
            "start": r.start,
            "end": r.end,
            "run_ids": r.run_ids,
            "dq": r.dq,
            "models": r.models,
            "promotion": r.promotion,
            "report": r.report,
        }
        for r in read_rows(runs_dir)
    ]
    return json.dumps(rows, indent=1, default=str)
