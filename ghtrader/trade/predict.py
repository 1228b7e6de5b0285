"""The champion's probabilities for one tick: a factor row (tabular) or a rolling window (deep zoo).

``Predictor.step(feats, tick, infer)`` returns the probabilities to use, or None to keep the last ones.
A window model gets the rows research builds (``ghtrader.models.deep.inputs``: ``book_block`` on the
tick's book, then ``window_inputs`` with the factor row; one definition, two callers) in a rolling
window of its ``seq_len`` rows. The window restarts whenever the (trading day, segment, contract) run
changes, so it never mixes days or contracts, exactly like the training windows; until it holds
``seq_len`` rows there is no decision (NaN probabilities: the signal rule holds flat), and
``ghtrader.backtest.champion.predict_ticks`` leaves the same ticks without a prediction.

Trap: the window must be fed on every tick, also when ``infer_every`` skips the inference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ghtrader.features.engine import INPUT_COLUMNS
from ghtrader.models.deep.inputs import LEVELS, book_block, window_inputs
from ghtrader.trade.account import MarketTick
from ghtrader.trade.champion import Champion

_FIELDS = ("bid_price", "ask_price", "bid_volume", "ask_volume")
_AT = tuple(INPUT_COLUMNS.index(f"{f}1") for f in _FIELDS)
for _f, _i in zip(_FIELDS, _AT, strict=True):  # the kernel input row holds levels 1..5 side by side
    assert INPUT_COLUMNS[_i : _i + LEVELS] == [f"{_f}{lvl}" for lvl in range(1, LEVELS + 1)]
NO_DECISION = np.full(3, np.nan)


def book_row(x: np.ndarray) -> np.ndarray:
    """``(1, 20)`` book block of one kernel input row (``tick_inputs`` layout)."""
    return book_block(*(x[None, i : i + LEVELS] for i in _AT))


class RollingWindow:
    """The last ``seq_len`` rows of the current run, contiguous and oldest first (no copy per tick)."""

    def __init__(self, seq_len: int, width: int) -> None:
        self.seq_len = seq_len
        self.buf = np.empty((2 * seq_len, width), dtype=np.float32)
        self.pos = 0
        self.rows = 0  # rows of the current run seen (capped at seq_len)
        self.key: object = None

    def push(self, row: np.ndarray, key: object) -> bool:
        """Append ``row`` to the run ``key``; True when this row starts a new run (window reset)."""
        reset = key != self.key
        if reset:
            self.key, self.pos, self.rows = key, 0, 0
        if self.pos == len(self.buf):  # slide: keep the newest seq_len - 1 rows at the front
            keep = self.seq_len - 1
            self.buf[:keep] = self.buf[self.pos - keep : self.pos]
            self.pos = keep
        self.buf[self.pos] = row
        self.pos += 1
        self.rows = min(self.rows + 1, self.seq_len)
        return reset

    @property
    def full(self) -> bool:
        return self.rows >= self.seq_len

    def view(self) -> np.ndarray:
        return self.buf[self.pos - self.seq_len : self.pos]


class Predictor:
    """One champion's per-tick inference (see the module docstring)."""

    def __init__(self, champion: Champion, factor_names: tuple[str, ...]) -> None:
        self.champion = champion
        self.names = factor_names
        self.window: RollingWindow | None = None
        self.reset = False
        if champion.input_kind == "windows":
            model: Any = champion.model
            self.inputs = str(champion.meta["params"]["inputs"])
            self.window = RollingWindow(int(model.seq_len), len(model.columns))

    def step(self, feats: np.ndarray, t: MarketTick, infer: bool) -> np.ndarray | None:
        w = self.window
        if w is None:
            return self.champion.proba_one(feats) if infer else None
        row, _ = window_inputs(self.inputs, book_row(t.x), feats[None], self.names)
        self.reset = w.push(row[0], (t.day_key, t.segment, t.underlying))
        if not w.full:
            return NO_DECISION
        return self.champion.proba_one(w.view()) if infer else None

    def warmup(self) -> list[int] | None:
        """[rows in the window, rows needed] while a window model waits for a full window, else None."""
        w = self.window
        return None if w is None or w.full else [w.rows, w.seq_len]
