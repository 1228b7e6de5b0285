"""Issue-3 acceptance through the CLI: 20 sim days -> main-schedule -> main-l5 -> build."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ghtrader.cli.main import app

runner = CliRunner()


def _json(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def lake20(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("d20")
    _json(
        "download",
        "--source",
        "sim",
        "--var",
        "cu",
        "--start",
        "2025-03-03",
        "--end",
        "2025-03-28",
        "--data-dir",
        str(d),
    )
    return d


def test_schedule_main_l5_build(lake20: Path) -> None:
    d = str(lake20)
    sched = _json("main-schedule", "--var", "cu", "--data-dir", d)
    assert sched["days"] == 20 and len(sched["switches"]) >= 1
    main = _json("main-l5", "--var", "cu", "--data-dir", d)
    assert main["days"] == 20 and main["missing_days"] == []
    root = lake20 / "lake_v2" / "main_l5" / "ticks" / "symbol=KQ.m@SHFE.cu"
    import pyarrow as pa

    table = pa.concat_tables(
        pq.read_table(p, columns=["segment_id", "underlying_contract"])
        for p in sorted(root.glob("date=*/part-*.parquet"))
    )
    assert len(pc.unique(table["segment_id"])) >= 2
    assert len(pc.unique(table["underlying_contract"])) >= 2
    built = _json("build", "--symbol", "KQ.m@SHFE.cu", "--data-dir", d)
    assert len(built["features"]["built"]) == 20 and built["features"]["rows"] == main["rows"]
    assert len(built["labels"]["built"]) == 20
    again = _json("build", "--symbol", "KQ.m@SHFE.cu", "--data-dir", d)
    assert again["features"]["built"] == [] and again["features"]["skipped"] == 20


def test_changed_label_config_needs_overwrite(lake20: Path) -> None:
    d = str(lake20)
    _json("main-schedule", "--var", "cu", "--data-dir", d)
    _json("main-l5", "--var", "cu", "--data-dir", d)
    _json("build", "--symbol", "KQ.m@SHFE.cu", "--data-dir", d)
    result = runner.invoke(app, ["build", "--symbol", "KQ.m@SHFE.cu", "--data-dir", d, "--horizons", "10,20"])
    assert result.exit_code == 1 and "--overwrite" in result.output
    out = _json("build", "--symbol", "KQ.m@SHFE.cu", "--data-dir", d, "--horizons", "10,20", "--overwrite")
    assert len(out["labels"]["built"]) == 20
