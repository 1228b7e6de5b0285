"""Build features and labels of a continuous symbol in one call (the pipeline's ``build`` step)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ghtrader.features.build import build_features
from ghtrader.features.registry import FeatureConfig
from ghtrader.labels.build import build_labels
from ghtrader.labels.core import LabelConfig
from ghtrader.market.contracts import ContractBook
from ghtrader.store.lake import ParquetLake


def build_dataset(
    lake: ParquetLake,
    symbol: str,
    *,
    book: ContractBook,
    features: FeatureConfig | None = None,
    labels: LabelConfig | None = None,
    overwrite: bool = False,
    progress: Callable[..., None] | None = None,
) -> dict[str, Any]:
    """Build (or resume) features then labels for every main_l5 day of ``symbol``."""
    if not lake.days("main_l5", symbol):
        raise ValueError(f"no main_l5 days for {symbol} in {lake.root}; run `ghtrader main-l5` first")
    f = build_features(lake, symbol, book=book, config=features, overwrite=overwrite, progress=progress)
    lab = build_labels(lake, symbol, book=book, config=labels or LabelConfig(), overwrite=overwrite)
    fd = dataclasses.asdict(f)
    return {
        "symbol": symbol,
        "features": {
            "config_hash": f.config_hash,
            "built": [d.isoformat() for d in fd["built"]],
            "skipped": len(f.skipped),
            "rows": f.rows,
        },
        "labels": lab.to_dict() | {"skipped": len(lab.skipped)},
    }
