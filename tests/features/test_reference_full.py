"""Every factor of the full set vs the independent pandas implementation (``ghtrader.testing``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ghtrader.features import compute_features
from ghtrader.features.sets import feature_set
from ghtrader.market.calendar import TradingCalendar
from ghtrader.sources.csv import read_tick_csv
from ghtrader.testing import real_tick_csv
from ghtrader.testing.pandas_factors import pandas_features

FULL = feature_set("full")


def assert_same(kernel: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(ref.columns) == [c for c in kernel.columns if c.startswith("f_")]
    for col in ref.columns:
        a, b = kernel[col].to_numpy(), ref[col].to_numpy(dtype=float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), f"{col}: NaN positions differ"
        ok = ~np.isnan(a)
        assert ok.any(), f"{col}: never defined"
        rel = np.abs(a[ok] - b[ok]) / np.maximum(np.abs(a[ok]), 1e-3)
        assert rel.max() <= 1e-7, (col, float(rel.max()))


def test_full_set_matches_pandas_across_a_day_boundary(main_days: list[pd.DataFrame]) -> None:
    d1, d2 = main_days[0], main_days[1]
    frame = pd.concat([d1.iloc[-3000:], d2.iloc[:3000]], ignore_index=True)  # segment 0 on both days
    assert set(frame["segment_id"]) == {0} and frame["trading_day"].nunique() == 2
    kernel = compute_features(frame, FULL, price_tick=10.0, volume_multiple=5.0)
    assert_same(kernel, pandas_features(frame, FULL, price_tick=10.0, mult=5.0))


@pytest.mark.realdata
def test_full_set_matches_pandas_on_real_cu(real_data, calendar: TradingCalendar) -> None:
    ticks, _bad = read_tick_csv(real_tick_csv(real_data), calendar=calendar)
    kernel = compute_features(ticks, FULL, price_tick=10.0, volume_multiple=5.0)
    assert_same(kernel, pandas_features(ticks, FULL, price_tick=10.0, mult=5.0))
