"""Training selects features by named set: core read from a full lake equals the core lake; refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ghtrader.evaluation.data import available_days, load_eval_data
from ghtrader.features.build import build_features
from ghtrader.features.registry import feature_columns
from ghtrader.features.sets import artifact_feature_config, feature_set
from ghtrader.market.contracts import ContractBook
from ghtrader.store.lake import ParquetLake

SYMBOL = "KQ.m@SHFE.cu"


def test_core_from_full_lake_equals_core_lake(sim_data_dir: Path, tmp_path: Path, book: ContractBook) -> None:
    core_lake = sim_data_dir / "lake_v2"
    days = available_days(core_lake, SYMBOL)[:2]
    with pytest.raises(ValueError, match=r"lacks \d+ factor\(s\) of set 'full'.*--features full --overwrite"):
        load_eval_data(core_lake, SYMBOL, horizon=50, days=days, feature_set="full")
    lake = tmp_path / "lake_v2"
    lake.mkdir()
    for name in ("main_l5", "labels"):
        (lake / name).symlink_to(core_lake / name)
    build_features(ParquetLake(lake), SYMBOL, book=book, config=feature_set("full"), days=days)
    full = load_eval_data(lake, SYMBOL, horizon=50, days=days)  # None: every factor the lake holds
    assert full.xy.feature_names == tuple(feature_columns(feature_set("full")))
    assert full.provenance["features"]["set"] == "full"
    core = load_eval_data(lake, SYMBOL, horizon=50, days=days, feature_set="core")
    ref = load_eval_data(core_lake, SYMBOL, horizon=50, days=days, feature_set="core")
    assert core.xy.feature_names == ref.xy.feature_names == tuple(feature_columns(feature_set("core")))
    np.testing.assert_array_equal(core.xy.X, ref.xy.X)  # same kernel for core factors either way
    assert core.provenance["features"]["set_hash"] == feature_set("core").hash
    assert core.data_hash != ref.data_hash  # a different lake (config hash) is a different dataset


def test_artifact_feature_config_refuses_ad_hoc_and_changed_sets() -> None:
    with pytest.raises(ValueError, match="no named feature set"):
        artifact_feature_config({"feature_set": {"name": None, "hash": "x"}})
    with pytest.raises(ValueError, match="changed since training"):
        artifact_feature_config({"feature_set": {"name": "full", "hash": "0000"}})
    meta = {"feature_set": {"name": "full", "hash": feature_set("full").hash}}
    assert artifact_feature_config(meta) == feature_set("full")
