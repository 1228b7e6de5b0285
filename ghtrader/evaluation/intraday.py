"""Walk-forward over row blocks of one short series: the model ladder on the real SHFE fixture.

Day splits (``walkforward``) need ``min_train_days + purge + n_splits`` test days; the real L5 fixture
(``../shared/data/real``) is one trading day of 200 snapshots. Here the unit is the row: the first split
trains on the first ``min_train_frac`` of the rows; ``n_splits`` consecutive test blocks of equal size
end the series, each preceded by a purge gap of ``purge_rows`` rows (default: the label horizon) that
nothing trains on, so no training label reaches into a test block (the rule of
``ghtrader.datasets.splits.purge_rows``). Train sets expand: every labelled row before the gap.

Thresholds (nested, time-ordered): per split, an inner model fitted on the split's train rows minus
their last ``tune_frac`` (and a purge gap) predicts that tail; the grid threshold with the best tier-1 net
PnL over the tail's ticks alone (flat at its end) is used on the split's test block (ties: the larger).
Nothing of the test block is seen. Backtest: each test block alone (flat at its end) with its split's
threshold; net PnL, fees and trades sum over the blocks. Baselines: majority (train class frequencies)
and the oracle, unavailable on real data (no sim sidecar; the reason is reported).

Inputs, models, metrics and batch-1 latency are exactly the day path's (``model_inputs``, ``_score``,
``ghtrader.evaluation.latency``). With 200 rows every number here is a smoke test of the code path on
real bytes, not evidence about a model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.evaluation.backtest import SignalConfig, backtest_proba, one_hot
from ghtrader.evaluation.data import EvalData
from ghtrader.evaluation.decision import ORACLE_THRESHOLD, THRESHOLD_GRID
from ghtrader.evaluation.inputs import model_inputs
from ghtrader.evaluation.latency import batch1_latency, latency_sample
from ghtrader.evaluation.oracle import oracle_classes
from ghtrader.evaluation.walkforward import EvalConfig, PredictorEval, _score
from ghtrader.market.contracts import ContractBook
from ghtrader.models.registry import make_model
from ghtrader.store.lake import ParquetLake

TUNED = "tuned on out-of-sample predictions of this split's train rows (inner tail)"


@dataclass(frozen=True)
class BlockConfig:
    horizon: int = 10
    n_splits: int = 5
    min_train_frac: float = 0.4
    purge_rows: int | None = None  # None: the horizon
    tune_frac: float = 0.25
    ece_bins: int = 10
    latency_calls: int = 300

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "unit": "rows", "train_stride": 1}


@dataclass(frozen=True)
class RowSplit:
    """Row ranges ``[start, stop)``: train, purge gap, test."""

    train: tuple[int, int]
    purge: tuple[int, int]
    test: tuple[int, int]


def row_splits(n: int, config: BlockConfig) -> list[RowSplit]:
    """Expanding-train splits with consecutive test blocks ending the series (see the module docs)."""
    purge = config.horizon if config.purge_rows is None else config.purge_rows
    min_train = max(1, int(np.ceil(n * config.min_train_frac)))
    size = (n - min_train - purge) // config.n_splits
    if config.n_splits < 1 or size < 1:
        raise ValueError(
            f"{n} rows are too few for {config.n_splits} test blocks after {min_train} train rows "
            f"and a {purge}-row purge"
        )
    first = n - config.n_splits * size
    starts = [first + i * size for i in range(config.n_splits)]
    return [RowSplit((0, t - purge), (t - purge, t), (t, t + size)) for t in starts]


@dataclass(frozen=True)
class _Block:
    """What every model shares: rows, their tick positions, ticks, splits, settings."""

    data: EvalData
    splits: list[RowSplit]
    ticks: pd.DataFrame
    pos: np.ndarray  # tick row of each data row
    keys: np.ndarray
    book: ContractBook
    signal: SignalConfig
    backtest_config: Any


def _positions(ticks: pd.DataFrame, keys: np.ndarray) -> np.ndarray:
    occ = lambda ns: pd.Series(ns).groupby(ns, sort=False).cumcount().to_numpy()  # noqa: E731
    t_ns = ticks["datetime_ns"].to_numpy(np.int64)
    right = pd.DataFrame({"ns": t_ns, "occ": occ(t_ns), "pos": np.arange(len(t_ns))})
    left = pd.DataFrame({"ns": keys, "occ": occ(keys)})
    pos = left.merge(right, on=["ns", "occ"], how="left", sort=False)["pos"].to_numpy()
    if np.isnan(pos.astype(np.float64)).any() or np.any(np.diff(pos) <= 0):
        raise ValueError("evaluation rows do not map one to one, in order, onto main_l5 ticks")
    return pos.astype(np.int64)


def _backtest(b: _Block, rng: tuple[int, int], proba: np.ndarray, threshold: float) -> Any:
    lo, hi = rng
    t = b.ticks.iloc[b.pos[lo] : b.pos[hi - 1] + 1].reset_index(drop=True)
    th = np.full(len(t), threshold)
    return backtest_proba(
        t, b.keys[lo:hi], proba, book=b.book, signal=b.signal, config=b.backtest_config, thresholds=th
    ).tier1


def _labelled(y: np.ndarray, lo: int, hi: int) -> np.ndarray:
    rows = np.arange(lo, max(lo, hi))
    return rows[y[rows] >= 0]


def _decide(b: _Block, fit: Callable[[np.ndarray], Any], inp: Any, s: RowSplit, cfg: BlockConfig) -> dict:
    """The split's threshold, tuned on its inner tail (module docs); the grid midpoint if untunable."""
    if b.signal.threshold is not None:
        return {"threshold": float(b.signal.threshold), "source": "fixed by caller", "rows": None}
    purge = cfg.horizon if cfg.purge_rows is None else cfg.purge_rows
    lo, hi = s.train
    tail0 = hi - max(1, int(round((hi - lo) * cfg.tune_frac)))
    try:
        inner = fit(_labelled(b.data.xy.y, lo, tail0 - purge))
    except ValueError as exc:  # too few rows for an inner fit
        mid = THRESHOLD_GRID[len(THRESHOLD_GRID) // 2]
        return {"threshold": mid, "source": f"grid midpoint: no inner fit ({exc})", "rows": [tail0, hi]}
    source = TUNED
    if isinstance(inner, Prior):
        source += "; one class in the inner train rows: no trade at any threshold, ties -> the largest"
    p = inner.predict_proba(inp.predict(np.arange(tail0, hi)))
    grid = [
        {"threshold": th, "net_pnl": float(_backtest(b, (tail0, hi), p, th).metrics["net_pnl"])}
        for th in THRESHOLD_GRID
    ]
    best = max(grid, key=lambda r: (r["net_pnl"], r["threshold"]))
    return {"threshold": best["threshold"], "source": source, "rows": [tail0, hi], "grid": grid}


def _sum_backtests(results: Sequence[Any]) -> tuple[dict[str, Any], pd.DataFrame]:
    """Metrics summed over blocks (drawdown of the concatenated equity) and that equity curve."""
    parts, offset = [], 0.0
    for i, r in enumerate(results):
        eq = r.equity[["equity"]].assign(trading_day=f"block {i}")
        eq["equity"] = eq["equity"] + offset
        offset = float(eq["equity"].iloc[-1]) if len(eq) else offset
        parts.append(eq)
    equity = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["equity", "trading_day"])
    curve = equity["equity"].to_numpy(np.float64)
    dd = float(np.max(np.maximum.accumulate(np.append(0.0, curve))[1:] - curve)) if len(curve) else 0.0
    keys = ("net_pnl", "total_pnl", "fees", "trade_count", "round_trips", "turnover_lots")
    out: dict[str, Any] = {k: sum(r.metrics[k] for r in results) for k in keys}
    out |= {"max_drawdown": dd, "sharpe": None, "blocks": len(results)}
    out["per_split_net_pnl"] = [float(r.metrics["net_pnl"]) for r in results]
    return out, equity


