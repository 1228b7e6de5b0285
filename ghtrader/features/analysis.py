"""Factor analysis of a feature set over stored main_l5 days: IC, rank-IC, decay, stability, turnover.

Factors are computed on the fly from main_l5 with the set's config (state carried across days, as the
build does), so a report on ``full`` needs no ``full`` feature lake. Traps:

- Forward returns ``log(mid[t+h] / mid[t])`` are in *ticks of the main series* and NaN when ``t + h``
  falls into another segment (a roll would otherwise show up as a giant return).
- Every statistic uses only rows where both the factor and the return are finite; rank-IC ranks within
  that mask (ties averaged), so flag-like factors get honest Spearman values.
- Rows are strided down to ``max_rows`` for IC and the correlation map; autocorrelation and turnover
  use one contiguous block of raw ticks (a strided series would overstate turnover).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.features.aux import day_sources, read_sources
from ghtrader.features.build import SOURCE, per_row_spec
from ghtrader.features.engine import FactorState, compute_matrix, tick_inputs
from ghtrader.features.registry import FeatureConfig, factor_specs
from ghtrader.market.contracts import ContractBook
from ghtrader.schema import to_pandas
from ghtrader.store.lake import ParquetLake

HORIZONS = (10, 50, 200)
DECAY_HORIZONS = (1, 2, 5, 10, 20, 50, 100, 200)


@dataclass(frozen=True)
class AnalysisConfig:
    """How much to sample and how to split; ``cluster_corr``: |Spearman| joining factors into a cluster."""

    horizons: tuple[int, ...] = HORIZONS
    max_rows: int = 60_000
    n_splits: int = 5
    block_rows: int = 20_000
    top: int = 20
    cluster_corr: float = 0.9


@dataclass
class Sample:
    """Strided factor rows with their forward returns, plus one contiguous raw block."""

    names: list[str]
    X: np.ndarray  # (rows, factors)
    fwd: dict[int, np.ndarray]
    day: np.ndarray  # trading-day ordinal of each sampled row
    block: np.ndarray  # (block_rows, factors) contiguous raw ticks
    n_ticks: int
    stride: int


def _forward(mid: np.ndarray, seg: np.ndarray, h: int) -> np.ndarray:
    out = np.full(len(mid), np.nan)
    if len(mid) > h:
        same = seg[h:] == seg[:-h]
        out[:-h] = np.where(same, np.log(mid[h:] / mid[:-h]), np.nan)
    return out


def collect(
    lake: ParquetLake,
    symbol: str,
    days: list[dt.date],
    config: FeatureConfig,
    book: ContractBook,
    cfg: AnalysisConfig = AnalysisConfig(),
) -> Sample:
    """Run the factor kernel over ``days`` of main_l5 and keep a strided sample (see module doc)."""
    manifests = [lake.manifest(SOURCE, symbol, d) for d in days]
    days = [d for d, m in zip(days, manifests, strict=True) if m is not None and m.rows > 0]
    if not days:
        raise ValueError(f"{symbol}: no main_l5 days in the requested range under {lake.root}")
    total = sum(m.rows for m in manifests if m is not None)
    stride = max(1, -(-total // cfg.max_rows))
    block_day = days[len(days) // 2]
    state = FactorState.fresh(config)
    xs, mids, segs, dkeys = [], [], [], []
    block: np.ndarray = np.empty((0, 0))
    offset = 0
    for day in days:
        df = to_pandas(lake.read_day(SOURCE, symbol, day))
        pt, mult = per_row_spec(df, book)
        aux = read_sources(lake, day, day_sources(lake, book, symbol, day, config.cross))
        values = compute_matrix(*tick_inputs(df, pt, mult), config, state, aux)
        if day == block_day:
            block = values[: cfg.block_rows].copy()
        first = (-offset) % stride
        xs.append(values[first::stride])
        mids.append(0.5 * (df["bid_price1"].to_numpy(float) + df["ask_price1"].to_numpy(float)))
        segs.append(df["segment_id"].to_numpy(np.int64))
        dkeys.append(np.full(len(values[first::stride]), day.toordinal()))
        offset += len(values)
    mid, seg = np.concatenate(mids), np.concatenate(segs)
    rows = np.arange(0, len(mid), stride)
    fwd = {h: _forward(mid, seg, h)[rows] for h in sorted({*cfg.horizons, *DECAY_HORIZONS})}
    names = [s.column for s in factor_specs(config)]
    return Sample(names, np.concatenate(xs), fwd, np.concatenate(dkeys), block, len(mid), stride)


def _ic(x: np.ndarray, y: np.ndarray, rank: bool) -> float | None:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 30:
        return None
    a, b = x[ok], y[ok]
    if rank:
        a = pd.Series(a).rank().to_numpy()
        b = pd.Series(b).rank().to_numpy()
    if a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def _autocorr(x: np.ndarray, lag: int) -> float | None:
    ok = np.isfinite(x[lag:]) & np.isfinite(x[:-lag]) if len(x) > lag else np.zeros(0, bool)
    if ok.sum() < 30:
        return None
    a, b = x[lag:][ok], x[:-lag][ok]
    return float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else None


def _clusters(X: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Spearman matrix (NaN rows -> mid rank) and cluster ids: components of |rho| >= threshold."""
    ranks = pd.DataFrame(X).rank(pct=True).fillna(0.5).to_numpy()
    std = ranks.std(axis=0)
    ranks = (ranks - ranks.mean(axis=0)) / np.where(std > 0, std, 1.0)
    corr = np.clip(ranks.T @ ranks / len(ranks), -1.0, 1.0) if len(ranks) else np.eye(X.shape[1])
    parent = list(range(X.shape[1]))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(np.abs(corr) >= threshold, 1)), strict=True):
        parent[find(int(i))] = find(int(j))
    roots = [find(i) for i in range(X.shape[1])]
    ids = {r: k for k, r in enumerate(dict.fromkeys(roots))}
    return corr, np.array([ids[r] for r in roots])


