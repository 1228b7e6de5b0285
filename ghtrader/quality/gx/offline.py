"""Make GX Data Docs render offline: rewrite their CDN links to vendored copies.

GX's Data Docs templates pull Bootstrap, jQuery, Font Awesome, bootstrap-table, Vega… from public
CDNs (18 of 22 assets); on a research box without internet the docs render unstyled and their
charts are empty. The same files (``vendor/``, see LICENSES.md there) are copied once into
``<runs_dir>/gx/_assets`` and every HTML page of a site gets relative links to them, so the docs
work from disk, through the dashboard's file route, or copied elsewhere together with ``_assets``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

VENDOR = Path(__file__).with_name("vendor")
CDN = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table-filter-control.css"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-prefers-dark.css"
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": "vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed.min.js",
}


def ensure_assets(assets_dir: Path) -> Path:
    """Copy the vendored files into ``assets_dir`` unless an identical set is already there."""
    marker = assets_dir / ".complete"
    if not marker.exists():
        tmp = assets_dir.with_name(assets_dir.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(VENDOR, tmp)
        (tmp / ".complete").write_text("ok\n")
        shutil.rmtree(assets_dir, ignore_errors=True)
        os.replace(tmp, assets_dir)
    return assets_dir


def localize_site(site_dir: Path, assets_dir: Path) -> int:
    """Rewrite every CDN link in the site's HTML pages to ``assets_dir``; returns links rewritten."""
    ensure_assets(assets_dir)
    n = 0
    for page in Path(site_dir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = text
        for url in sorted(CDN, key=len, reverse=True):  # longest first: vega-lite before vega
            if url in new:
                rel = os.path.relpath(assets_dir / CDN[url], page.parent)
                n += new.count(f'"{url}"')
                new = new.replace(f'"{url}"', f'"{rel}"')
        if new != text:
            page.write_text(new, encoding="utf-8")
    return n


def remote_links(site_dir: Path) -> list[str]:
    """Asset links (src/href of script/link tags) still pointing off-box, for tests."""
    import re

    pat = re.compile(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"')
    return sorted(
        {m for p in Path(site_dir).rglob("*.html") for m in pat.findall(p.read_text(encoding="utf-8"))}
    )
