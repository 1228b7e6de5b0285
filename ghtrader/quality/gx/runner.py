"""Run GX suites over lake partitions and turn the results into a readable, JSON-able summary.

One ephemeral context per call: one pandas data source, one whole-dataframe batch definition per
suite, and one validation per partition (``batch_parameters={"dataframe": frame}``). Batches are
consumed lazily so only one partition is in memory at a time. Problems found before GX can run
(unreadable file, checksum mismatch) are reported as failures of the same summary.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ghtrader.quality.gx.datadocs import build_docs, make_context, safe_name

MAX_EXAMPLES = 3


class DataQualityError(Exception):
    """A readiness gate failed; ``summary`` holds the JSON-able details, the message is readable."""

    def __init__(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        super().__init__(format_summary(summary))


@dataclass(frozen=True)
class Batch:
    """One partition (or the coverage table) to validate with ``suite``."""

    label: str
    suite: str
    frame: pd.DataFrame


@dataclass(frozen=True)
class Problem:
    """A partition that could not be validated (integrity or read failure)."""

    label: str
    rule: str
    message: str


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _failures(label: str, result: Any) -> list[dict[str, Any]]:
    out = []
    for er in result.results:
        if er.success:
            continue
        cfg = er.expectation_config
        res = er.result or {}
        column = cfg.kwargs.get("column") or "/".join(
            str(cfg.kwargs[k]) for k in ("column_A", "column_B") if k in cfg.kwargs
        )
        exc = (er.exception_info or {}).get("exception_message") if er.exception_info else None
        out.append(
            {
                "partition": label,
                "rule": (cfg.meta or {}).get("rule", cfg.type),
                "expectation": cfg.type,
                "column": column or None,
                "unexpected_count": res.get("unexpected_count"),
                "element_count": res.get("element_count"),
                "observed_value": _jsonable(res.get("observed_value")),
                "examples": _jsonable(list(res.get("partial_unexpected_list") or [])[:MAX_EXAMPLES]),
                "message": exc,
            }
        )
    return out


def run_suites(
    dataset: str,
    suites: Mapping[str, Any],
    batches: Iterable[Batch | Problem],
    *,
    site: Path | None = None,
    run_time: dt.datetime | None = None,
) -> dict[str, Any]:
    """Validate every batch with its suite; return the summary (``success`` False on any failure)."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    t0 = time.perf_counter()
    run_time = run_time or dt.datetime.now(dt.UTC)
    context = make_context(site)
    asset = context.data_sources.add_pandas(f"{dataset}_source").add_dataframe_asset(dataset)
    definitions = {}
    for key, suite in suites.items():
        bd = asset.add_batch_definition_whole_dataframe(f"{key}_whole")
        added = context.suites.add(suite)
        definitions[key] = context.validation_definitions.add(
            gx.ValidationDefinition(data=bd, suite=added, name=f"{dataset}:{key}")
        )
    failures: list[dict[str, Any]] = []
    checked = rows = 0
    failed: set[str] = set()
    for batch in batches:
        checked += 1
        if isinstance(batch, Problem):
            failures.append({"partition": batch.label, "rule": batch.rule, "message": batch.message})
            failed.add(batch.label)
            continue
        rows += len(batch.frame) if batch.suite == dataset else 0
        result = definitions[batch.suite].run(
            batch_parameters={"dataframe": batch.frame},
            result_format="SUMMARY",
            run_id=RunIdentifier(run_name=safe_name(batch.label), run_time=run_time),
        )
        bad = _failures(batch.label, result)
        if bad:
            failures += bad
            failed.add(batch.label)
    docs = build_docs(context, site) if site is not None else None
    return {
        "dataset": dataset,
        "success": not failures,
        "run_time": run_time.isoformat(),
        "partitions_checked": checked,
        "partitions_failed": sorted(failed),
        "rows": rows,
        "failures": failures,
        "docs": str(docs) if docs is not None else None,
        "seconds": round(time.perf_counter() - t0, 3),
    }


def describe(failure: dict[str, Any]) -> str:
    """One readable line: partition, rule, expectation, how many rows, examples."""
    text = f"{failure['partition']}: {failure['rule']}"
    if failure.get("expectation"):
        text += f" ({failure['expectation']}"
        text += f" on {failure['column']})" if failure.get("column") else ")"
    if failure.get("unexpected_count") is not None:
        text += f": {failure['unexpected_count']} of {failure['element_count']} rows"
        if failure.get("examples"):
            text += f", e.g. {failure['examples']}"
    elif failure.get("observed_value") is not None:
        text += f": observed {failure['observed_value']}"
    if failure.get("message"):
        text += f": {failure['message']}"
    return text


def format_summary(summary: dict[str, Any]) -> str:
    """Multi-line report of a failed (or passed) run, naming every failed expectation and partition."""
    failed = summary.get("partitions_failed", [])
    head = (
        f"data quality {'passed' if summary.get('success') else 'FAILED'} for {summary.get('dataset')}: "
        f"{len(failed)} of {summary.get('partitions_checked', 0)} partitions failed"
    )
    lines = [head, *("  " + describe(f) for f in summary.get("failures", []))]
    if summary.get("docs"):
        lines.append(f"  data docs: {summary['docs']}")
    return "\n".join(lines)


def raise_on_failure(summary: dict[str, Any]) -> dict[str, Any]:
    """Return ``summary`` when it passed, else raise ``DataQualityError`` with it."""
    if not summary["success"]:
        raise DataQualityError(summary)
    return summary
