"""Walk-forward evaluation of one model, and the majority / oracle baselines on the same splits.

Per split: fit on the labelled rows of the train days (every ``train_stride``-th row, for speed),
predict *every* row of the test days (unlabelled rows too, so the backtest sees a signal at each tick;
they are not scored), score the labelled ones. Splits come from ``ghtrader.datasets.splits`` (whole
trading days, a purge gap, test windows consecutive and disjoint), so the concatenated test
predictions cover each test day exactly once. Nothing trains on a day it is tested on.

Baselines on the same test rows: ``majority`` predicts the most frequent class of the train split
(its probabilities are the train class frequencies, so its log loss / ECE are those of the prior);
``oracle`` classifies the sim's latent expected mid change (``ghtrader.evaluation.oracle``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.datasets.splits import Split, walk_forward_splits
from ghtrader.evaluation.data import EvalData
from ghtrader.evaluation.metrics import classification_metrics, summarize
from ghtrader.models.registry import make_model


@dataclass(frozen=True)
class EvalConfig:
    """Walk-forward layout and scoring knobs (``test_days=None``: as many per split as the data allows)."""

    horizon: int = 50
    n_splits: int = 5
    min_train_days: int = 5
    test_days: int | None = None
    purge_days: int = 1
    train_stride: int = 20
    ece_bins: int = 10
    oracle_k: float | None = None
    latency_rows: int = 10_000
    tune_days: int = 1  # the first split's last train days predicted by an inner fit (threshold tuning)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PredictorEval:
    """Scores of one predictor: per split, mean/std over splits, and pooled over all test rows."""

    name: str
    per_split: list[dict[str, Any]]
    summary: dict[str, Any]
    pooled: dict[str, Any]
    available: bool = True
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ModelEval:
    """A model's walk-forward result, its out-of-sample predictions and the model fitted on all days."""

    name: str
    params: dict[str, Any]
    scores: PredictorEval
    predictions: pd.DataFrame
    latency_us_per_row: float
    fit_seconds: list[float]
    final_model: Any
    tuning: pd.DataFrame | None = None  # out-of-sample inner-tail predictions (split -1) for decisions
    latency_sample: np.ndarray | None = None  # a few test inputs (rows or windows) for batch-1 latency


