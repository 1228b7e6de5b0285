"""Run GX suites over lake partitions and turn the results into a readable, JSON-able summary.

One ephemeral context per call: one pandas data source, one whole-dataframe batch definition per
suite. Partitions are validated in *batches*: ``batched`` stacks consecutive partitions of a suite
into one frame (up to ``max_rows``), so a 20-day range is one validation per suite instead of one
per day (GX's per-validation overhead, not the row count, dominated: ~1 s per day). Value rules are
aggregates on the fast path (see ``suites._at_least``). When a batch fails, only its failed
expectations are re-run, in row-level form, on each partition slice, so the summary still names the
failing partition, its own row counts and example values (the fast path pays nothing for this). Problems found
before GX can run (unreadable file, checksum mismatch) are reported as failures of the same summary.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ghtrader.quality.gx.datadocs import build_docs, make_context, safe_name
from ghtrader.quality.gx.failures import failed_results, failure_records, format_summary


class DataQualityError(Exception):
    """A readiness gate failed; ``summary`` holds the JSON-able details, the message is readable."""

    def __init__(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        super().__init__(format_summary(summary))


MAX_BATCH_ROWS = 1_500_000  # rows stacked into one validation (~0.5 GB of ticks in pandas)


@dataclass(frozen=True)
class Part:
    """Rows ``start:stop`` of a batch's frame belong to partition ``label``."""

    label: str
    start: int
    stop: int


@dataclass(frozen=True)
class Batch:
    """Rows to validate with ``suite``: one partition (``parts`` empty) or several back to back."""

    label: str
    suite: str
    frame: pd.DataFrame
    parts: tuple[Part, ...] = ()

    @property
    def partitions(self) -> tuple[Part, ...]:
        return self.parts or (Part(self.label, 0, len(self.frame)),)


@dataclass(frozen=True)
class Problem:
    """A partition that could not be validated (integrity or read failure)."""

    label: str
    rule: str
    message: str


def _stack(suite: str, batches: list[Batch]) -> Batch:
    if len(batches) == 1:
        return batches[0]
    parts, start = [], 0
    for b in batches:
        parts += [Part(p.label, start + p.start, start + p.stop) for p in b.partitions]
        start += len(b.frame)
    frames = [b.frame for b in batches]
    for col, dtype in frames[0].dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):  # union the categories, or concat falls back to object
            cats = pd.api.types.union_categoricals([f[col] for f in frames if col in f]).categories
            frames = [
                f.assign(**{str(col): f[col].cat.set_categories(cats)}) if col in f else f for f in frames
            ]
    frame = pd.concat(frames, ignore_index=True)
    label = f"{parts[0].label}..{parts[-1].label}"
    return Batch(label, suite, frame, tuple(parts))


def batched(items: Iterable[Batch | Problem], max_rows: int = MAX_BATCH_ROWS) -> Iterator[Batch | Problem]:
    """Stack consecutive batches of the same suite into one, up to ``max_rows`` rows; problems pass through."""
    pending: dict[str, list[Batch]] = {}
    rows: dict[str, int] = {}
    for item in items:
        if isinstance(item, Problem):
            yield item
            continue
        held = pending.setdefault(item.suite, [])
        if held and rows[item.suite] + len(item.frame) > max_rows:
            yield _stack(item.suite, held)
            held.clear()
            rows[item.suite] = 0
        held.append(item)
        rows[item.suite] = rows.get(item.suite, 0) + len(item.frame)
    for suite, held in pending.items():
        if held:
            yield _stack(suite, held)


def _row_level(config: Any) -> Any:
    """The row-level (column-map) form of a failed aggregate, for counts and example rows.

    The fast path checks "every value >= x" and "all True" as a column minimum; on a
    failure the partition slices are re-checked with the map form, so the summary still says how
    many rows failed and shows some of them. Other expectations are re-run as they are.
    """
    import great_expectations as gx

    kw = dict(config.kwargs)
    meta = config.meta
    if config.type == "expect_column_min_to_be_between" and (meta or {}).get("row_form") == "true":
        return gx.expectations.ExpectColumnValuesToBeInSet(column=kw["column"], value_set=[True], meta=meta)
    if config.type == "expect_column_min_to_be_between":
        return gx.expectations.ExpectColumnValuesToBeBetween(
            column=kw["column"], min_value=kw["min_value"], meta=meta
        )
    exp = config.to_domain_obj()
    exp.id = None
    return exp


def _recheck(
    context: Any, definition: Any, result: Any, batch: Batch, run_time: dt.datetime
) -> list[dict[str, Any]]:
    """Re-run only the failed expectations (row-level form) on each partition slice of a failed batch."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    failed = [_row_level(er.expectation_config) for er in failed_results(result)]
    name = f"{definition.name}:recheck:{len(context.suites.all())}"
    suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=failed))
    vd = context.validation_definitions.add(
        gx.ValidationDefinition(data=definition.data, suite=suite, name=name)
    )
    out: list[dict[str, Any]] = []
    for part in batch.partitions:
        sub = vd.run(
            batch_parameters={"dataframe": batch.frame.iloc[part.start : part.stop].reset_index(drop=True)},
            result_format="SUMMARY",
            run_id=RunIdentifier(run_name=safe_name(part.label), run_time=run_time),
        )
        out += failure_records(part.label, sub)
    return out or failure_records(batch.label, result)  # an aggregate no single partition fails on its own


def run_suites(
    dataset: str,
    suites: Mapping[str, Any],
    batches: Iterable[Batch | Problem],
    *,
    site: Path | None = None,
    run_time: dt.datetime | None = None,
    max_rows: int = MAX_BATCH_ROWS,
) -> dict[str, Any]:
    """Validate every batch with its suite; return the summary (``success`` False on any failure).

    Consecutive batches of a suite are stacked (see ``batched``); ``partitions_checked`` counts
    partitions (and coverage tables), ``validations`` the GX validation runs.
    """
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
    checked: set[str] = set()
    rows = validations = 0
    for batch in batched(batches, max_rows):
        if isinstance(batch, Problem):
            failures.append({"partition": batch.label, "rule": batch.rule, "message": batch.message})
            checked.add(batch.label)
            continue
        checked.update(p.label for p in batch.partitions)
        rows += len(batch.frame) if batch.suite == dataset else 0
        validations += 1
        result = definitions[batch.suite].run(
            batch_parameters={"dataframe": batch.frame},
            result_format="SUMMARY",
            run_id=RunIdentifier(run_name=safe_name(batch.label), run_time=run_time),
        )
        if result.success or not failed_results(result):
            continue
        failures += _recheck(context, definitions[batch.suite], result, batch, run_time)
    docs = build_docs(context, site) if site is not None else None
    return {
        "dataset": dataset,
        "success": not failures,
        "run_time": run_time.isoformat(),
        "partitions_checked": len({_partition(label) for label in checked}),
        "partitions_failed": sorted({_partition(f["partition"]) for f in failures}),
        "validations": validations,
        "rows": rows,
        "failures": failures,
        "docs": str(docs) if docs is not None else None,
        "seconds": round(time.perf_counter() - t0, 3),
    }


def _partition(label: str) -> str:
    """``features/symbol=X/date=D/features_nan`` -> ``features/symbol=X/date=D`` (one partition, many suites)."""
    head, _, tail = label.rpartition("/")
    return head if head and "=" not in tail and ".." not in tail else label


def raise_on_failure(summary: dict[str, Any]) -> dict[str, Any]:
    """Return ``summary`` when it passed, else raise ``DataQualityError`` with it."""
    if not summary["success"]:
        raise DataQualityError(summary)
    return summary
