"""Session fixtures shared by every test area (see tests/README.md for the build-once mechanism)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.testing import real_data_dir
from ghtrader.testing.simlake import shared_test_lake


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


@pytest.fixture(scope="session")
def sim_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 sim trading days of cu (ticks, schedule, main_l5, features, labels): one build per test run.

    Shared by every test and xdist worker: read-only, copy it before corrupting anything.
    """
    return shared_test_lake(tmp_path_factory)


# Tests that must share one worker under ``pytest -n`` (``--dist loadgroup``): they share one
# expensive external resource per session (an Airflow metadata DB, a QuestDB server).
XDIST_GROUPS = {"dags": "airflow", "store/questdb": "questdb"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    for item in items:
        rel = Path(item.path).relative_to(tests).as_posix() if tests in Path(item.path).parents else ""
        for prefix, group in XDIST_GROUPS.items():
            if rel.startswith(prefix + "/"):
                item.add_marker(pytest.mark.xdist_group(group))
