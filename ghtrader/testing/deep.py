"""Tiny deep-model fixtures shared by the model tests (one training per model per session)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ghtrader.datasets.windows import SequenceDataset

SYMBOL = "KQ.m@SHFE.cu"
DEEP_MODELS = ("deeplob", "tcn", "transformer", "tlob", "ssm")
TINY: dict[str, Any] = {
    "seq_len": 12,
    "epochs": 2,
    "batch_size": 128,
    "max_train_windows": 600,
    "inputs": "book",
    "patience": 1,
}
TINY_ARCH: dict[str, dict[str, Any]] = {
    "deeplob": {"conv": 8, "inception": 8, "lstm": 16},
    "tcn": {"channels": 16, "levels": 3},
    "transformer": {"dim": 16, "heads": 2, "layers": 1},
    "tlob": {"dim": 16, "layers": 1},
    "ssm": {"dim": 16, "state": 4},
}


@dataclass(frozen=True)
class BookWindows:
    """Book rows of a few sim days, full training windows and padded windows over every row."""

    book: np.ndarray
    y: np.ndarray
    train: SequenceDataset
    every_row: SequenceDataset


def book_windows(lake_root: Path, n_days: int = 2, seq_len: int = TINY["seq_len"]) -> BookWindows:
    from ghtrader.evaluation.data import available_days, load_eval_data
    from ghtrader.models.deep.inputs import BOOK_COLUMNS, load_book

    days = available_days(lake_root, SYMBOL)[:n_days]
    data = load_eval_data(lake_root, SYMBOL, horizon=50, days=days)
    book = load_book(lake_root, SYMBOL, data.xy.meta)
    seg = data.xy.meta["segment_id"].to_numpy()
    day = data.xy.meta["trading_day"].to_numpy()
    y = data.xy.y
    train = SequenceDataset.from_segments(
        book, seg, seq_len, y=y, stride=10, valid_mask=y >= 0, day_codes=day, columns=BOOK_COLUMNS
    )
    every = SequenceDataset.padded(book, np.arange(len(book)), seq_len, seg, day, y=y, columns=BOOK_COLUMNS)
    return BookWindows(book, y, train, every)


def tiny_params(name: str, **extra: Any) -> dict[str, Any]:
    return {**TINY, "arch": TINY_ARCH[name], **extra}
