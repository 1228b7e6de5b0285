"""Batch == incremental for every factor of every named set (same jitted step): sim with a roll, real cu."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ghtrader.features import FactorState, FeatureConfig, OnlineFactorEngine, compute_features, factor_specs
from ghtrader.features.catalog import FAMILIES
from ghtrader.features.engine import KEY_COLUMNS
from ghtrader.features.kernels import layout, sizes
from ghtrader.features.sets import FEATURE_SETS, describe_set, feature_set
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.sources.csv import read_tick_csv
from ghtrader.testing import real_tick_csv


def online(df: pd.DataFrame, config: FeatureConfig, price_tick: np.ndarray, mult: float) -> np.ndarray:
    eng = OnlineFactorEngine(config, price_tick=float(price_tick[0]), volume_multiple=mult)
    rows = df.to_dict("records")
    return np.array([eng.update(r, price_tick=float(pt)) for r, pt in zip(rows, price_tick, strict=True)])


def assert_parity(
    batch: pd.DataFrame, inc: np.ndarray, config: FeatureConfig, *, all_defined: bool = True
) -> list[str]:
    """Every factor: same NaN positions, max relative difference <= 1e-9, integer-valued ones exact.

    Returns the factors never defined on this input (must be none when ``all_defined``).
    """
    cols = [s.column for s in factor_specs(config)]
    assert list(batch.columns) == KEY_COLUMNS + cols
    values = batch[cols].to_numpy()
    assert values.shape == inc.shape
    never = []
    for j, col in enumerate(cols):
        a, b = values[:, j], inc[:, j]
        assert np.array_equal(np.isnan(a), np.isnan(b)), f"{col}: NaN positions differ"
        ok = ~np.isnan(a)
        if not ok.any():
            never.append(col)
            continue
        rel = np.abs(a[ok] - b[ok]) / np.maximum(np.abs(a[ok]), 1.0)
        assert rel.max() <= 1e-9, col
        if np.array_equal(a[ok], np.round(a[ok])):  # integer-valued (lots, counts, flags): exact
            assert np.array_equal(a[ok], b[ok]), col
    assert not (all_defined and never), f"never defined: {never}"
    return never


# the kernel's sets; the cross block needs aux streams and has its own parity (test_cross, test_cross_set)
KERNEL_SETS = [n for n in FEATURE_SETS if not feature_set(n).cross]


@pytest.mark.parametrize("name", KERNEL_SETS)
def test_batch_equals_online_sim(main_frame: pd.DataFrame, name: str) -> None:
    config = feature_set(name)
    frame = main_frame.iloc[::3].reset_index(drop=True)  # thin it: keeps the day boundary and the roll
    price_tick = np.where(frame["segment_id"].to_numpy() == 0, 10.0, 5.0)  # per-segment tick (as au)
    batch = compute_features(frame, config, price_tick=price_tick, volume_multiple=5.0)
    assert_parity(batch, online(frame, config, price_tick, 5.0), config)


@pytest.mark.realdata
@pytest.mark.parametrize("name", KERNEL_SETS)
def test_batch_equals_online_real(
    real_data, calendar: TradingCalendar, book: ContractBook, name: str
) -> None:
    ticks, _bad = read_tick_csv(real_tick_csv(real_data), calendar=calendar)
    spec = book.get("SHFE.cu1909")
    config = feature_set(name)
    batch = compute_features(ticks, config, price_tick=spec.price_tick, volume_multiple=spec.volume_multiple)
    ticks_pt = np.full(len(ticks), spec.price_tick)
    assert_parity(batch, online(ticks, config, ticks_pt, spec.volume_multiple), config)
    assert (batch["segment_id"] == 0).all() and (batch["underlying_contract"] == "SHFE.cu1909").all()


def test_chunked_batch_continues_state(main_frame: pd.DataFrame) -> None:
    config = feature_set("full")
    main_frame = main_frame.iloc[::2].reset_index(drop=True)
    whole = compute_features(main_frame, config, price_tick=10.0, volume_multiple=5.0)
    state = FactorState.fresh(config)
    cuts = [0, 7, 1000, 30_000, 30_001, len(main_frame)]
    parts = [
        compute_features(main_frame.iloc[a:b], config, price_tick=10.0, volume_multiple=5.0, state=state)
        for a, b in zip(cuts[:-1], cuts[1:], strict=True)
    ]
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole, check_exact=True)


def test_state_roundtrip_is_exact(main_days: list[pd.DataFrame]) -> None:
    config = feature_set("full")
    state = FactorState.fresh(config)
    compute_features(main_days[0], config, price_tick=10.0, volume_multiple=5.0, state=state)
    blob = state.to_bytes()
    assert blob == state.copy().to_bytes()
    back = FactorState.from_bytes(blob, config)
    a = compute_features(main_days[1], config, price_tick=10.0, volume_multiple=5.0, state=state)
    b = compute_features(main_days[1], config, price_tick=10.0, volume_multiple=5.0, state=back)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    with pytest.raises(ValueError, match="factor state is for config"):
        FactorState.from_bytes(blob, FeatureConfig(ofi_windows=(10,)))


def test_full_set_is_a_documented_library() -> None:
    full = feature_set("full")
    specs = factor_specs(full)
    assert len(specs) >= 200 and len({s.name for s in specs}) == len(specs)
    assert all(s.family in FAMILIES and s.description for s in specs)
    assert sizes(full.params())[5] == len(specs)
    core = {s.name for s in factor_specs(feature_set("core"))}
    assert core <= {s.name for s in specs} and len(core) == 42
    assert feature_set("core").hash == "162ed62ddca8f8c0"  # = FeatureConfig() before the extended block
    d = describe_set("full")
    assert d["count"] == len(specs) and sum(d["families"].values()) == len(specs)
    assert set(d["families"]) | {"cross"} == set(FAMILIES) == set(describe_set("full_xp")["families"])
    with pytest.raises(ValueError, match="unknown feature set"):
        feature_set("nope")
    with pytest.raises(ValueError, match="need extended=True"):
        FeatureConfig(time_windows_s=(5,))


def test_registry_matches_kernel() -> None:
    config = FeatureConfig()
    specs = factor_specs(config)
    assert len(specs) >= 30 and len({s.name for s in specs}) == len(specs)
    assert all(s.description for s in specs)
    assert layout(config.params())[5] == len(specs)
    assert config.hash == FeatureConfig().hash
    assert FeatureConfig(rv_windows=(20, 200)).hash != config.hash
    sub = FeatureConfig(factors=("ofi", "ret_5"))
    assert [s.name for s in factor_specs(sub)] == ["ofi", "ret_5"] and sub.hash != config.hash
    with pytest.raises(ValueError, match="unknown factors"):
        FeatureConfig(factors=("nope",))
    with pytest.raises(ValueError, match="distinct positive"):
        FeatureConfig(ret_windows=(0,))


def test_subset_equals_full_columns(main_days: list[pd.DataFrame]) -> None:
    full = compute_features(main_days[0], FeatureConfig(), price_tick=10.0, volume_multiple=5.0)
    sub = FeatureConfig(factors=("rv_100", "imb_l3", "tick_rate_50"))
    part = compute_features(main_days[0], sub, price_tick=10.0, volume_multiple=5.0)
    cols = ["f_imb_l3", "f_rv_100", "f_tick_rate_50"]
    pd.testing.assert_frame_equal(part, full[KEY_COLUMNS + cols], check_exact=True)
