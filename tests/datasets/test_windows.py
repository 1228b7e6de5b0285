from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.datasets import SequenceDataset, sequence_windows


def brute_force(
    seg: np.ndarray, seq_len: int, stride: int, valid: np.ndarray | None, day: np.ndarray | None
) -> list[int]:
    out = []
    for e in range(len(seg)):
        s = e - seq_len + 1
        if s < 0 or len(set(seg[s : e + 1].tolist())) != 1:
            continue
        if day is not None and len(set(day[s : e + 1].tolist())) != 1:
            continue
        start = s  # first row of the run containing the window
        while start > 0 and seg[start - 1] == seg[e] and (day is None or day[start - 1] == day[e]):
            start -= 1
        if (s - start) % stride:
            continue
        if valid is not None and not valid[e]:
            continue
        out.append(e)
    return out


@st.composite
def layouts(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(0, 80))
    seg = np.cumsum(draw(st.lists(st.sampled_from([0, 0, 0, 0, 1]), min_size=n, max_size=n)))
    # Segment ids are not necessarily increasing or unique per run (A, B, A must still split).
    seg = seg % draw(st.integers(1, 3))
    day = np.cumsum(draw(st.lists(st.sampled_from([0, 0, 0, 0, 0, 1]), min_size=n, max_size=n)))
    valid = np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    return seg, day, valid


@settings(max_examples=300, deadline=None)
@given(
    layout=layouts(),
    seq_len=st.integers(1, 12),
    stride=st.integers(1, 4),
    use_day=st.booleans(),
    use_mask=st.booleans(),
)
def test_no_window_crosses_a_segment(
    layout: tuple[np.ndarray, np.ndarray, np.ndarray],
    seq_len: int,
    stride: int,
    use_day: bool,
    use_mask: bool,
) -> None:
    seg, day, valid = layout
    ends = sequence_windows(
        len(seg), seg, seq_len, stride, valid if use_mask else None, day if use_day else None
    )
    assert ends.dtype == np.int64 and np.all(np.diff(ends) > 0)
    for e in ends:
        window = slice(e - seq_len + 1, e + 1)
        assert e - seq_len + 1 >= 0
        assert np.unique(seg[window]).size == 1
        if use_day:
            assert np.unique(day[window]).size == 1
    expected = brute_force(seg, seq_len, stride, valid if use_mask else None, day if use_day else None)
    assert ends.tolist() == expected


def test_hand_layout() -> None:
    seg = np.array([0, 0, 0, 1, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(sequence_windows(9, seg, 2), [1, 2, 4, 5, 6, 8])
    np.testing.assert_array_equal(sequence_windows(9, seg, 2, stride=2), [1, 4, 6, 8])
    np.testing.assert_array_equal(sequence_windows(9, seg, 3, valid_mask=np.arange(9) != 5), [2, 6])
    with pytest.raises(ValueError, match="shape"):
        sequence_windows(8, seg, 2)


def test_sequence_dataset_gathers_windows_lazily() -> None:
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(30, 4)).astype(np.float32)
    seg = np.repeat([0, 1, 2], 10)
    y = rng.integers(0, 3, 30)
    ds = SequenceDataset.from_segments(feats, seg, 4, y=y, stride=2)
    assert len(ds) == 3 * 4  # per 10-row segment: ends 3, 5, 7, 9
    window, label = ds[0]
    np.testing.assert_array_equal(window, feats[0:4])
    assert np.shares_memory(window, feats) and label == y[3]
    xb, yb = ds.batch(np.arange(len(ds)))
    assert xb.shape == (12, 4, 4)
    for i in range(len(ds)):
        w, lab = ds[i]
        np.testing.assert_array_equal(xb[i], w)
        assert yb[i] == lab
    with pytest.raises(ValueError, match="window ends"):
        SequenceDataset(feats, np.array([2]), 4)
    with pytest.raises(ValueError, match="2-D"):
        SequenceDataset(feats[:, 0], np.array([5]), 4)


def test_datasets_import_without_torch() -> None:
    code = "import sys, ghtrader.datasets, ghtrader.labels; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
