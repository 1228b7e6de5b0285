"""GX readiness gates on a small sim lake: clean data passes, each injected defect fails by name."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ghtrader.quality.gx import DataQualityError, QualityParams
from ghtrader.quality.readiness import features_ready, labels_ready, main_l5_ready, ticks_ready
from ghtrader.store.lake import ParquetLake
from ghtrader.testing.faults import inject_bad_day
from tests.quality.conftest import SIM_CONTRACTS, SIM_DAYS

MAIN = "KQ.m@SHFE.cu"
BAD_DAY = SIM_DAYS[1]
RUN_TIME = dt.datetime(2025, 3, 5, tzinfo=dt.UTC)


def _lake(data: Path) -> Path:
    return data / "lake_v2"


def test_clean_lake_passes_every_gate_and_writes_data_docs(sim_lake_master: Path, tmp_path: Path) -> None:
    lake = _lake(sim_lake_master)
    days = list(SIM_DAYS)
    results = [
        ticks_ready(lake, SIM_CONTRACTS, days, tmp_path, run_time=RUN_TIME),
        main_l5_ready(lake, MAIN, days, tmp_path, run_time=RUN_TIME),
        features_ready(lake, MAIN, days, tmp_path, run_time=RUN_TIME),
        labels_ready(lake, MAIN, days, tmp_path, run_time=RUN_TIME),
    ]
    for res in results:
        assert res["success"] and res["failures"] == []
        docs = Path(res["docs"])
        assert docs.is_file() and docs.parent.parent.parent == tmp_path / "gx"
        pages = list((docs.parent / "validations").rglob("*.html"))
        assert len(pages) == res["validations"]  # one GX validation page per stacked batch
        # one validation per suite for the whole range (coverage, rows, per-partition stats), not per day
        assert res["validations"] == {"ticks": 2, "main_l5": 2, "features": 3, "labels": 3}[res["dataset"]]
        assert json.loads(Path(res["summary_path"]).read_text())["success"] is True
    assert results[0]["partitions_checked"] == 2 + 2 * 2  # coverage per symbol + 4 partitions
    assert results[0]["rows"] == sum(
        ParquetLake(lake).manifest("ticks", s, d).rows for s in SIM_CONTRACTS for d in SIM_DAYS
    )
    page = next((Path(results[0]["docs"]).parent / "validations").rglob("*.html")).read_text()
    assert "expect_column_pair_values_a_to_be_greater_than_b" in page or "greater than" in page
    # Data Docs render offline: no asset is fetched from a CDN, every local link resolves
    from ghtrader.quality.gx.offline import remote_links

    site = Path(results[0]["docs"]).parent
    assert remote_links(site) == []
    idx = Path(results[0]["docs"])
    local = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(\.\./[^"]+)"', idx.read_text())
    assert len(local) >= 15 and all((idx.parent / ref).resolve().is_file() for ref in local)


def test_injected_bad_day_fails_ticks_gate_naming_partition_and_rules(sim_lake: Path, tmp_path: Path) -> None:
    lake = _lake(sim_lake)
    inject_bad_day(lake, "SHFE.cu2505", BAD_DAY, kind="crossed_book", row=100)
    inject_bad_day(lake, "SHFE.cu2505", BAD_DAY, kind="decreasing_volume", row=200)
    assert ParquetLake(lake).verify("ticks", "SHFE.cu2505", BAD_DAY) == []  # checksums stay consistent
    n = ParquetLake(lake).manifest("ticks", "SHFE.cu2505", BAD_DAY).rows
    with pytest.raises(DataQualityError) as info:
        ticks_ready(lake, SIM_CONTRACTS, list(SIM_DAYS), tmp_path, run_time=RUN_TIME)
    text = str(info.value)
    part = f"ticks/symbol=SHFE.cu2505/date={BAD_DAY.isoformat()}"
    assert f"{part}: ask1_ge_bid1 (expect_column_pair_values_a_to_be_greater_than_b" in text
    assert (
        f"{part}: cumulative_volume_non_decreasing (expect_column_values_to_be_between on gx_volume_step)"
        in text
    )
    assert f"1 of {n} rows" in text
    summary = info.value.summary
    assert summary["partitions_failed"] == [part]
    assert {f["rule"] for f in summary["failures"]} == {"ask1_ge_bid1", "cumulative_volume_non_decreasing"}
    assert Path(summary["docs"]).is_file()  # the failing run's Data Docs are still written
    # the other days and contracts pass: validating the good day alone succeeds
    assert ticks_ready(lake, ["SHFE.cu2505"], [SIM_DAYS[0]], tmp_path)["success"]


def test_main_l5_gate_catches_content_and_schedule_mismatch(sim_lake: Path, tmp_path: Path) -> None:
    lake = _lake(sim_lake)
    inject_bad_day(lake, MAIN, BAD_DAY, dataset="main_l5", kind="crossed_book")
    with pytest.raises(
        DataQualityError, match=r"main_l5/symbol=KQ\.m@SHFE\.cu/date=2025-03-04: ask1_ge_bid1"
    ):
        main_l5_ready(lake, MAIN, list(SIM_DAYS), tmp_path)


def test_coverage_fails_on_a_missing_trading_day(sim_lake: Path, tmp_path: Path) -> None:
    lake = _lake(sim_lake)
    (ParquetLake(lake).partition_dir("ticks", "SHFE.cu2504", BAD_DAY) / "_manifest.json").unlink()
    with pytest.raises(DataQualityError) as info:
        ticks_ready(lake, SIM_CONTRACTS, list(SIM_DAYS), tmp_path)
    (fail,) = info.value.summary["failures"]
    assert fail["rule"] == "trading_day_coverage" and fail["unexpected_count"] == 1
    assert fail["examples"] == ["missing"] and fail["partition"].startswith("coverage/symbol=SHFE.cu2504/")


def test_integrity_failure_is_reported_before_content(sim_lake: Path, tmp_path: Path) -> None:
    lake = _lake(sim_lake)
    pdir = ParquetLake(lake).partition_dir("ticks", "SHFE.cu2504", BAD_DAY)
    data = next(pdir.glob("*.parquet"))
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))
    with pytest.raises(DataQualityError, match="integrity: .*sha256 differs from manifest"):
        ticks_ready(lake, ["SHFE.cu2504"], [BAD_DAY], tmp_path)


def test_label_class_bounds_are_parameters(sim_lake_master: Path, tmp_path: Path) -> None:
    lake = _lake(sim_lake_master)
    strict = QualityParams(class_bounds=((10, 0.02, 0.96),))
    with pytest.raises(DataQualityError) as info:
        labels_ready(lake, MAIN, list(SIM_DAYS), tmp_path, params=strict)
    rules = {f["rule"] for f in info.value.summary["failures"]}
    assert "class_share: y_10 FLAT" in rules  # sim cu: ~99% FLAT at 10 ticks
    assert all(r.startswith("class_share: y_10 ") for r in rules)  # 50/200 keep the loose defaults


def test_feature_nan_bound_is_a_parameter(sim_lake_master: Path, tmp_path: Path) -> None:
    lake = _lake(sim_lake_master)
    strict = QualityParams(feature_nan_overrides=())
    with pytest.raises(DataQualityError) as info:
        features_ready(lake, MAIN, [SIM_DAYS[1]], tmp_path, params=strict)
    assert {f["rule"] for f in info.value.summary["failures"]} == {
        "nan_rate: f_vwap_mid_ticks",
        "nan_rate: f_oi_vol_ratio",
    }


def test_gx_is_imported_lazily() -> None:
    code = "import sys, ghtrader.quality.readiness, ghtrader.quality.audit; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_value_rules_are_aggregates_that_name_rows_on_failure_and_pass_an_all_null_column() -> None:
    """Fast path: min-aggregates over a stacked batch; a failure is re-checked row by row per partition.

    A contract locked limit-up all day has no asks at all: an all-null price column has no minimum
    and must pass "non-negative when present", as the row-level rule did.
    """
    import numpy as np
    import pandas as pd

    from ghtrader.quality.gx.runner import Batch, run_suites
    from ghtrader.quality.gx.suites import _at_least, _is_true, _suite

    suite = _suite("t", [_at_least("ask_price1", "non_negative: ask_price1"), _is_true("ok", "all_ok")])
    locked = pd.DataFrame({"ask_price1": [np.nan] * 3, "ok": [True] * 3})
    good = pd.DataFrame({"ask_price1": [1.0, 2.0, np.nan], "ok": [True] * 3})
    bad = pd.DataFrame({"ask_price1": [1.0, -5.0, -6.0], "ok": [True, False, True]})
    clean = run_suites("t", {"t": suite}, [Batch("t/d=1", "t", locked), Batch("t/d=2", "t", good)])
    assert clean["success"] and clean["validations"] == 1  # two partitions, one stacked validation
    res = run_suites("t", {"t": suite}, [Batch("t/d=1", "t", locked), Batch("t/d=3", "t", bad)])
    assert not res["success"] and res["partitions_failed"] == ["t/d=3"]
    by_rule = {f["rule"]: f for f in res["failures"]}
    assert by_rule["non_negative: ask_price1"]["unexpected_count"] == 2
    assert by_rule["non_negative: ask_price1"]["examples"] == [-5.0, -6.0]
    assert by_rule["all_ok"]["unexpected_count"] == 1