@dataclass(frozen=True)
class Prior:
    """Stand-in for a model whose training rows hold one class: predicts that one-hot prior."""

    proba: np.ndarray
    input_kind: str = "rows"

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.tile(self.proba, (len(X), 1))


def _evaluate(b: _Block, name: str, params: dict[str, Any] | None, cfg: BlockConfig) -> dict[str, Any]:
    inp = model_inputs(name, params, b.data)
    y = b.data.xy.y

    def fit(rows: np.ndarray) -> Any:
        if rows.size == 0:
            raise ValueError("no labelled train rows")
        classes = np.unique(y[rows])
        if classes.size == 1:  # a quiet stretch: nothing to learn, no classifier fits one class
            return Prior(np.eye(3)[int(classes[0])])
        return make_model(name, params).fit(*inp.train(rows))

    probas, fit_s, decisions, results, model, fallback = [], [], [], [], None, []
    for i, s in enumerate(b.splits):
        t0 = time.perf_counter()
        model = fit(_labelled(y, *s.train))
        fit_s.append(time.perf_counter() - t0)
        if isinstance(model, Prior):
            fallback.append(i)
        p = model.predict_proba(inp.predict(np.arange(*s.test)))
        dec = _decide(b, fit, inp, s, cfg)
        decisions.append(dec)
        results.append(_backtest(b, s.test, p, dec["threshold"]))
        probas.append(p)
    test_idx, split_of = _layout(b.splits)
    scores = _score(
        name,
        y[test_idx],
        split_of,
        len(b.splits),
        EvalConfig(ece_bins=cfg.ece_bins),
        proba=np.concatenate(probas),
    )
    bt, equity = _sum_backtests(results)
    last = None if isinstance(model, Prior) else model
    lat = batch1_latency(last, latency_sample(inp, test_idx), calls=cfg.latency_calls)
    per = [{"split": i, **{k: v for k, v in d.items() if k != "grid"}} for i, d in enumerate(decisions)]
    return {
        "scores": scores,
        "fit_seconds": fit_s,
        "backtest": bt,
        "equity": equity,
        "latency": lat,
        "decision": {"per_split": per, "source": TUNED},
        "params": make_model(name, params).params,
        "note": (
            f"split(s) {', '.join(map(str, fallback))}: one class in the train rows, the model predicts it"
            if fallback
            else None
        ),
    }


