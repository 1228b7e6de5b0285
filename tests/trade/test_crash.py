"""kill -9 under supervisord: the chain verifies, no duplicate order ids, the position reconciles."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from ghtrader.testing.supervisor import BIN
from ghtrader.testing.trade_drill import crash_drill

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (BIN / "supervisord").exists(), reason="supervisor not installed"),
    pytest.mark.skipif(
        os.environ.get("GHTRADER_TRADE_DRILL") != "1",
        reason="~1 min of process restarts: opt in with GHTRADER_TRADE_DRILL=1 (10 kills: benchmarks/bench_trade_crash.py)",
    ),
]


def test_kill9_twice_under_supervisord(trained: SimpleNamespace, tmp_path: Path) -> None:
    res = crash_drill(tmp_path / "live", trained.runs, tmp_path / "data", kills=2)
    assert res["chain_ok"], res
    assert res["duplicate_order_ids"] == []
    assert res["reconciled"], res
    assert res["resumes"] == 2