def make_splits(days: Sequence[dt.date], config: EvalConfig) -> list[Split]:
    """Walk-forward splits; ``test_days=None`` spreads the days after ``min_train_days`` over the splits."""
    n = len(set(days))
    test = config.test_days or max(1, (n - config.purge_days - config.min_train_days) // config.n_splits)
    return walk_forward_splits(
        days,
        n_splits=config.n_splits,
        min_train_days=config.min_train_days,
        test_days=test,
        purge_days=config.purge_days,
    )


def train_rows(data: EvalData, days: Sequence[dt.date], stride: int) -> np.ndarray:
    """Labelled rows of ``days``, every ``stride``-th, in time order."""
    idx = data.rows_of(days)
    return idx[data.xy.y[idx] >= 0][:: max(1, stride)]


def _score(
    name: str,
    y: np.ndarray,
    split_of: np.ndarray,
    n_splits: int,
    config: EvalConfig,
    proba: np.ndarray | None = None,
    pred: np.ndarray | None = None,
) -> PredictorEval:
    """Score labelled rows per split and pooled (``proba`` or ``pred``, aligned with ``y``)."""
    keep = y >= 0
    per_split = []
    for s in range(n_splits):
        m = keep & (split_of == s)
        per_split.append(
            {
                "split": s,
                **classification_metrics(
                    y[m],
                    None if proba is None else proba[m],
                    pred=None if pred is None else pred[m],
                    n_bins=config.ece_bins,
                ),
            }
        )
    pooled = classification_metrics(
        y[keep],
        None if proba is None else proba[keep],
        pred=None if pred is None else pred[keep],
        n_bins=config.ece_bins,
    )
    return PredictorEval(name, per_split, summarize(per_split), pooled)


def holdout_layout(data: EvalData, splits: Sequence[Split]) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of all test days (time order) and the split number of each."""
    parts = [data.rows_of(s.test_days) for s in splits]
    split_of = np.concatenate([np.full(len(p), i, dtype=np.int64) for i, p in enumerate(parts)])
    return np.concatenate(parts), split_of


def latency_us(model: Any, X: Any, repeats: int = 3) -> float:
    """Best-of-``repeats`` wall time of one ``predict_proba`` batch, in microseconds per row."""
    if len(X) == 0:
        return float("nan")
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.predict_proba(X)
        best = min(best, time.perf_counter() - t0)
    return best / len(X) * 1e6


def inner_tail(split: Split, config: EvalConfig) -> tuple[tuple[dt.date, ...], tuple[dt.date, ...]]:
    """(inner train days, tuning days) inside ``split``'s train days: the last ``tune_days`` are tuned
    on, after a purge gap; empty when the train days are too few."""
    days = split.train_days
    purge = config.purge_days if len(days) - config.tune_days - config.purge_days >= 1 else 0
    n_inner = len(days) - config.tune_days - purge  # labels never cross a day: the purge is optional
    if config.tune_days < 1 or n_inner < 1:
        return (), ()
    return days[:n_inner], days[len(days) - config.tune_days :]


def evaluate_model(
    name: str,
    data: EvalData,
    splits: Sequence[Split],
    config: EvalConfig,
    params: dict[str, Any] | None = None,
) -> ModelEval:
    """Walk-forward ``name`` over ``splits``, then fit once more on every day (the artifact's model).

    Also fits an inner model on the first split's train days minus its tail and predicts the tail:
    out-of-sample rows inside the training fold, used to tune decision thresholds (``decision``).
    """
    from ghtrader.evaluation.inputs import model_inputs
    from ghtrader.evaluation.latency import latency_sample

    inp = model_inputs(name, params, data)
    y = data.xy.y
    test_idx, split_of = holdout_layout(data, splits)
    proba = np.full((len(test_idx), 3), np.nan)
    fit_s: list[float] = []
    model = None
    offset = 0
    for s in splits:
        tr = train_rows(data, s.train_days, config.train_stride)
        t0 = time.perf_counter()
        model = make_model(name, params).fit(*inp.train(tr))
        fit_s.append(time.perf_counter() - t0)
        rows = data.rows_of(s.test_days)
        proba[offset : offset + len(rows)] = model.predict_proba(inp.predict(rows))
        offset += len(rows)
    assert model is not None
    lat = latency_us(model, inp.predict(test_idx[: config.latency_rows]))
    scores = _score(name, y[test_idx], split_of, len(splits), config, proba=proba)
    tuning = None
    inner_days, tune_days = inner_tail(splits[0], config)
    if tune_days:
        inner = make_model(name, params).fit(*inp.train(train_rows(data, inner_days, config.train_stride)))
        rows = data.rows_of(tune_days)
        p = inner.predict_proba(inp.predict(rows))
        tuning = predictions_frame(data, rows, np.full(len(rows), -1, dtype=np.int64), p)
    final = make_model(name, params).fit(*inp.train(train_rows(data, data.xy.days, config.train_stride)))
    return ModelEval(
        name,
        final.params,
        scores,
        predictions_frame(data, test_idx, split_of, proba),
        lat,
        fit_s,
        final,
        tuning,
        latency_sample(inp, test_idx),
    )


def predictions_frame(
    data: EvalData, rows: np.ndarray, split_of: np.ndarray, proba: np.ndarray
) -> pd.DataFrame:
    """The ``predictions.parquet`` layout: keys, p_down/p_flat/p_up, y (nullable: unlabelled rows), split."""
    meta = data.xy.meta.iloc[rows].reset_index(drop=True)
    y = data.xy.y[rows]
    return pd.DataFrame(
        {
            "datetime_ns": meta["datetime_ns"].to_numpy(np.int64),
            "trading_day": meta["trading_day"].to_numpy(),
            "segment_id": meta["segment_id"].to_numpy(np.int64),
            "p_down": proba[:, 0],
            "p_flat": proba[:, 1],
            "p_up": proba[:, 2],
            "y": pd.arrays.IntegerArray(np.where(y >= 0, y, 0).astype(np.int8), mask=y < 0),
            "split": split_of.astype(np.int16),
        }
    )


def evaluate_baselines(
    data: EvalData,
    splits: Sequence[Split],
    config: EvalConfig,
    oracle: np.ndarray | None,
    oracle_reason: str | None,
) -> dict[str, PredictorEval]:
    """Majority-class and oracle scores on the test rows; ``oracle`` is a class per test row (-1: missing)."""
    test_idx, split_of = holdout_layout(data, splits)
    y = data.xy.y[test_idx]
    prior = np.zeros((len(test_idx), 3))
    for i, s in enumerate(splits):
        ytr = data.xy.y[data.rows_of(s.train_days)]
        counts = np.bincount(ytr[ytr >= 0], minlength=3).astype(np.float64)
        prior[split_of == i] = counts / counts.sum()
    out = {"majority": _score("majority", y, split_of, len(splits), config, proba=prior)}
    if oracle is None:
        out["oracle"] = PredictorEval("oracle", [], {}, {}, available=False, reason=oracle_reason)
    else:
        pred = np.where(oracle >= 0, oracle, 1)
        ev = _score("oracle", y, split_of, len(splits), config, pred=pred)
        missing = int(np.sum((oracle < 0) & (y >= 0)))
        out["oracle"] = PredictorEval(
            "oracle",
            ev.per_split,
            ev.summary,
            ev.pooled,
            reason=f"{missing} scored rows without sidecar value (FLAT)" if missing else None,
        )
    return out
