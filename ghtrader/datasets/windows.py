"""Fixed-length tick windows for sequence models, never crossing a segment (roll) or trading-day boundary.

Numpy only, so it imports without torch; ``SequenceDataset`` has ``__len__``/``__getitem__`` and a
vectorized ``batch`` gather, which is all a torch ``DataLoader`` (or a plain loop) needs. Windows are
gathered lazily from the 2-D feature array: nothing of size ``n_windows x seq_len`` is kept around.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def run_starts(segment_ids: np.ndarray, day_codes: np.ndarray | None = None) -> np.ndarray:
    """For each row, the index of the first row of its contiguous (segment, day) run."""
    n = len(segment_ids)
    change = np.ones(n, dtype=bool)
    if n > 1:
        change[1:] = segment_ids[1:] != segment_ids[:-1]
        if day_codes is not None:
            change[1:] |= day_codes[1:] != day_codes[:-1]
    return np.maximum.accumulate(np.where(change, np.arange(n), 0))


def sequence_windows(
    n_rows: int,
    segment_ids: np.ndarray,
    seq_len: int,
    stride: int = 1,
    valid_mask: np.ndarray | None = None,
    day_codes: np.ndarray | None = None,
) -> np.ndarray:
    """End indices ``e`` such that rows ``[e - seq_len + 1, e]`` lie in one segment run (int64, sorted).

    ``day_codes`` (any per-row array, e.g. trading days): also keep windows inside one trading day.
    ``stride``: within each run keep every ``stride``-th window, counted from the run's first full one.
    ``valid_mask``: a per-row mask applied to the end row (e.g. "label present"); rows inside the window
    are context and need not be valid.
    """
    segment_ids = np.asarray(segment_ids)
    if segment_ids.shape != (n_rows,):
        raise ValueError(f"segment_ids must have shape ({n_rows},), got {segment_ids.shape}")
    if seq_len < 1 or stride < 1:
        raise ValueError(f"seq_len and stride must be >= 1, got {seq_len}, {stride}")
    if n_rows == 0:
        return np.zeros(0, dtype=np.int64)
    codes = None if day_codes is None else np.asarray(day_codes)
    if codes is not None and codes.shape != (n_rows,):
        raise ValueError(f"day_codes must have shape ({n_rows},), got {codes.shape}")
    offset = np.arange(n_rows) - run_starts(segment_ids, codes) - (seq_len - 1)
    ok = (offset >= 0) & (offset % stride == 0)
    if valid_mask is not None:
        valid_mask = np.asarray(valid_mask, dtype=bool)
        if valid_mask.shape != (n_rows,):
            raise ValueError(f"valid_mask must have shape ({n_rows},), got {valid_mask.shape}")
        ok &= valid_mask
    return np.flatnonzero(ok).astype(np.int64)


@dataclass(frozen=True)
class SequenceDataset:
    """Lazy windows over ``features`` (rows x features) ending at ``ends``, with optional per-row ``y``."""

    features: np.ndarray
    ends: np.ndarray
    seq_len: int
    y: np.ndarray | None = None
    starts: np.ndarray | None = None
    columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.features.ndim != 2:
            raise ValueError(f"features must be 2-D (rows x features), got shape {self.features.shape}")
        ends = np.asarray(self.ends, dtype=np.int64)
        n = self.features.shape[0]
        lo = 0 if self.starts is not None else self.seq_len - 1
        if ends.size and (ends.min() < lo or ends.max() >= n):
            raise ValueError(f"window ends must lie in [{lo}, {n - 1}]")
        if self.starts is not None and len(self.starts) != n:
            raise ValueError(f"starts has {len(self.starts)} rows, features have {n}")
        if self.y is not None and len(self.y) != n:
            raise ValueError(f"y has {len(self.y)} rows, features have {n}")
        object.__setattr__(self, "ends", ends)

    @classmethod
    def from_segments(
        cls,
        features: np.ndarray,
        segment_ids: np.ndarray,
        seq_len: int,
        *,
        y: np.ndarray | None = None,
        stride: int = 1,
        valid_mask: np.ndarray | None = None,
        day_codes: np.ndarray | None = None,
        columns: tuple[str, ...] = (),
    ) -> SequenceDataset:
        ends = sequence_windows(len(features), segment_ids, seq_len, stride, valid_mask, day_codes)
        return cls(features, ends, seq_len, y, None, columns)

    def __len__(self) -> int:
        return int(self.ends.size)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Window ``i`` as a (seq_len, n_features) view and the label of its end row (or ``None``)."""
        e = int(self.ends[i])
        if self.starts is not None:
            window, _ = self.batch(np.array([i]))
            return window[0], (None if self.y is None else self.y[e])
        window = self.features[e - self.seq_len + 1 : e + 1]
        return window, (None if self.y is None else self.y[e])

    def batch(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Gather windows ``indices`` into a (batch, seq_len, n_features) array (a copy) and labels."""
        ends = self.ends[np.asarray(indices, dtype=np.int64)]
        rows = ends[:, None] + np.arange(1 - self.seq_len, 1)[None, :]
        if self.starts is not None:  # left-pad with the run's first row, never reaching into another run
            rows = np.maximum(rows, self.starts[ends][:, None])
        return self.features[rows], (None if self.y is None else self.y[ends])

    def subset(self, positions: np.ndarray) -> SequenceDataset:
        """The windows at ``positions`` (same base array, no copy of it)."""
        return SequenceDataset(
            self.features,
            self.ends[np.asarray(positions, dtype=np.int64)],
            self.seq_len,
            self.y,
            self.starts,
            self.columns,
        )

    @classmethod
    def padded(
        cls,
        features: np.ndarray,
        ends: np.ndarray,
        seq_len: int,
        segment_ids: np.ndarray,
        day_codes: np.ndarray | None = None,
        *,
        y: np.ndarray | None = None,
        columns: tuple[str, ...] = (),
    ) -> SequenceDataset:
        """Windows ending at any row: rows before the (segment, day) run's first row are replaced by it.

        Serving needs a prediction at every tick, including the first ``seq_len - 1`` ticks of a day or
        after a roll; repeating the run's first snapshot keeps the window inside its run (causal, no
        other contract or day mixed in). Training uses only full windows (``from_segments``).
        """
        starts = run_starts(np.asarray(segment_ids), None if day_codes is None else np.asarray(day_codes))
        return cls(features, np.asarray(ends, dtype=np.int64), seq_len, y, starts, columns)
