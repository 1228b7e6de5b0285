"""The shared sim test lake (8 cu days with a roll), built once per test run on ``pipeline.simlake``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ghtrader.pipeline.simlake import DONE_MARKER, build_sim_lake
from ghtrader.testing.shared import TempFactory, build_once

__all__ = [
    "AUAG_RANGE",
    "DONE_MARKER",
    "TEST_CONTRACTS",
    "TEST_RANGE",
    "build_sim_lake",
    "shared_auag_lake",
    "shared_test_lake",
]

TEST_RANGE = (dt.date(2025, 3, 10), dt.date(2025, 3, 19))  # 8 trading days, roll cu2504 -> cu2505
TEST_CONTRACTS = ("SHFE.cu2504", "SHFE.cu2505", "SHFE.cu2506")
AUAG_RANGE = (dt.date(2025, 3, 10), dt.date(2025, 3, 17))  # 6 days of au and ag (the pair role's partners)


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


def shared_auag_lake(factory: TempFactory) -> Path:
    """6 sim days of au and ag in one lake (ticks of two contracts each, main_l5, core features,
    labels), built once per test run; read-only: copy it before building anything into it."""

    def build(d: Path) -> Path:
        build_sim_lake(
            d, var="au", start=AUAG_RANGE[0], end=AUAG_RANGE[1], contracts=("SHFE.au2506", "SHFE.au2508")
        )
        return build_sim_lake(
            d, var="ag", start=AUAG_RANGE[0], end=AUAG_RANGE[1], contracts=("SHFE.ag2506", "SHFE.ag2508")
        )

    return build_once(factory, "simlake_auag", build)
