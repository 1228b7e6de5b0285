"""Top factors of the full set by rank-IC on the real SHFE cu fixture (one day, 200 ticks, 20 minutes).

Run: ``.venv/bin/python benchmarks/factor_ic_real.py`` -> ``benchmarks/results/factor_ic_real.json``.
Not a speed benchmark: the README's closing note quotes it. 200 ticks is far too few for a
significant IC (the standard error of a rank correlation on ~150 pairs is ~0.08): read it as a smoke
test of the pipeline on real data, not as evidence about any factor.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ghtrader.features import compute_features, factor_specs
from ghtrader.features.analysis import AnalysisConfig, Sample, _forward, analyze
from ghtrader.features.sets import feature_set
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.sources.csv import read_tick_csv
from ghtrader.testing import real_data_dir, real_tick_csv

OUT = Path(__file__).resolve().parent / "results" / "factor_ic_real.json"


def main() -> dict[str, object]:
    root = real_data_dir()
    if root is None:
        raise SystemExit("real data (../shared/data/real) not present")
    cal = TradingCalendar.bundled()
    spec = ContractBook.load(cal).get("SHFE.cu1909")
    ticks, _ = read_tick_csv(real_tick_csv(root), calendar=cal)
    config = feature_set("full")
    f = compute_features(ticks, config, price_tick=spec.price_tick, volume_multiple=spec.volume_multiple)
    names = [s.column for s in factor_specs(config)]
    X = f[names].to_numpy()
    mid = 0.5 * (ticks["bid_price1"].to_numpy(float) + ticks["ask_price1"].to_numpy(float))
    seg = np.zeros(len(mid), dtype=np.int64)
    cfg = AnalysisConfig(horizons=(10, 50), n_splits=2, block_rows=len(X), top=10)
    hs = sorted({1, 2, 5, 10, 20, 50, 100, 200})
    days = np.full(len(X), ticks["trading_day"].iloc[0].toordinal())
    sample = Sample(names, X, {h: _forward(mid, seg, h) for h in hs}, days, X, len(X), 1)
    res = analyze(sample, {s.column: s for s in factor_specs(config)}, cfg)
    by = {r["name"]: r for r in res["factors"]}
    out = {
        "fixture": str(real_tick_csv(root).name),
        "ticks": len(ticks),
        "trading_days": int(ticks["trading_day"].nunique()),
        "span_minutes": round((ticks["datetime_ns"].iloc[-1] - ticks["datetime_ns"].iloc[0]) / 6e10, 1),
        "factors": len(names),
        "top_by_rank_ic_h50": [
            {
                "name": n,
                "family": by[n]["family"],
                "rank_ic_h10": by[n]["rank_ic"]["10"],
                "rank_ic_h50": by[n]["rank_ic"]["50"],
            }
            for n in res["top"]
        ],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
