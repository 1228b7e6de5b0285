"""The pipeline's Great Expectations gates (raw ticks, the continuous series, features and labels).

Each raises ``DataQualityError`` naming every failing partition and expectation, which fails its task
and keeps everything downstream from running.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ghtrader.pipeline.steps import RunSpec, jsonable, trading_days


def _gate_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    keep = (
        "dataset",
        "success",
        "docs",
        "summary_path",
        "partitions_checked",
        "validations",
        "rows",
        "seconds",
    )
    return jsonable({k: summary[k] for k in keep if k in summary})


def gx_ticks(spec: RunSpec, symbols: Sequence[str]) -> dict[str, Any]:
    """Great Expectations readiness of the ingested contracts' raw tick partitions over the range.

    One gate for all contracts (their partitions are validated in stacked batches, one Data Docs
    site per run) rather than one per contract: GX's fixed cost per validation dominated.
    Raises ``DataQualityError`` naming each failing partition and expectation, which fails the task
    and keeps everything downstream from running.
    """
    from ghtrader.quality.readiness import ticks_ready

    summary = ticks_ready(
        spec.lake_root,
        list(symbols),
        trading_days(spec),
        spec.runs_dir,
        run_name=f"{spec.var}_{spec.start}_{spec.end}",
    )
    return _gate_summary(summary)


def gx_main_l5(spec: RunSpec) -> dict[str, Any]:
    """Readiness of the continuous series (schema, book sanity, sessions, splice = schedule)."""
    from ghtrader.quality.readiness import main_l5_ready
    from ghtrader.schedule.main_l5 import continuous_symbol

    summary = main_l5_ready(
        spec.lake_root,
        continuous_symbol(spec.var),
        trading_days(spec),
        spec.runs_dir,
        run_name=f"{spec.var}_{spec.start}_{spec.end}",
    )
    return _gate_summary(summary)


def gx_dataset(spec: RunSpec) -> dict[str, Any]:
    """Readiness of features (NaN-rate bounds) and labels (class-balance bounds) before training."""
    from ghtrader.quality.readiness import features_ready, labels_ready
    from ghtrader.schedule.main_l5 import continuous_symbol

    sym, days, name = continuous_symbol(spec.var), trading_days(spec), f"{spec.var}_{spec.start}_{spec.end}"
    f = features_ready(spec.lake_root, sym, days, spec.runs_dir, run_name=name)
    lab = labels_ready(spec.lake_root, sym, days, spec.runs_dir, run_name=name)
    return {"features": _gate_summary(f), "labels": _gate_summary(lab)}
