"""DagBag import check: three variety DAGs from one factory, thin and correctly configured."""

from __future__ import annotations

import ast
from pathlib import Path

from ghtrader.pipeline.airflow_env import REPO
from ghtrader.pipeline.steps import RunSpec
from ghtrader.promotion.gates import NIGHTLY_MIN_TIER2_NET_PNL

EXPECTED = {"ghtrader_cu", "ghtrader_au", "ghtrader_ag"}
CHAIN = [
    "resolve",
    "plan",
    "ingest",
    "gx_ticks",
    "schedule",
    "main_l5",
    "gx_main_l5",
    "build",
    "gx_dataset",
    "train",
    "evaluate",
    "promote",
]


def test_no_import_errors_and_three_dags(dagbag) -> None:  # noqa: ANN001
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) >= EXPECTED


def test_dag_shape_tags_retries_pool(dagbag) -> None:  # noqa: ANN001
    for dag_id in EXPECTED:
        dag = dagbag.get_dag(dag_id)
        var = dag_id.split("_")[1]
        assert {"ghtrader", var} <= set(dag.tags)
        assert dag.schedule is not None and dag.catchup is False
        for task in dag.tasks:
            assert task.retries >= 1, task.task_id
        assert dag.get_task("ingest").pool == "tqsdk"
        # one GX gate over every ingested contract (batched validation), not one mapped task each
        assert dag.get_task("ingest").is_mapped and not dag.get_task("gx_ticks").is_mapped
        ids = {t.task_id for t in dag.tasks}
        assert set(CHAIN) <= ids
        # the pipeline order is enforced by dependencies
        for a, b in zip(CHAIN[2:], CHAIN[3:], strict=False):
            assert a in dag.get_task(b).upstream_task_ids, (a, b)
        assert set(dag.params.keys()) >= {"start", "end", "source"}
        # nightly runs gate promotion on tier-2 net PnL after fees (the same default as RunSpec)
        assert dag.params["min_tier2_net_pnl"] == NIGHTLY_MIN_TIER2_NET_PNL == RunSpec.min_tier2_net_pnl


def test_dag_file_is_thin() -> None:
    """Only light imports at module level; heavy ones live inside tasks."""
    tree = ast.parse(Path(REPO / "dags" / "ghtrader_pipeline.py").read_text())
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    modules = {(n.module or "") if isinstance(n, ast.ImportFrom) else n.names[0].name for n in top}
    light = {"ghtrader.pipeline.airflow_tasks", "ghtrader.pipeline.alerts"}  # stdlib-only task helpers
    assert modules <= {"__future__", "datetime", "pendulum", "airflow.sdk"} | light, modules
    import subprocess
    import sys

    code = "import sys, ghtrader.pipeline.airflow_tasks, ghtrader.pipeline.alerts; "
    code += "print(sorted(m for m in ('pandas','numpy','pyarrow','great_expectations','torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_ops_settings_timeouts_alerts_pools_docs(dagbag) -> None:  # noqa: ANN001
    from ghtrader.pipeline.alerts import on_failure

    def cbs(x: object) -> list:
        return list(x) if isinstance(x, (list, tuple)) else [x]

    for dag_id in EXPECTED:
        dag = dagbag.get_dag(dag_id)
        var = dag_id.split("_")[1]
        assert dag.doc_md and f"ghtrader_{var}" in dag.doc_md and "backfill" in dag.doc_md
        assert dag.dagrun_timeout is not None and on_failure in cbs(dag.on_failure_callback)
        tasks = {t.task_id: t for t in dag.tasks}
        assert [t for t in CHAIN if t not in tasks] == []
        for t in dag.tasks:
            assert t.execution_timeout is not None, t.task_id
            assert t.pool == ("tqsdk" if t.task_id == "ingest" else f"ghtrader_{var}"), t.task_id
        for mapped in ("ingest", "train"):
            assert tasks[mapped].map_index_template == "{{ ghtrader_label }}"
        assert on_failure in cbs(tasks["train"].on_failure_callback)
