"""GX validation results -> the summary's failure records and readable lines.

A failure record names the partition, the rule, the expectation and column, the unexpected and
element counts, the observed value and up to ``MAX_EXAMPLES`` example values, all JSON-able.
"""

from __future__ import annotations

import json
from typing import Any

MAX_EXAMPLES = 3


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


AGGREGATES = frozenset({"expect_column_min_to_be_between"})


def failed_results(result: Any) -> list[Any]:
    """Failed expectation results, except aggregates over no present value (all-null or empty column).

    Such a column has no minimum/mean (observed ``None``); the rule ("every present value ...") holds
    vacuously, exactly as the column-map form it replaces would have passed.
    """
    out = []
    for er in result.results:
        if er.success:
            continue
        vacuous = (
            er.expectation_config.type in AGGREGATES
            and (er.result or {}).get("observed_value") is None
            and not (er.exception_info or {}).get("raised_exception", False)
        )
        if not vacuous:
            out.append(er)
    return out


def failure_records(label: str, result: Any) -> list[dict[str, Any]]:
    out = []
    for er in failed_results(result):
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
