from __future__ import annotations

from pathlib import Path

import pytest

from ghtrader.testing.simlake import shared_test_lake


@pytest.fixture(scope="session")
def sim_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 sim trading days of cu (ticks, schedule, main_l5, features, labels), shared by the session."""
    return shared_test_lake(tmp_path_factory.getbasetemp())