def _layout(splits: Sequence[RowSplit]) -> tuple[np.ndarray, np.ndarray]:
    idx = [np.arange(*s.test) for s in splits]
    return np.concatenate(idx), np.concatenate([np.full(len(r), i) for i, r in enumerate(idx)])


def _baselines(b: _Block, cfg: BlockConfig) -> tuple[dict[str, PredictorEval], dict[str, Any]]:
    """Majority and oracle scores on the test rows, and the oracle's block backtests (if available)."""
    y = b.data.xy.y
    test_idx, split_of = _layout(b.splits)
    prior = np.zeros((len(test_idx), 3))
    for i, s in enumerate(b.splits):
        counts = np.bincount(y[_labelled(y, *s.train)], minlength=3).astype(np.float64)
        prior[split_of == i] = counts / max(counts.sum(), 1.0)
    ecfg = EvalConfig(ece_bins=cfg.ece_bins)
    out = {"majority": _score("majority", y[test_idx], split_of, len(b.splits), ecfg, proba=prior)}
    k = float(b.data.provenance["labels"]["config"]["k"])
    lake = ParquetLake(b.data.lake_root) if b.data.lake_root else None
    oracle, reason = (
        (None, "no lake")
        if lake is None
        else oracle_classes(lake, b.data.symbol, b.data.xy.meta.iloc[test_idx], k=k, book=b.book)
    )
    if oracle is None:
        return out | {"oracle": PredictorEval("oracle", [], {}, {}, available=False, reason=reason)}, {}
    pred = np.where(oracle >= 0, oracle, 1)
    out["oracle"] = _score("oracle", y[test_idx], split_of, len(b.splits), ecfg, pred=pred)
    sig = replace(b.signal, threshold=None)
    blk = replace(b, signal=sig)
    res = [
        _backtest(blk, s.test, one_hot(oracle[split_of == i]), ORACLE_THRESHOLD)
        for i, s in enumerate(b.splits)
    ]
    return out, dict(zip(("metrics", "equity"), _sum_backtests(res), strict=True))
