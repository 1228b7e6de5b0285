"""The shared sim test lake (8 cu days with a roll), built once per test run on ``pipeline.simlake``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ghtrader.pipeline.simlake import DONE_MARKER, build_sim_lake
from ghtrader.testing.shared import TempFactory, build_once

__all__ = ["DONE_MARKER", "TEST_CONTRACTS", "TEST_RANGE", "build_sim_lake", "shared_test_lake"]

TEST_RANGE = (dt.date(2025, 3, 10), dt.date(2025, 3, 19))  # 8 trading days, roll cu2504 -> cu2505
TEST_CONTRACTS = ("SHFE.cu2504", "SHFE.cu2505", "SHFE.cu2506")


def shared_test_lake(where: TempFactory | Path) -> Path:
    """The 8-day cu test lake, built once per test run (~10 s), also across pytest-xdist workers.

    ``where`` is pytest's ``tmp_path_factory`` (the normal case, see ``ghtrader.testing.shared``) or
    a directory to build into / reuse (``GHTRADER_TEST_LAKE_BASE`` while iterating locally).
    """

    def build(d: Path) -> Path:
        return build_sim_lake(d, start=TEST_RANGE[0], end=TEST_RANGE[1], contracts=TEST_CONTRACTS)

    if isinstance(where, Path):
        return build(where / "simlake_cu")
    return build_once(where, "simlake_cu", build)
