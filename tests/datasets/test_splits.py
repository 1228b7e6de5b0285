from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.datasets import Split, days_needed, purge_rows, walk_forward_splits
from ghtrader.market.calendar import TradingCalendar

CAL = TradingCalendar.bundled()
DAYS20 = CAL.trading_days(dt.date(2019, 9, 2), dt.date(2019, 10, 31))[:20]


def check_split_invariants(splits: list[Split], days: list[dt.date], purge: int) -> None:
    index = {d: i for i, d in enumerate(days)}
    seen_test: set[dt.date] = set()
    for i, s in enumerate(splits):
        train, gap, test = (set(s.train_days), set(s.purge_days), set(s.test_days))
        assert not train & test and not train & gap and not gap & test
        assert list(s.train_days) == sorted(s.train_days) and list(s.test_days) == sorted(s.test_days)
        assert max(s.train_days) < min(s.test_days)
        assert len(s.purge_days) == purge
        # The purge gap is exactly the trading days strictly between train end and test start.
        assert index[min(s.test_days)] - index[max(s.train_days)] - 1 == purge
        assert all(max(s.train_days) < d < min(s.test_days) for d in s.purge_days)
        assert not seen_test & test
        seen_test |= test
        if i:
            assert min(s.test_days) > max(splits[i - 1].test_days)


def test_twenty_days_give_five_purged_splits() -> None:
    assert len(DAYS20) == 20
    splits = walk_forward_splits(DAYS20, n_splits=5, min_train_days=5, test_days=2, purge_days=1)
    assert len(splits) == 5
    check_split_invariants(splits, DAYS20, purge=1)
    assert splits[-1].test_days[-1] == DAYS20[-1]
    assert len(splits[0].train_days) == 20 - 10 - 1
    for a, b in zip(splits, splits[1:], strict=False):
        assert set(a.train_days) < set(b.train_days)  # expanding
    # A Friday test start is purged across the weekend by trading days, not calendar days.
    assert all(CAL.is_trading_day(d) for s in splits for d in s.purge_days)


def test_rolling_window_has_fixed_length() -> None:
    splits = walk_forward_splits(
        DAYS20, n_splits=5, min_train_days=4, test_days=2, purge_days=2, expanding=False
    )
    check_split_invariants(splits, DAYS20, purge=2)
    assert [len(s.train_days) for s in splits] == [4] * 5


def test_input_order_and_duplicates_do_not_matter() -> None:
    shuffled = list(reversed(DAYS20)) + DAYS20[:3]
    assert walk_forward_splits(shuffled, min_train_days=5, test_days=2) == walk_forward_splits(
        DAYS20, min_train_days=5, test_days=2
    )


def test_too_few_days_names_the_requirement() -> None:
    need = days_needed(n_splits=5, min_train_days=8, test_days=2, purge_days=1)
    assert need == 19
    with pytest.raises(ValueError, match=r"needs at least 19 trading days.*got 18"):
        walk_forward_splits(DAYS20[:18], min_train_days=8, test_days=2)
    assert len(walk_forward_splits(DAYS20[:19], min_train_days=8, test_days=2)) == 5
    with pytest.raises(ValueError, match="purge_days >= 0"):
        walk_forward_splits(DAYS20, min_train_days=5, test_days=2, purge_days=-1)


@settings(max_examples=200, deadline=None)
@given(
    n_days=st.integers(1, 60),
    n_splits=st.integers(1, 8),
    min_train=st.integers(1, 10),
    test=st.integers(1, 5),
    purge=st.integers(0, 3),
    expanding=st.booleans(),
)
def test_walk_forward_properties(
    n_days: int, n_splits: int, min_train: int, test: int, purge: int, expanding: bool
) -> None:
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(n_days)]
    kwargs = dict(
        n_splits=n_splits, min_train_days=min_train, test_days=test, purge_days=purge, expanding=expanding
    )
    if n_days < min_train + purge + n_splits * test:
        with pytest.raises(ValueError, match="needs at least"):
            walk_forward_splits(days, **kwargs)
        return
    splits = walk_forward_splits(days, **kwargs)
    assert len(splits) == n_splits
    check_split_invariants(splits, days, purge)
    assert all(len(s.train_days) >= min_train and len(s.test_days) == test for s in splits)


def test_purge_rows_hand_cases() -> None:
    train = np.arange(20)
    test = np.arange(10, 14)
    kept = purge_rows(train, test, horizon=3)
    np.testing.assert_array_equal(kept, [0, 1, 2, 3, 4, 5, 6, 14, 15, 16, 17, 18, 19])
    kept = purge_rows(train, test, horizon=0, embargo=2)
    np.testing.assert_array_equal(kept, [*range(10), 16, 17, 18, 19])
    np.testing.assert_array_equal(purge_rows(train, np.array([], dtype=int), horizon=5), train)
    with pytest.raises(ValueError, match="contiguous"):
        purge_rows(train, np.array([3, 5]), horizon=1)


@settings(max_examples=100, deadline=None)
@given(lo=st.integers(0, 50), width=st.integers(1, 20), horizon=st.integers(0, 10), embargo=st.integers(0, 5))
def test_purged_train_labels_never_see_test_rows(lo: int, width: int, horizon: int, embargo: int) -> None:
    test = np.arange(lo, lo + width)
    kept = purge_rows(np.arange(100), test, horizon=horizon, embargo=embargo)
    for i in kept:
        assert not set(range(i, i + horizon + 1)) & set(test.tolist())
        assert not lo + width - 1 < i <= lo + width - 1 + embargo
    # Nothing more than necessary is purged.
    assert len(kept) == 100 - len(set(range(max(lo - horizon, 0), min(lo + width + embargo, 100))))
