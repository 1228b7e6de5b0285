"""GX Data Docs on disk: GX's own ``SiteBuilder`` with a filesystem store, from an ephemeral context.

Each readiness run gets its own site ``runs_dir/gx/<dataset>/<run_name>/index.html`` (the in-memory
results store only knows this run's validations, so one site per run keeps the index honest). The
site is rebuilt from scratch: a stale page from an earlier run of the same name is removed first.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

SITE_NAME = "ghtrader"
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


def safe_name(text: str) -> str:
    """A file-system-safe name (``symbol=SHFE.cu2505/date=…`` -> ``symbol_SHFE.cu2505_date_…``)."""
    return _UNSAFE.sub("_", text).strip("_") or "run"


def site_dir(runs_dir: Path, dataset: str, run_name: str) -> Path:
    return Path(runs_dir) / "gx" / safe_name(dataset) / safe_name(run_name)


def make_context(site: Path | None) -> Any:
    """An ephemeral GX context: in-memory stores, no analytics, no progress bars, optional docs site."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if site is not None:
        sites[SITE_NAME] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        data_docs_sites=sites,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def build_docs(context: Any, site: Path) -> Path:
    """Render every validation of ``context`` into ``site``; return the index page."""
    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    context.build_data_docs(site_names=[SITE_NAME])
    from ghtrader.quality.gx.offline import localize_site

    localize_site(site, site.parent.parent / "_assets")  # runs_dir/gx/_assets: styled offline
    return site / "index.html"
