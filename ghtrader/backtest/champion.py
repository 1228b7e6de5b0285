"""Score a model *artifact* on stored days: ``ghtrader backtest --champion`` (research side of replay).

Not the stored walk-forward predictions: the artifact itself predicts every main_l5 tick of the days,
from factors computed by the batch engine starting at the state the features build stored at the end
of the previous built day (or fresh when there is none), exactly where ``ghtrader trade replay`` starts
its online engine. A window model (the deep zoo) sees, at each tick, the full window of the last
``seq_len`` input rows (``ghtrader.models.deep.inputs``: book block, then factors) of the tick's own
(segment, trading day) run, as training does; before a run has ``seq_len`` ticks there is no
prediction (NaN: no signal), as in the runner. Targets follow the signal rule and backtest config in the model's meta, then the
runner's session guard (``hold_outside_sessions``), then the tier-1 fill model. Any difference from a
replay's fills is a training/serving skew bug.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.backtest.engine import BacktestConfig, BacktestResult, block_ends, run_backtest
from ghtrader.backtest.signals import hold_outside_sessions, signal_from_proba
from ghtrader.datasets.windows import SequenceDataset, sequence_windows
from ghtrader.features.aux import range_aux
from ghtrader.features.build import feature_days, load_state, per_row_spec
from ghtrader.features.engine import AuxTicks, FactorState, compute_matrix, tick_inputs
from ghtrader.features.registry import FeatureConfig, feature_columns
from ghtrader.market.clock import SessionClock
from ghtrader.market.contracts import ContractBook, variety_of
from ghtrader.market.sessions import variety_sessions
from ghtrader.schema import to_pandas
from ghtrader.store.lake import ParquetLake


def load_main_ticks(lake: ParquetLake, symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Every main_l5 column of ``symbol`` over ``[start, end]``, in time order."""
    df = to_pandas(lake.read_range("main_l5", symbol, start, end))
    return df.sort_values("datetime_ns", kind="stable").reset_index(drop=True)


def load_main_aux(
    lake: ParquetLake, book: ContractBook, symbol: str, start: dt.date, end: dt.date, roles: tuple[str, ...]
) -> dict[str, AuxTicks]:
    """The aux streams of ``roles`` over the main_l5 days of ``[start, end]``, resolved as the build does."""
    days = [d for d in lake.days("main_l5", symbol) if start <= d <= end]
    return range_aux(lake, book, symbol, days, roles)


def warm_state(lake: ParquetLake, symbol: str, start: dt.date, config: FeatureConfig) -> FactorState:
    """Factor state at the end of the last built day before ``start`` (fresh when none / other config)."""
    try:
        before = [d for d in feature_days(lake, symbol) if d < start]
        return load_state(lake, symbol, before[-1], config) if before else FactorState.fresh(config)
    except (OSError, ValueError, KeyError):
        return FactorState.fresh(config)


def backtest_config_from(meta: dict[str, Any]) -> BacktestConfig:
    known = BacktestConfig().as_dict()
    return BacktestConfig(**{k: v for k, v in (meta.get("backtest") or {}).items() if k in known})


def tick_flags(ticks: pd.DataFrame, config: BacktestConfig) -> tuple[np.ndarray, np.ndarray]:
    """(block_last, next_block_last) per tick, as the fill kernel uses them."""
    contract = pd.factorize(ticks["underlying_contract"], sort=False)[0]
    day = pd.factorize(ticks["trading_day"], sort=False)[0]
    last = block_ends(ticks["segment_id"].to_numpy(np.int64), contract, day, config)
    nxt = np.zeros_like(last)
    nxt[:-1] = last[1:] & ~last[:-1]
    return last, nxt


def orderable(ticks: pd.DataFrame, clock: SessionClock) -> np.ndarray:
    """Whether an order may leave at each tick (continuous session), as the runner's guard decides."""
    return np.fromiter((clock.in_session(int(t)) for t in ticks["datetime_ns"]), bool, len(ticks))


def window_base(
    ticks: pd.DataFrame, values: np.ndarray, model: Any, features: FeatureConfig
) -> tuple[np.ndarray, np.ndarray]:
    """(input rows, end rows of the full windows) of a window model over ``ticks`` and factor ``values``."""
    from ghtrader.models.deep.inputs import book_rows, window_inputs

    names = tuple(feature_columns(features))
    base, cols = window_inputs(model.meta["params"]["inputs"], book_rows(ticks), values, names)
    if tuple(model.columns) != cols:
        raise ValueError(
            f"{model.name}: input columns differ from {model.meta['params']['inputs']} + {features.hash}"
        )
    day = pd.factorize(ticks["trading_day"], sort=False)[0]
    seg = ticks["segment_id"].to_numpy(np.int64)
    return base, sequence_windows(len(ticks), seg, int(model.seq_len), day_codes=day)


def predict_ticks(
    ticks: pd.DataFrame, values: np.ndarray, model: Any, features: FeatureConfig, batch: int = 512
) -> np.ndarray:
    """(n, 3) probabilities of ``model`` at every tick (factor rows, or full windows; NaN: none yet)."""
    if getattr(model, "input_kind", "rows") != "windows":
        return np.asarray(model.predict_proba(values.astype(np.float32)), dtype=np.float64)
    base, ends = window_base(ticks, values, model, features)
    data = SequenceDataset(base, ends, int(model.seq_len))
    proba = np.full((len(ticks), 3), np.nan)
    for i in range(0, len(ends), batch):
        idx = np.arange(i, min(i + batch, len(ends)))
        proba[ends[idx]] = model.predict_proba(data.batch(idx)[0])
    return proba


@dataclass(frozen=True)
class ChampionBacktest:
    proba: np.ndarray
    target: np.ndarray
    result: BacktestResult


def backtest_model(
    ticks: pd.DataFrame,
    model: Any,
    meta: dict[str, Any],
    *,
    features: FeatureConfig,
    state: FactorState,
    book: ContractBook,
    aux: Mapping[str, AuxTicks] | None = None,
) -> ChampionBacktest:
    """Factors (batch, from ``state``), the artifact's probabilities, targets and the tier-1 backtest.

    ``aux``: the aux streams over the same days when ``features`` has cross factors (``features.aux``).
    """
    price_tick, mult = per_row_spec(ticks, book)
    values = compute_matrix(*tick_inputs(ticks, price_tick, mult), features, state.copy(), aux)
    proba = predict_ticks(ticks, values, model, features)
    sig = meta.get("signal") or {}
    groups = ticks.groupby(["trading_day", "segment_id"], sort=False).ngroup().to_numpy()
    hold = bool(sig.get("hold", True))
    target = signal_from_proba(
        proba,
        threshold=float(sig.get("threshold", 0.8)),
        max_pos=int(sig.get("max_pos", 1)),
        hold=hold,
        groups=groups if hold else None,
    )
    config = backtest_config_from(meta)
    last, _ = tick_flags(ticks, config)
    start = np.r_[True, last[:-1]]
    var = variety_of(str(ticks["underlying_contract"].iloc[0])) if len(ticks) else "cu"
    ok = orderable(ticks, SessionClock(book.calendar, variety_sessions(var)))
    target = hold_outside_sessions(target, ok, start)
    return ChampionBacktest(proba, target, run_backtest(ticks, target, book=book, config=config))
