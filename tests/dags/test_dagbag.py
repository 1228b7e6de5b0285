"""DagBag import check: three variety DAGs from one factory, thin and correctly configured."""

from __future__ import annotations

import ast
from pathlib import Path

from ghtrader.pipeline.airflow_env import REPO

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


def test_dag_file_is_thin() -> None:
    """Only light imports at module level; heavy ones live inside tasks."""
    tree = ast.parse(Path(REPO / "dags" / "ghtrader_pipeline.py").read_text())
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    modules = {(n.module or "") if isinstance(n, ast.ImportFrom) else n.names[0].name for n in top}
    assert modules <= {"__future__", "datetime", "pendulum", "airflow.sdk"}, modules
