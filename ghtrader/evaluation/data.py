"""Evaluation inputs: every row of the chosen days loaded once, plus their provenance.

Provenance (SPEC §6) pins exactly which bytes were used: the sha256 of each feature and label
partition's ``_manifest.json`` (which itself lists the data files' sha256), the feature and label
config hashes, the feature schema hash and the tick / main_l5 schema hashes. ``data_hash`` digests all
of it; run and evaluation ids derive from it, so the same data lands in the same directory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.datasets.xy import XY, load_xy, partition_dir
from ghtrader.schema import MAIN_L5_SCHEMA_HASH, TICK_SCHEMA_HASH
from ghtrader.store.manifest import MANIFEST_NAME


@dataclass(frozen=True)
class EvalData:
    """All rows of ``days`` in time order (``xy.y == -1``: no label; those rows are predicted, not scored)."""

    symbol: str
    horizon: int
    xy: XY
    provenance: dict[str, Any]
    lake_root: Path | None = None  # where the rows came from (window models read the book there)

    @property
    def data_hash(self) -> str:
        return str(self.provenance["data_hash"])

    @property
    def day_array(self) -> np.ndarray:
        return self.xy.meta["trading_day"].to_numpy()

    @cached_property
    def day_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(code per row, distinct days): row selection by day without hashing every row again."""
        codes, uniq = pd.factorize(self.day_array)
        return np.asarray(codes), np.asarray(uniq, dtype=object)

    def rows_of(self, days: Sequence[dt.date]) -> np.ndarray:
        """Row positions (ascending) whose trading day is one of ``days``."""
        codes, uniq = self.day_codes
        return np.flatnonzero(np.isin(uniq, np.asarray(list(days), dtype=object))[codes])


def stable_hash(obj: Any, n: int = 16) -> str:
    """Hex sha256 prefix of ``obj``'s canonical JSON (sorted keys)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:n]


def _build_record(lake_root: Path, dataset: str, symbol: str) -> dict[str, Any]:
    path = Path(lake_root) / dataset / f"symbol={symbol}" / "_build.json"
    if not path.is_file():
        raise FileNotFoundError(f"no {dataset} built for {symbol} under {lake_root} (missing {path.name})")
    record: dict[str, Any] = json.loads(path.read_bytes())
    return record


def _manifest_sha(lake_root: Path, dataset: str, symbol: str, day: dt.date) -> str | None:
    path = partition_dir(lake_root, dataset, symbol, day) / MANIFEST_NAME
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def available_days(lake_root: Path, symbol: str) -> list[dt.date]:
    """Days with committed features and labels for ``symbol``, sorted."""
    feats = _build_record(lake_root, "features", symbol)["days"]
    labels = _build_record(lake_root, "labels", symbol)["days"]
    days = sorted(dt.date.fromisoformat(d) for d in set(feats) & set(labels))
    return [
        d
        for d in days
        if _manifest_sha(lake_root, "features", symbol, d) and _manifest_sha(lake_root, "labels", symbol, d)
    ]


def feature_selection(lake_root: Path, symbol: str, feature_set: str | None) -> dict[str, Any]:
    """The feature set a model uses: ``{"name", "hash", "config", "columns"}``.

    ``feature_set=None`` takes every factor the lake holds (its build config; ``name`` is None for an
    ad-hoc config). A named set must be covered by the lake's columns: ``core`` can be read from a
    ``full`` lake (core factors are computed by the same kernel either way), not the other way round.
    """
    from ghtrader.features.registry import FeatureConfig, feature_columns
    from ghtrader.features.sets import feature_set as named_set
    from ghtrader.features.sets import set_name_of

    frec = _build_record(lake_root, "features", symbol)
    built = FeatureConfig.from_dict(frec["config"])
    config = built if feature_set is None else named_set(feature_set)
    columns = feature_columns(config)
    held = {c["name"] for c in frec["columns"]}
    lacking = [c for c in columns if c not in held]
    if lacking:
        raise ValueError(
            f"{symbol}: the feature lake was built with set {set_name_of(built) or built.hash} and lacks "
            f"{len(lacking)} factor(s) of set {feature_set!r} (e.g. {lacking[0]}); "
            f"rebuild with `ghtrader build --features {feature_set} --overwrite`"
        )
    return {"name": set_name_of(config), "hash": config.hash, "config": config.to_dict(), "columns": columns}


def data_provenance(
    lake_root: Path, symbol: str, days: Iterable[dt.date], horizon: int, feature_set: str | None = None
) -> dict[str, Any]:
    """Hashes of everything an evaluation reads (see the module docstring)."""
    days = sorted(set(days))
    frec = _build_record(lake_root, "features", symbol)
    lrec = _build_record(lake_root, "labels", symbol)
    sel = feature_selection(lake_root, symbol, feature_set)
    prov: dict[str, Any] = {
        "symbol": symbol,
        "horizon": horizon,
        "days": [d.isoformat() for d in days],
        "features": {
            "config_hash": frec.get("config_hash"),
            "schema_hash": frec.get("schema_hash"),
            "set": sel["name"],
            "set_hash": sel["hash"],
            "manifests": {d.isoformat(): _manifest_sha(lake_root, "features", symbol, d) for d in days},
        },
        "labels": {
            "config_hash": lrec.get("config_hash"),
            "config": lrec.get("config"),
            "manifests": {d.isoformat(): _manifest_sha(lake_root, "labels", symbol, d) for d in days},
        },
        "tick_schema_hash": TICK_SCHEMA_HASH,
        "main_l5_schema_hash": MAIN_L5_SCHEMA_HASH,
    }
    prov["data_hash"] = stable_hash(prov)
    return prov


def load_eval_data(
    lake_root: Path,
    symbol: str,
    *,
    horizon: int,
    days: Iterable[dt.date] | None = None,
    feature_set: str | None = None,
) -> EvalData:
    """Load every row (labelled or not) of ``days`` (default: all days with features and labels).

    ``feature_set`` (``core`` | ``full``) selects that set's columns; None = every factor the lake holds.
    """
    chosen = sorted(set(days)) if days is not None else available_days(lake_root, symbol)
    if not chosen:
        raise ValueError(f"{symbol}: no days with both features and labels under {lake_root}")
    prov = data_provenance(lake_root, symbol, chosen, horizon, feature_set)
    columns = feature_selection(lake_root, symbol, feature_set)["columns"] if feature_set else None
    xy = load_xy(lake_root, symbol, chosen, horizon=horizon, drop_unlabeled=False, feature_columns=columns)
    return EvalData(symbol, horizon, xy, prov, Path(lake_root))
