"""``factors report`` orchestration: pick the days, analyze a feature set, write HTML + JSON."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ghtrader.evaluation.data import stable_hash
from ghtrader.features.analysis import AnalysisConfig, analyze, collect
from ghtrader.features.build import SOURCE
from ghtrader.features.registry import factor_specs
from ghtrader.features.sets import feature_set
from ghtrader.market.contracts import ContractBook
from ghtrader.reports.factors import now_utc, report_dir, write_factor_report
from ghtrader.store.lake import ParquetLake


def factor_report(
    lake: ParquetLake,
    symbol: str,
    *,
    start: dt.date | None,
    end: dt.date | None,
    set_name: str,
    book: ContractBook,
    runs_dir: Path,
    cfg: AnalysisConfig = AnalysisConfig(),
) -> dict[str, Any]:
    """Analyze ``set_name`` over ``symbol``'s main_l5 days in [start, end]; return a summary with paths."""
    config = feature_set(set_name)
    days = [
        d for d in lake.days(SOURCE, symbol) if (start is None or d >= start) and (end is None or d <= end)
    ]
    if not days:
        raise ValueError(f"{symbol}: no main_l5 days in {start}..{end} under {lake.root}; run main-l5 first")
    specs = {s.column: s for s in factor_specs(config)}
    res = analyze(collect(lake, symbol, days, config, book, cfg), specs, cfg)
    settings = {"set_hash": config.hash, "days": [d.isoformat() for d in days], "analysis": asdict(cfg)}
    rid = stable_hash({"symbol": symbol, **settings}, 12)
    meta = {
        "report_id": rid,
        "symbol": symbol,
        "set": set_name,
        "set_hash": config.hash,
        "count": len(specs),
        "start": days[0].isoformat(),
        "end": days[-1].isoformat(),
        "days": settings["days"],
        "cluster_corr": cfg.cluster_corr,
        "analysis": asdict(cfg),
        "created": now_utc(),
    }
    page, doc = write_factor_report(report_dir(runs_dir, symbol, rid), res, meta)
    key = str(res["main_horizon"])
    by = {r["name"]: r for r in res["factors"]}
    return {
        **{k: meta[k] for k in ("report_id", "symbol", "set", "set_hash", "count", "start", "end")},
        "days": len(days),
        "ticks": res["n_ticks"],
        "report": str(page),
        "json": str(doc),
        "families": {f: v["count"] for f, v in res["families"].items()},
        "top": [{"name": n, "rank_ic": by[n]["rank_ic"][key], "family": by[n]["family"]} for n in res["top"]],
    }
