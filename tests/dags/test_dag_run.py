"""``dag.test()`` of ghtrader_cu on a tiny range, a rerun, and a run stopped by an injected bad day."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ghtrader.store.lake import ParquetLake
from ghtrader.testing.faults import inject_bad_day

CONF = {
    "start": "2025-03-13",
    "end": "2025-03-21",
    "source": "sim",
    "symbols": "SHFE.cu2504,SHFE.cu2505",
    "n_splits": 2,
    "min_train_days": 3,
    # the ladder from params: a tiny deep model keeps the test quick
    "models": "logistic,lgbm,tcn",
    "model_params": '{"tcn": {"seq_len": 12, "epochs": 1, "max_train_windows": 300, "arch": {"channels": 8, "levels": 2}}}',
}


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "_lock"
    }


def _states(dr) -> dict[str, set[str]]:  # noqa: ANN001
    out: dict[str, set[str]] = {}
    for ti in dr.get_task_instances():
        out.setdefault(ti.task_id, set()).add(str(ti.state))
    return out


@pytest.fixture(scope="module")
def good_run(dagbag, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN001, ANN201
    d = tmp_path_factory.mktemp("dagrun")
    conf = CONF | {"data_dir": str(d / "data"), "runs_dir": str(d / "runs")}
    dag = dagbag.get_dag("ghtrader_cu")
    dr = dag.test(run_conf=conf)
    return dag, conf, d, dr


def test_tiny_range_succeeds_end_to_end(good_run) -> None:  # noqa: ANN001
    _, _, d, dr = good_run
    assert str(dr.state) == "success", _states(dr)
    latest = json.loads((d / "runs" / "reports" / "latest_cu.json").read_text())
    assert Path(latest["report"]).is_file()
    assert {r["name"] for r in latest["table"]} >= {"logistic", "lgbm", "tcn", "majority", "oracle"}
    decisions = (d / "runs" / "promotion" / "cu" / "decisions.jsonl").read_text().splitlines()
    assert len(decisions) == 1 and json.loads(decisions[0])["reasons"]
    lake = ParquetLake(d / "data" / "lake_v2")
    assert lake.symbols("ticks") == ["SHFE.cu2504", "SHFE.cu2505"]
    assert len(lake.days("main_l5", "KQ.m@SHFE.cu")) == 7


def test_run_is_on_the_dashboard_with_dq_metrics_promotion_and_report(good_run) -> None:  # noqa: ANN001
    from ghtrader.pipeline.dashboard import dashboard_html
    from ghtrader.pipeline.ledger import read_rows

    _, conf, d, dr = good_run
    runs = d / "runs"
    (row,) = [r for r in read_rows(runs) if (r.var, r.start, r.end) == ("cu", conf["start"], conf["end"])]
    assert dr.run_id in row.run_ids
    assert row.dq == "pass"
    assert set(row.models) == {"logistic", "lgbm", "tcn"} and all(
        isinstance(v, float) for v in row.models.values()
    )
    decision = json.loads((runs / "promotion" / "cu" / "decisions.jsonl").read_text().splitlines()[-1])
    assert row.promotion is not None and row.promotion["promote"] == decision["promote"]
    # a kept champion is visible in the grid as a skipped promote task; a promotion as success
    assert _states(dr)["promote"] == ({"success"} if decision["promote"] else {"skipped"})
    page = dashboard_html(runs, dag_id="ghtrader_cu", run_id=dr.run_id)
    assert page.count('<tr class="run"') == 1
    assert "PROMOTED" in page if decision["promote"] else "not promoted" in page
    assert 'href="files/reports/' in page and '<td class="ok">pass</td>' in page
    assert '<tr class="champion"><td>cu</td>' in page
    assert dashboard_html(runs, dag_id="ghtrader_au").count('<tr class="run"') == 0
    mapped = {ti.rendered_map_index for ti in dr.get_task_instances() if ti.task_id == "ingest"}
    assert mapped == {"SHFE.cu2504", "SHFE.cu2505"}


def test_too_short_range_fails_in_the_first_task_without_retry(dagbag, tmp_path: Path) -> None:  # noqa: ANN001
    import time

    dag = dagbag.get_dag("ghtrader_cu")
    conf = CONF | {
        "start": "2025-03-17",
        "end": "2025-03-19",
        "data_dir": str(tmp_path / "d"),
        "runs_dir": str(tmp_path / "r"),
    }
    t0 = time.perf_counter()
    dr = dag.test(run_conf=conf)
    assert time.perf_counter() - t0 < 30
    (resolve,) = [ti for ti in dr.get_task_instances() if ti.task_id == "resolve"]
    assert str(resolve.state) == "failed" and resolve.try_number == 1
    assert str(dr.state) == "failed"
    assert not (tmp_path / "d").exists()  # nothing was ingested


def test_rerun_leaves_lake_unchanged_and_metrics_identical(good_run) -> None:  # noqa: ANN001
    dag, conf, d, _ = good_run
    lake_before = _files(d / "data" / "lake_v2")
    latest = json.loads((d / "runs" / "reports" / "latest_cu.json").read_text())
    metrics_before = (Path(latest["report"]).parent / "metrics.json").read_bytes()
    dr = dag.test(run_conf=conf)
    assert str(dr.state) == "success"
    assert _files(d / "data" / "lake_v2") == lake_before
    again = json.loads((d / "runs" / "reports" / "latest_cu.json").read_text())
    assert again["report"] == latest["report"]
    assert (Path(again["report"]).parent / "metrics.json").read_bytes() == metrics_before


def test_injected_bad_day_fails_the_gx_task_and_trains_nothing(good_run, tmp_path: Path) -> None:  # noqa: ANN001
    dag, conf, d, _ = good_run
    inject_bad_day(d / "data" / "lake_v2", "SHFE.cu2505", dt.date(2025, 3, 18))
    runs = tmp_path / "runs"
    dr = dag.test(run_conf=conf | {"runs_dir": str(runs)})
    states = _states(dr)
    assert str(dr.state) == "failed"
    assert "failed" in states["gx_ticks"]
    for downstream in ("schedule", "main_l5", "build", "train", "evaluate", "promote"):
        assert states[downstream] <= {"upstream_failed", "None"}, (downstream, states[downstream])
    assert not (runs / "models").exists()
    docs = list((runs / "gx" / "ticks").rglob("summary.json"))
    failed = [json.loads(p.read_text()) for p in docs]
    assert any("SHFE.cu2505/date=2025-03-18" in json.dumps(s) for s in failed)
