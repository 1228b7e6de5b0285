"""What a model is fed in the walk-forward: factor rows (tabular) or lazy windows (deep zoo).

``model_inputs(name, params, data)`` returns an object with ``train(rows) -> (X, y)`` and
``predict(rows) -> X`` over row indices of ``data``. For window models the base matrix (book block,
then factors for ``inputs="book+factors"``) is built once and windows are gathered lazily per batch:
memory stays at the base array plus one batch, never ``T`` copies. Training windows must be full
(``seq_len`` rows inside one segment and trading day); every predicted row gets a window, padded with
its run's first row near a day start or roll (``SequenceDataset.padded``), so the backtest sees a
signal at each tick and no window mixes days or contracts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ghtrader.datasets.windows import SequenceDataset, run_starts
from ghtrader.evaluation.data import EvalData
from ghtrader.models.registry import make_model


@dataclass(frozen=True)
class RowInputs:
    X: np.ndarray
    y: np.ndarray
    kind: str = "rows"

    def train(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.X[rows], self.y[rows]

    def predict(self, rows: np.ndarray) -> np.ndarray:
        return self.X[rows]


@dataclass(frozen=True)
class WindowInputs:
    base: np.ndarray
    y: np.ndarray
    seq_len: int
    starts: np.ndarray
    columns: tuple[str, ...]
    kind: str = "windows"

    def train(self, rows: np.ndarray) -> tuple[SequenceDataset, np.ndarray]:
        """Full windows ending at ``rows`` (rows too close to their run's start are skipped)."""
        rows = np.asarray(rows, dtype=np.int64)
        rows = rows[rows - self.starts[rows] >= self.seq_len - 1]
        ds = SequenceDataset(self.base, rows, self.seq_len, None, self.starts, self.columns)
        return ds, self.y[rows]

    def predict(self, rows: np.ndarray) -> SequenceDataset:
        return SequenceDataset(
            self.base, np.asarray(rows, dtype=np.int64), self.seq_len, None, self.starts, self.columns
        )


def model_inputs(name: str, params: dict[str, Any] | None, data: EvalData) -> RowInputs | WindowInputs:
    """Inputs for model ``name`` (with ``params``) over every row of ``data``."""
    model = make_model(name, params)
    if getattr(model, "input_kind", "rows") != "windows":
        return RowInputs(data.xy.X, data.xy.y)
    from ghtrader.models.deep.inputs import load_book, window_inputs

    if data.lake_root is None:
        raise ValueError(f"{name}: window models need the lake (EvalData.lake_root) to read the book")
    book = load_book(data.lake_root, data.symbol, data.xy.meta)
    base, columns = window_inputs(model.params["inputs"], book, data.xy.X, data.xy.feature_names)
    meta = data.xy.meta
    starts = run_starts(meta["segment_id"].to_numpy(), meta["trading_day"].to_numpy())
    return WindowInputs(base, data.xy.y, int(model.params["seq_len"]), starts, columns)
