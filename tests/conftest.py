from __future__ import annotations

from pathlib import Path

import pytest

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.testing import real_data_dir


@pytest.fixture(scope="session")
def real_data() -> Path:
    root = real_data_dir()
    if root is None:
        pytest.skip("real data (../shared/data/real) not present")
    return root


@pytest.fixture(scope="session")
def calendar() -> TradingCalendar:
    return TradingCalendar.bundled()


@pytest.fixture(scope="session")
def book(calendar: TradingCalendar) -> ContractBook:
    return ContractBook.load(calendar)
