"""The ladder benchmark code path (``benchmarks/bench_models.py``) on tiny data, so it cannot rot.

Two models (logistic, a tiny TCN: native and onnxruntime latency), 5 walk-forward splits on the 8-day
sim test lake; the same on the real fixture's row blocks (skipped without ``../shared/data/real``).
The full-size run lives in ``benchmarks/`` (its sizes and wall time in ``benchmarks/results/models.md``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ghtrader.evaluation import EvalConfig
from ghtrader.evaluation.intraday import BlockConfig, row_splits
from ghtrader.testing.simlake import TEST_CONTRACTS, TEST_RANGE

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_models  # noqa: E402

MODELS = ["logistic", "tcn"]
TINY_TCN = {
    "seq_len": 8,
    "epochs": 1,
    "max_train_windows": 400,
    "purge_rows": 10,
    "arch": {"channels": 4, "levels": 1},
}
PARAMS = {"logistic": {"max_iter": 30}, "tcn": TINY_TCN}
N_SPLITS = 3  # the 8-day test lake: 4 train + 1 purge + 3 test days (the full run uses 5 of 20 days)


def _model_rows(table: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in table}


def test_row_splits_layout() -> None:
    cfg = BlockConfig(horizon=10, n_splits=5, min_train_frac=0.4)
    splits = row_splits(200, cfg)
    assert len(splits) == 5
    assert splits[-1].test[1] == 200 and splits[0].train[0] == 0
    for a, b in zip(splits, splits[1:], strict=False):
        assert a.test[1] == b.test[0]  # consecutive, disjoint test blocks
    for s in splits:
        assert s.train[1] == s.purge[0] and s.purge[1] == s.test[0]
        assert s.purge[1] - s.purge[0] >= cfg.horizon  # no train label reaches the test block
    assert splits[0].train[1] >= 80
    with pytest.raises(ValueError, match="too few"):
        row_splits(20, cfg)


def test_bench_sim_tiny(sim_data_dir: Path, tmp_path: Path) -> None:
    spec = bench_models.SimSpec(
        start=TEST_RANGE[0],
        end=TEST_RANGE[1],
        contracts=TEST_CONTRACTS,
        config=EvalConfig(horizon=50, n_splits=N_SPLITS, min_train_days=4, test_days=1, train_stride=200),
    )
    out = bench_models.run(
        tmp_path,
        models=MODELS,
        out_dir=tmp_path / "results",
        spec=spec,
        sim_param=PARAMS,
        latency_calls=20,
        sim_dir=sim_data_dir,
        real=False,
        say=lambda _m: None,
    )
    saved = json.loads((tmp_path / "results" / "models.json").read_text())
    assert saved["sim"]["table"] == json.loads(json.dumps(out["sim"]["table"], default=str))
    sim = out["sim"]
    assert len(sim["splits"]) == N_SPLITS
    rows = _model_rows(sim["table"])
    assert list(rows) == ["logistic", "tcn", "majority", "oracle"]
    for name in MODELS:
        r = rows[name]
        for key in ("macro_f1_mean", "log_loss_mean", "ece_mean", "net_pnl", "fees", "train_seconds"):
            assert isinstance(r[key], float) and np.isfinite(r[key]), (name, key)
        assert 0 < r["latency_b1_p50_us"] <= r["latency_b1_p99_us"]
        assert len(r["thresholds"]) == N_SPLITS and r["threshold_source"].startswith("in-fold")
        assert len(sim["backtests_per_split"][name]) == N_SPLITS
        assert sum(sim["backtests_per_split"][name]) == pytest.approx(r["net_pnl"])
    assert rows["logistic"]["latency_b1_backend"].startswith("native")
    assert rows["tcn"]["latency_b1_backend"] == "onnxruntime"
    assert rows["oracle"]["net_pnl"] is not None and rows["oracle"]["macro_f1_mean"] is not None
    # every tuned threshold came from days inside its split's training fold, never its test days
    for name in MODELS:
        for i, p in enumerate(sim["decisions"][name]["per_split"]):
            split = sim["splits"][i]
            assert set(p["days"]) <= set(split["train"]) and not set(p["days"]) & set(split["test"])
    md = (tmp_path / "results" / "models.md").read_text()
    assert "| model | kind | macro-F1 ± std |" in md and "| tcn | model |" in md
    html = Path(sim["report"]).read_text()
    alts = re.findall(r'<img alt="([^"]+)"', html)
    assert {"per-split macro-F1", "per-split log loss", "per-split net PnL"} <= set(alts)
    decisions = html.split("<h2>Decision thresholds")[1].split("<h2>")[0]
    assert decisions.count('<td class="l">tcn</td>') == N_SPLITS  # one row per split, with its source


@pytest.mark.realdata
def test_bench_real_row_blocks(real_data: Path, tmp_path: Path) -> None:
    params = {"logistic": {"max_iter": 30}, "tcn": TINY_TCN}
    cfg = BlockConfig(horizon=10, n_splits=5, latency_calls=20)
    real = bench_models.run_real(tmp_path / "real", tmp_path / "runs", MODELS, config=cfg, params=params)
    rows = _model_rows(real["table"])
    assert list(rows) == ["logistic", "tcn", "majority", "oracle"]
    assert rows["oracle"]["available"] is False and "real data has no oracle" in rows["oracle"]["reason"]
    assert len(real["splits"]) == 5
    for name in MODELS:
        assert rows[name]["macro_f1_mean"] is not None and rows[name]["net_pnl"] is not None
        for i, p in enumerate(real["decisions"][name]["per_split"]):
            lo, hi = p["rows"]  # the tuning tail lies inside the split's train rows
            train_last = int(real["splits"][i]["train"][0].split("–")[1])
            assert hi - 1 <= train_last and lo < hi
    assert Path(real["report"]).is_file()
    assert dt.date(2019, 9, 12).isoformat() in Path(real["report"]).read_text()
