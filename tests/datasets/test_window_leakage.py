"""Leakage: perturbing ticks at or after t never changes a window, a prediction or a label before t,
and no window crosses a segment (roll) or trading-day boundary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.datasets.windows import SequenceDataset, run_starts, sequence_windows
from ghtrader.labels.core import LabelConfig, compute_labels

SEQ = 8


@st.composite
def layouts(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    n = draw(st.integers(20, 120))
    seg_breaks = draw(st.lists(st.integers(1, n - 1), max_size=3))
    day_breaks = draw(st.lists(st.integers(1, n - 1), max_size=3))
    seg = np.zeros(n, dtype=np.int64)
    day = np.zeros(n, dtype=np.int64)
    for b in seg_breaks:
        seg[b:] += 1
    for b in day_breaks:
        day[b:] += 1
    return seg, day, draw(st.integers(1, n - 1))


@settings(max_examples=60, deadline=None)
@given(layouts())
def test_windows_before_t_ignore_later_ticks_and_stay_in_their_run(layout: tuple) -> None:
    seg, day, t = layout
    n = len(seg)
    base = np.random.default_rng(0).normal(size=(n, 3)).astype(np.float32)
    perturbed = base.copy()
    perturbed[t:] += 1000.0
    ends = np.arange(n)
    a = SequenceDataset.padded(base, ends, SEQ, seg, day)
    b = SequenceDataset.padded(perturbed, ends, SEQ, seg, day)
    wa, _ = a.batch(np.arange(t))
    wb, _ = b.batch(np.arange(t))
    np.testing.assert_array_equal(wa, wb)  # every window ending before t
    rows = ends[:, None] + np.arange(1 - SEQ, 1)[None, :]
    rows = np.maximum(rows, run_starts(seg, day)[ends][:, None])
    assert np.all(seg[rows] == seg[ends][:, None]) and np.all(day[rows] == day[ends][:, None])
    full = sequence_windows(n, seg, SEQ, day_codes=day)  # training windows: full and inside one run
    for e in full:
        assert len(set(seg[e - SEQ + 1 : e + 1])) == 1 and len(set(day[e - SEQ + 1 : e + 1])) == 1


def test_predictions_before_t_ignore_later_ticks() -> None:
    torch = pytest.importorskip("torch")
    from ghtrader.models.deep.export import Proba, WindowNet
    from ghtrader.models.deep.nets import InputNorm, build_net

    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    n, t = 200, 120
    seg = np.repeat([0, 1], [90, 110])
    base = rng.normal(size=(n, 20)).astype(np.float32)
    perturbed = base.copy()
    perturbed[t:] = rng.normal(size=(n - t, 20)) * 50
    for name in ("deeplob", "tcn", "transformer", "tlob", "ssm"):
        arch = {"deeplob": {"conv": 4, "inception": 4, "lstm": 8}}.get(name, {})
        net = Proba(WindowNet(InputNorm(20), build_net(name, 20, SEQ, arch))).eval()
        with torch.no_grad():
            pa_ = net(
                torch.from_numpy(SequenceDataset.padded(base, np.arange(t), SEQ, seg).batch(np.arange(t))[0])
            )
            pb_ = net(
                torch.from_numpy(
                    SequenceDataset.padded(perturbed, np.arange(t), SEQ, seg).batch(np.arange(t))[0]
                )
            )
        np.testing.assert_array_equal(pa_.numpy(), pb_.numpy(), err_msg=name)


def test_labels_before_t_minus_h_ignore_later_ticks() -> None:
    rng = np.random.default_rng(2)
    n, t, h = 300, 200, 10
    mid = 70000 + np.cumsum(rng.integers(-1, 2, n)) * 10.0
    frame = pd.DataFrame(
        {
            "datetime_ns": np.arange(n, dtype=np.int64) * 500_000_000,
            "trading_day": ["2025-03-10"] * n,
            "symbol": ["KQ.m@SHFE.cu"] * n,
            "bid_price1": mid - 5,
            "ask_price1": mid + 5,
        }
    )
    changed = frame.copy()
    changed.loc[t:, ["bid_price1", "ask_price1"]] += 500.0
    cfg = LabelConfig(horizons=(h,))
    a, b = (
        compute_labels(frame, price_tick=10.0, config=cfg),
        compute_labels(changed, price_tick=10.0, config=cfg),
    )
    np.testing.assert_array_equal(a[f"y_{h}"].to_numpy()[: t - h], b[f"y_{h}"].to_numpy()[: t - h])
    assert not np.array_equal(a[f"y_{h}"].to_numpy()[t - h : t], b[f"y_{h}"].to_numpy()[t - h : t])
