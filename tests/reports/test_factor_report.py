"""``ghtrader factors report``: HTML with plots + JSON over a sim range with a roll, and its links."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from ghtrader.cli.main import app
from ghtrader.evaluation.session import factor_report_links
from ghtrader.features.sets import feature_set
from ghtrader.pipeline.web import list_reports

SYMBOL = "KQ.m@SHFE.cu"


def test_factor_report_full_set(sim_data_dir: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    args = ["factors", "report", "--var", "cu", "--start", "2025-03-12", "--end", "2025-03-14"]
    args += ["--set", "full", "--max-rows", "15000", "--data-dir", str(sim_data_dir), "--runs-dir", str(runs)]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["set_hash"] == feature_set("full").hash and summary["count"] >= 200
    assert summary["days"] == 3 and summary["start"] == "2025-03-12" and summary["end"] == "2025-03-14"
    doc = json.loads(Path(summary["json"]).read_text())
    assert doc["horizons"] == [10, 50, 200] and len(doc["factors"]) == summary["count"]
    f = {r["name"]: r for r in doc["factors"]}
    imb = f["f_imb_l1"]
    assert set(imb["rank_ic"]) == {"10", "50", "200"} and imb["rank_ic"]["50"] > 0.05  # sim book pressure
    assert len(imb["split_rank_ic"]) == 3 and imb["ac1"] is not None and 0 <= imb["nan_rate"] < 0.01
    assert doc["top"] and set(doc["decay"]) <= set(doc["top"]) and len(doc["splits"]) == 3
    assert any("f_imb_l1" in c for c in doc["clusters"])  # imb_l1 and its window means correlate
    assert set(doc["families"]) >= {"ofi", "returns", "impact", "time"}
    assert f["f_ret_120s"]["nan_rate"] > f["f_ret_5s"]["nan_rate"]  # longer warm-up after the roll
    page = Path(summary["report"]).read_text()
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 6
    for section in ("Top factors", "IC decay", "Per-split stability", "turnover", "Correlation clusters"):
        assert section in page
    rel = str(Path(summary["report"]).relative_to(runs))
    assert rel in list_reports(runs)["reports"]  # the Airflow UI's report index lists it
    eval_dir = runs / "reports" / SYMBOL / "abc123"
    link = factor_report_links(runs, SYMBOL, eval_dir)["Factor analysis report"]
    assert (eval_dir / link).resolve() == Path(summary["report"]).resolve()
