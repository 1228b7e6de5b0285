"""What every ghTrader Airflow task shares: fail-without-retry on bad input, quiet libraries,
readable map indexes and the promotion verdict as a task state.

DAG files stay thin: each task body is ``return run_step(fn, *args)`` with ``fn`` a
``ghtrader.pipeline.steps`` function. Airflow is imported lazily (only inside a running task).

Trap: Airflow retries every exception, but a bad parameter or a failed data-quality gate is
deterministic — retrying it only burns minutes. Those become ``AirflowFailException`` (no retry);
anything else (a network blip, a killed worker) keeps the DAG's retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

#: Loggers that flood the scheduler/worker logs at INFO (GX alone was ~80% of all lines).
NOISY_LOGGERS = ("great_expectations", "great_expectations.core", "great_expectations.data_context", "numba")


def quiet_libraries(level: int = logging.WARNING) -> None:
    """Raise noisy third-party loggers to ``level`` (their own logger level, not a handler filter)."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(level)


def bad_input_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that cannot succeed on retry: invalid params/data and failed quality gates."""
    from ghtrader.quality.gx.runner import DataQualityError

    return (ValueError, DataQualityError)


def run_step(fn: Callable[..., Any], *args: Any, label: str | None = None, **kwargs: Any) -> Any:
    """Run one pipeline step inside an Airflow task and record its outcome in the run ledger.

    Deterministic failures (bad input, failed gates) fail the task at once, without retries. The
    ledger entry (``ghtrader.pipeline.ledger``) is written on success and on failure, so the
    dashboard shows failed gates too. ``label`` names a mapped instance (contract, model).
    """
    from airflow.sdk.exceptions import AirflowFailException

    quiet_libraries()
    if label is not None:
        label_map_index(label)
    try:
        result = fn(*args, **kwargs)
    except bad_input_errors() as exc:
        _ledger(args, None, "failed", label, error=f"{type(exc).__name__}: {exc}")
        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        _ledger(args, None, "failed", label, error=f"{type(exc).__name__}: {exc}")
        raise
    _ledger(args, result, "success", label)
    return result


def _ledger(args: tuple[Any, ...], result: Any, state: str, label: str | None, error: str = "") -> None:
    """Best effort: a ledger write must never change the task's outcome."""
    from ghtrader.pipeline.ledger import record
    from ghtrader.pipeline.steps import RunSpec

    spec = args[0] if args and isinstance(args[0], RunSpec) else None
    if spec is None and isinstance(result, Mapping) and {"var", "start", "end", "runs_dir"} <= set(result):
        spec = RunSpec.from_params(result)  # resolve: its result is the spec
    if spec is None:
        return
    try:
        from airflow.sdk import get_current_context

        ctx = get_current_context()
        ti = ctx["ti"]
        entry = {
            "state": state,
            "dag_id": ti.dag_id,
            "run_id": ti.run_id,
            "try_number": ti.try_number,
            "result": result,
            "error": error[:4000],
        }
        record(spec.runs_dir, spec.var, str(spec.start), str(spec.end), ti.task_id, entry, label=label)
    except Exception as exc:  # noqa: BLE001
        logging.getLogger(__name__).warning("run ledger not written: %s", exc)


def label_map_index(label: str) -> None:
    """Name the running mapped task instance (shown instead of 0..N in the grid).

    Sets a variable of the task's live context, which Airflow renders through ``map_index_template``.
    """
    from airflow.sdk import get_current_context

    get_current_context()["ghtrader_label"] = label  # type: ignore[typeddict-unknown-key]


MAP_INDEX_TEMPLATE = "{{ ghtrader_label }}"


def verdict(decision: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return a promotion decision when promoted; otherwise end the task as *skipped* with the reasons.

    A kept champion is a normal outcome (the run succeeds) but must be visible in the grid at a
    glance, so "not promoted" is the skipped state; the decision is also in the decisions log and on
    the ghTrader dashboard.
    """
    from airflow.sdk.exceptions import AirflowSkipException

    if decision.get("promote"):
        return decision
    reasons = "; ".join(str(r) for r in decision.get("reasons", [])) or "gates not met"
    raise AirflowSkipException(f"not promoted (champion kept): {reasons}")
