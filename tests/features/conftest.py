"""Feature-test fixtures: a main_l5-like sim frame with a day boundary and a mid-day roll."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.sources.sim import SimSource

MAIN = "KQ.m@SHFE.cu"
OLD, NEW = "SHFE.cu2404", "SHFE.cu2405"
DAYS = [dt.date(2024, 3, 4), dt.date(2024, 3, 5), dt.date(2024, 3, 6)]


def as_main(df: pd.DataFrame, segment: int) -> pd.DataFrame:
    """Label a contract frame as main_l5 rows of ``segment``."""
    out = df.copy()
    out["underlying_contract"] = out["symbol"]
    out["symbol"] = MAIN
    out["segment_id"] = np.int32(segment)
    out["schedule_hash"] = "test"
    return out


@pytest.fixture(scope="session")
def sim_contract_days(
    calendar: TradingCalendar, book: ContractBook
) -> dict[tuple[str, dt.date], pd.DataFrame]:
    src = SimSource(calendar, book)
    pairs = [(OLD, DAYS[0]), (OLD, DAYS[1]), (NEW, DAYS[1]), (NEW, DAYS[2])]
    out = {}
    for sym, day in pairs:
        got = src.contract_day(sym, day)
        assert got is not None
        out[(sym, day)] = got[0]
    return out


@pytest.fixture(scope="session")
def main_days(sim_contract_days: dict[tuple[str, dt.date], pd.DataFrame]) -> list[pd.DataFrame]:
    """Three main_l5 days: OLD (seg 0); OLD then NEW from mid-day (seg 0 -> 1); NEW (seg 1)."""
    d2_old, d2_new = sim_contract_days[(OLD, DAYS[1])], sim_contract_days[(NEW, DAYS[1])]
    cut = int(np.median(d2_old["datetime_ns"]))
    day2 = pd.concat(
        [as_main(d2_old[d2_old["datetime_ns"] < cut], 0), as_main(d2_new[d2_new["datetime_ns"] >= cut], 1)],
        ignore_index=True,
    )
    return [
        as_main(sim_contract_days[(OLD, DAYS[0])], 0),
        day2,
        as_main(sim_contract_days[(NEW, DAYS[2])], 1),
    ]


@pytest.fixture(scope="session")
def main_frame(main_days: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(main_days, ignore_index=True)
