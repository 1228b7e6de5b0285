"""Properties of the pre-gate ordering and the short-day check."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.store.daycheck import short_days, sort_for_gate


@settings(max_examples=50, deadline=None)
@given(
    keys=st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 20)), min_size=0, max_size=40),
    seed=st.integers(0, 2**16),
)
def test_sort_is_a_stable_sort_by_symbol_then_time(keys: list[tuple[str, int]], seed: int) -> None:
    df = pd.DataFrame({"symbol": [k[0] for k in keys], "datetime_ns": [k[1] for k in keys]})
    df["row"] = np.arange(len(df))
    shuffled = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    out = sort_for_gate(shuffled)
    assert list(zip(out.symbol, out.datetime_ns, strict=True)) == sorted(keys)
    expected = shuffled.sort_values(["symbol", "datetime_ns"], kind="stable")["row"].tolist()
    assert out["row"].tolist() == expected  # ties keep input order: duplicates stay adjacent


def test_short_days_count_kept_over_read_per_symbol_day() -> None:
    read = pd.DataFrame({"symbol": ["A"] * 10 + ["B"] * 2, "trading_day": ["2025-03-12"] * 12})
    kept = read.iloc[[0, 1, 2, 10, 11]]
    assert short_days(read, kept, 0.5) == ("A 2025-03-12: 3/10 rows kept",)
    assert short_days(read, kept, 0.3) == ()
