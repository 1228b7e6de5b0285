"""Find candidate run dirs of a variety and pick one (latest, or best passing the gates)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ghtrader.promotion.gates import PromotionGates, gate_checks, metric
from ghtrader.promotion.registry import META_NAME


def _meta_var(meta: dict[str, Any]) -> str | None:
    if meta.get("var"):
        return str(meta["var"])
    symbol = str(meta.get("symbol", ""))
    return symbol.rsplit(".", 1)[-1] if "@" in symbol else None


def find_candidates(runs_dir: Path, var: str) -> list[Path]:
    """Run dirs under ``<runs_dir>/models`` whose meta.json belongs to ``var``, sorted by path."""
    root = Path(runs_dir) / "models"
    out = []
    for meta_path in sorted(root.rglob(META_NAME)) if root.is_dir() else []:
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(meta, dict) and "run_id" in meta and _meta_var(meta) == var:
            out.append(meta_path.parent)
    return out


def latest_candidate(run_dirs: Iterable[Path]) -> Path | None:
    """Newest by meta ``created_at`` (ISO text), then by meta.json mtime."""

    def key(d: Path) -> tuple[str, int]:
        meta = json.loads((d / META_NAME).read_text())
        return str(meta.get("created_at", "")), (d / META_NAME).stat().st_mtime_ns

    dirs = list(run_dirs)
    return max(dirs, key=key) if dirs else None


def best_candidate(run_dirs: Iterable[Path], gates: PromotionGates) -> Path | None:
    """Highest walk-forward macro-F1 among candidates passing every absolute gate (ties: first)."""
    best: tuple[float, Path] | None = None
    for d in run_dirs:
        meta = json.loads((Path(d) / META_NAME).read_text())
        f1 = metric(meta, "metrics", "walk_forward", "macro_f1_mean")
        if f1 is None or not all(c.passed for c in gate_checks(meta, None, gates)):
            continue
        if best is None or f1 > best[0]:
            best = (f1, Path(d))
    return None if best is None else best[1]