def analyze(sample: Sample, specs: dict[str, Any], cfg: AnalysisConfig = AnalysisConfig()) -> dict[str, Any]:
    """Per-factor statistics and set-level summaries (JSON-ready; see ``reports.factors``)."""
    X, names = sample.X, sample.names
    uniq = np.unique(sample.day)
    groups = np.array_split(uniq, min(cfg.n_splits, len(uniq))) if len(uniq) else []
    split_of = np.zeros(len(sample.day), dtype=np.int64)
    for k, g in enumerate(groups):
        split_of[np.isin(sample.day, g)] = k
    h_main = cfg.horizons[len(cfg.horizons) // 2]
    corr, cluster = _clusters(X, cfg.cluster_corr)
    rows = []
    for j, name in enumerate(names):
        x = X[:, j]
        rec: dict[str, Any] = {
            "name": name,
            "family": specs[name].family,
            "nan_rate": float(np.isnan(x).mean()),
        }
        rec["ic"] = {str(h): _ic(x, sample.fwd[h], False) for h in cfg.horizons}
        rec["rank_ic"] = {str(h): _ic(x, sample.fwd[h], True) for h in cfg.horizons}
        per = [_ic(x[split_of == k], sample.fwd[h_main][split_of == k], True) for k in range(len(groups))]
        vals = np.array([v for v in per if v is not None])
        main = rec["rank_ic"][str(h_main)]
        rec["split_rank_ic"] = per
        rec["split_mean"] = float(vals.mean()) if len(vals) else None
        rec["split_std"] = float(vals.std()) if len(vals) > 1 else None
        rec["split_ir"] = float(vals.mean() / vals.std()) if len(vals) > 1 and vals.std() > 0 else None
        rec["sign_consistency"] = (
            float(np.mean(np.sign(vals) == np.sign(main))) if len(vals) and main is not None else None
        )
        b = sample.block[:, j] if sample.block.size else np.zeros(0)
        rec["ac1"] = _autocorr(b, 1)
        rec["ac10"] = _autocorr(b, 10)
        fin = b[np.isfinite(b)]
        sd = float(fin.std()) if len(fin) > 1 else 0.0
        rec["turnover"] = float(np.nanmean(np.abs(np.diff(b))) / sd) if sd > 0 else None
        rec["cluster"] = int(cluster[j])
        rows.append(rec)
    key = str(h_main)
    ranked = sorted((r for r in rows if r["rank_ic"][key] is not None), key=lambda r: -abs(r["rank_ic"][key]))
    top = [r["name"] for r in ranked[: cfg.top]]
    index = {n: j for j, n in enumerate(names)}
    decay = {n: {str(h): _ic(X[:, index[n]], sample.fwd[h], True) for h in DECAY_HORIZONS} for n in top[:10]}
    fams: dict[str, dict[str, Any]] = {}
    for r in rows:
        f = fams.setdefault(r["family"], {"count": 0, "nan_rate": 0.0, "best": None, "best_rank_ic": 0.0})
        f["count"] += 1
        f["nan_rate"] += r["nan_rate"]
        v = r["rank_ic"][key]
        if v is not None and abs(v) > abs(f["best_rank_ic"]):
            f["best"], f["best_rank_ic"] = r["name"], v
    for f in fams.values():
        f["nan_rate"] /= f["count"]
    multi = [
        [names[j] for j in np.nonzero(cluster == c)[0]]
        for c in np.unique(cluster)
        if (cluster == c).sum() > 1
    ]
    return {
        "horizons": list(cfg.horizons),
        "main_horizon": h_main,
        "n_ticks": sample.n_ticks,
        "rows_sampled": int(len(X)),
        "stride": sample.stride,
        "splits": [[dt.date.fromordinal(int(d)).isoformat() for d in g] for g in groups],
        "factors": rows,
        "top": top,
        "decay": decay,
        "families": fams,
        "clusters": sorted(multi, key=len, reverse=True),
        "corr": corr,
        "cluster_of": cluster,
    }
