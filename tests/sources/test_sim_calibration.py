"""The sim's statistics against the real SHFE fixtures (within a factor of 2)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.sources.sim import SimSource
from ghtrader.sources.sim.calibration import calibration_table

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def table(real_data: Path, calendar: TradingCalendar, book: ContractBook) -> pd.DataFrame:
    out = calibration_table(SimSource(calendar, book), real_data)
    with pd.option_context("display.width", 160, "display.max_colwidth", 50):
        print("\n" + out.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
    return out


def test_table_covers_every_case(table: pd.DataFrame) -> None:
    metrics = set(table["metric"])
    assert {"spread_mean_ticks", "spread_share_1tick", "gap_median_s", "gap_p90_s"} <= metrics
    for session in ("day", "night"):
        assert {f"ret_std_1m_{session}", f"volume_per_min_{session}"} <= metrics
    assert table["case"].str.startswith("cu main").any() and table["case"].str.startswith("au main").any()
    assert table[["real", "sim"]].gt(0).all().all()


@pytest.mark.parametrize(
    "metric",
    [
        "spread_mean_ticks",
        "spread_share_1tick",
        "gap_median_s",
        "gap_p90_s",
        "ret_std_1m_day",
        "ret_std_1m_night",
        "volume_per_min_day",
        "volume_per_min_night",
    ],
)
def test_sim_within_factor_two_of_real(table: pd.DataFrame, metric: str) -> None:
    rows = table[table["metric"] == metric]
    assert len(rows) > 0
    bad = rows[(rows["ratio"] < 0.5) | (rows["ratio"] > 2.0)]
    assert bad.empty, f"sim off by more than 2x:\n{bad.to_string(index=False)}"
