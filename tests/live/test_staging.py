"""Staged rows and the staggered flush schedule: nothing lost or doubled whatever the groups taken,
and every group due once per flush interval."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.live.staging import FlushSchedule, Staging
from ghtrader.schema import TICK_SCHEMA

DAY = dt.date(2025, 3, 4)
SYMBOLS = ("SHFE.cu2504", "SHFE.cu2505", "SHFE.au2506", "SHFE.ag2506", "SHFE.ag2507")


def rows(spec: list[tuple[int, int]], start: int, template: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Rows for (symbol index, trading-day offset) pairs, time increasing per symbol."""
    out = template.iloc[[0] * len(spec)].reset_index(drop=True)
    out["symbol"] = [SYMBOLS[s] for s, _ in spec]
    out["trading_day"] = [DAY + dt.timedelta(days=d) for _, d in spec]
    out["datetime_ns"] = np.arange(start, start + len(spec), dtype=np.int64)
    return out, start + len(spec)


@pytest.fixture(scope="module")
def template(calendar, book) -> pd.DataFrame:  # noqa: ANN001
    from ghtrader.sources.sim import SimSource

    sym = book.listed("cu", DAY)[0].symbol
    return SimSource(calendar, book).fetch_day([sym], DAY).ticks[sym].iloc[:1]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 1)), max_size=40), max_size=8),
    st.lists(st.one_of(st.none(), st.integers(0, 2)), max_size=8),
    st.integers(1, 3),
)
def test_every_staged_row_is_taken_once_in_order(
    template: pd.DataFrame, batches: list[list[tuple[int, int]]], takes: list[int | None], groups: int
) -> None:
    staging = Staging(TICK_SCHEMA, groups)
    taken: list[pd.DataFrame] = []
    t = 0
    for k, spec in enumerate(batches):
        if spec:
            frame, t = rows(spec, t, template)
            staging.add(frame, np.full(len(frame), float(k)))
        group = takes[k] if k < len(takes) else None
        for (sym, day), chunks in staging.take(group).items():
            assert group is None or staging.group[sym] == group
            part = pd.concat([c.to_pandas() for c, _ in chunks], ignore_index=True)
            assert (part["symbol"] == sym).all() and (part["trading_day"] == day).all()
            taken.append(part)
    rest = staging.take(None)
    taken += [pd.concat([c.to_pandas() for c, _ in v]) for v in rest.values()]
    got = np.sort(np.concatenate([p["datetime_ns"].to_numpy() for p in taken] or [np.empty(0, np.int64)]))
    assert np.array_equal(got, np.arange(t))  # each row exactly once
    for p in taken:  # a partition's rows stay in time order
        assert (np.diff(p["datetime_ns"].to_numpy()) > 0).all()
    sizes = np.bincount(list(staging.group.values()), minlength=groups)
    assert sizes.max() - sizes.min() <= 1  # round-robin: groups differ by at most one symbol


def test_schedule_flushes_each_group_once_per_interval() -> None:
    sched = FlushSchedule(2.0, 4, now=0.0)
    due = [(t / 100, g) for t in range(0, 801) if (g := sched.due(t / 100)) is not None]
    assert [g for _, g in due] == [0, 1, 2, 3] * 4
    for g in range(4):
        times = [t for t, x in due if x == g]
        assert np.allclose(np.diff(times), 2.0)  # each partition committed every flush interval
    late = FlushSchedule(2.0, 4, now=0.0)
    assert late.due(10.0) == 0 and late.due(10.0) is None  # fell behind: no burst of queued flushes
