"""Cross-contract factors inside the named sets (``full_x``, ``full_xp``): the store-backed build reads
the aux streams, a resumed build is byte-identical, batch == online, causality over the sim range with
a roll, an aux partition that changes rebuilds, and the partner role only where a partner exists."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pytest

from ghtrader.backtest.champion import warm_state
from ghtrader.features.aux import day_sources, range_aux, read_sources
from ghtrader.features.build import build_features, feature_days, partition_dir, read_features
from ghtrader.features.engine import FactorState, OnlineFactorEngine, compute_features, tick_inputs
from ghtrader.features.registry import feature_columns
from ghtrader.features.sets import describe_set, feature_set
from ghtrader.market.contracts import ContractBook
from ghtrader.schema import to_pandas
from ghtrader.store.lake import ParquetLake
from ghtrader.store.manifest import read_manifest

MAIN = "KQ.m@SHFE.cu"
# full_x without the extended block: the cross block is what is under test, and the core kernel
# compiles in seconds where the extended one is shared with the other feature tests anyway
LIGHT = dataclasses.replace(feature_set("full_x"), extended=False, x_tick_windows=(), time_windows_s=())


FIRST = dt.date(2025, 3, 14)  # 4 main days from here: 2 of cu2504, the roll on 03-18, 2 of cu2505


def _copy_lake(src: Path, dst: Path) -> ParquetLake:
    """The shared sim lake's ticks, schedule and main_l5 from ``FIRST`` on (not its features), private."""
    for name in ("ticks", "main_l5", "schedule"):
        if (src / "lake_v2" / name).exists():
            shutil.copytree(src / "lake_v2" / name, dst / "lake_v2" / name)
    lake = ParquetLake(dst / "lake_v2", durable=False)
    for d in lake.days("main_l5", MAIN):
        if d < FIRST:
            shutil.rmtree(lake.partition_dir("main_l5", MAIN, d))
    return lake


@pytest.fixture(scope="module")
def lake(sim_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> ParquetLake:
    return _copy_lake(sim_data_dir, tmp_path_factory.mktemp("xlake"))


def _frames(lake: ParquetLake, book: ContractBook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All main_l5 days and the concatenated next-contract aux stream (as the build resolves it)."""
    days = lake.days("main_l5", MAIN)
    main = pd.concat([to_pandas(lake.read_day("main_l5", MAIN, d)) for d in days], ignore_index=True)
    ts, mid, seg = range_aux(lake, book, MAIN, days, ("next",))["next"]
    first = read_sources(lake, days[0], day_sources(lake, book, MAIN, days[0], ("next",)))["next"]
    assert np.array_equal(ts[: len(first[0])], first[0]) and (np.diff(seg) != 0).sum() == 1  # one roll
    return main, pd.DataFrame({"datetime_ns": ts, "mid": mid, "seg": seg})


def test_sets_list_cross_family() -> None:
    x, xp = describe_set("full_x"), describe_set("full_xp")
    assert (x["count"], xp["count"]) == (226 + 9, 226 + 18)
    assert x["families"]["cross"] == 9 and xp["families"]["cross"] == 18
    assert feature_set("full").hash == "fd355aacaecc9a59"  # the cross field is absent from full's hash


def test_build_resumes_byte_identical_and_equals_batch(
    lake: ParquetLake, book: ContractBook, tmp_path: Path, sim_data_dir: Path
) -> None:
    days = lake.days("main_l5", MAIN)
    segs = {s for d in days for s in lake.read_day("main_l5", MAIN, d).column("segment_id").to_pylist()}
    assert len(segs) == 2  # the range holds a roll
    build_features(lake, MAIN, book=book, config=LIGHT, overwrite=True)
    other = _copy_lake(sim_data_dir, tmp_path)
    for d in days:  # day by day: each call resumes from the stored state
        build_features(other, MAIN, book=book, config=LIGHT, days=[d])
    assert feature_days(other, MAIN) == days
    for d in days:  # same bytes (the manifest's sha256 covers every data file)
        a, b = read_manifest(partition_dir(lake, MAIN, d)), read_manifest(partition_dir(other, MAIN, d))
        assert a is not None and b is not None and a.sha256 == b.sha256
    main, aux = _frames(lake, book)
    stored = pd.concat([read_features(lake, MAIN, d).to_pandas() for d in days], ignore_index=True)  # type: ignore[union-attr]
    batch = compute_features(
        main,
        LIGHT,
        price_tick=10.0,
        volume_multiple=5.0,
        aux={"next": (aux["datetime_ns"].to_numpy(), aux["mid"].to_numpy(), aux["seg"].to_numpy())},
    )
    cols = feature_columns(LIGHT)
    np.testing.assert_array_equal(stored[cols].to_numpy(), batch[cols].to_numpy())
    x = stored[[c for c in cols if c.startswith("f_xnext_")]]
    assert x.notna().to_numpy().mean() > 0.9  # the next contract exists on every day of the range
    # what the champion backtest does: the stored state of the day before + the aux streams of the range
    span = days[1:4]
    ticks = pd.concat([to_pandas(lake.read_day("main_l5", MAIN, d)) for d in span], ignore_index=True)
    again = compute_features(
        ticks,
        LIGHT,
        price_tick=10.0,
        volume_multiple=5.0,
        state=warm_state(lake, MAIN, span[0], LIGHT),
        aux=range_aux(lake, book, MAIN, span, LIGHT.cross),
    )
    part = pd.concat([read_features(lake, MAIN, d).to_pandas() for d in span], ignore_index=True)  # type: ignore[union-attr]
    np.testing.assert_array_equal(again[cols].to_numpy(), part[cols].to_numpy())


def test_online_equals_batch_and_is_causal(lake: ParquetLake, book: ContractBook) -> None:
    main, aux = _frames(lake, book)
    main = main.iloc[70_000:130_000].reset_index(drop=True)  # the roll (03-18) is inside
    ts_lo, ts_hi = main["datetime_ns"].iloc[0], main["datetime_ns"].iloc[-1]
    aux = aux[(aux["datetime_ns"] >= ts_lo - 3_600_000_000_000) & (aux["datetime_ns"] <= ts_hi)]
    streams = {"next": (aux["datetime_ns"].to_numpy(), aux["mid"].to_numpy(), aux["seg"].to_numpy())}
    batch = compute_features(main, LIGHT, price_tick=10.0, volume_multiple=5.0, aux=streams)
    cols = feature_columns(LIGHT)
    eng = OnlineFactorEngine(LIGHT, price_tick=10.0, volume_multiple=5.0)
    xs, ts, dk, seg = tick_inputs(main, 10.0, 5.0)
    # arrival order: an aux tick stamped like a main tick arrives first here (the batch merge puts it
    # after): as-of strictly before makes both orders give the same factors
    ats, amid, aseg = streams["next"]
    rows, j = [], 0
    for i in range(len(main)):
        while j < len(ats) and ats[j] <= ts[i]:
            eng.update_aux("next", int(ats[j]), float(amid[j]), int(aseg[j]))
            j += 1
        rows.append(eng.update_values(xs[i], int(ts[i]), int(dk[i]), int(seg[i])))
    np.testing.assert_array_equal(np.array(rows), batch[cols].to_numpy())
    # causality: the factors up to tick t from the data up to t equal those from all the data
    t = 45_000
    cut = {"next": tuple(a[ats <= ts[t]] for a in streams["next"])}
    head = compute_features(main.iloc[: t + 1], LIGHT, price_tick=10.0, volume_multiple=5.0, aux=cut)
    np.testing.assert_array_equal(head[cols].to_numpy(), batch[cols].to_numpy()[: t + 1])
    # no window across the roll: the first w ticks of the new segment have no w-tick cross return
    first = int(np.argmax(seg != seg[0]))
    assert 0 < first < t  # the roll is inside the slice, before the causality cut
    assert batch["f_xnext_ret_diff_10"].iloc[first : first + 10].isna().all()
    assert batch["f_xnext_ret_diff_10"].iloc[first + 10 :].notna().any()


def test_changed_aux_partition_rebuilds_from_its_day(lake: ParquetLake, book: ContractBook) -> None:
    days = lake.days("main_l5", MAIN)
    build_features(lake, MAIN, book=book, config=LIGHT)
    day = days[1]
    src = day_sources(lake, book, MAIN, day, ("next",))[0]
    assert src.symbol is not None
    t = lake.read_day("ticks", src.symbol, day)
    bumped = t.set_column(
        t.schema.get_field_index("bid_price1"), "bid_price1", pc.add(t.column("bid_price1"), 10.0)
    )
    lake.write_partition("ticks", src.symbol, day, bumped, mode="replace")
    s = build_features(lake, MAIN, book=book, config=LIGHT)
    # rebuilt from that day on until the state converges again (after the roll the next contract is
    # another one, so later days are current); the result is byte-identical to a full rebuild
    assert s.built[0] == day and s.skipped[:1] == tuple(days[:1])
    shas = [read_manifest(partition_dir(lake, MAIN, d)).sha256 for d in days]  # type: ignore[union-attr]
    build_features(lake, MAIN, book=book, config=LIGHT, overwrite=True)
    assert shas == [read_manifest(partition_dir(lake, MAIN, d)).sha256 for d in days]  # type: ignore[union-attr]


def test_pair_role_needs_a_partner_variety(lake: ParquetLake, book: ContractBook) -> None:
    with pytest.raises(ValueError, match="partner variety"):
        build_features(lake, MAIN, book=book, config=feature_set("full_xp"), overwrite=True)


def test_a_cross_set_without_aux_is_refused(lake: ParquetLake) -> None:
    main = to_pandas(lake.read_day("main_l5", MAIN, lake.days("main_l5", MAIN)[0]))
    with pytest.raises(ValueError, match="pass the aux stream"):
        compute_features(main, LIGHT, price_tick=10.0, volume_multiple=5.0)
    assert (
        FactorState.fresh(LIGHT).sf.shape[0]
        > FactorState.fresh(dataclasses.replace(LIGHT, cross=())).sf.shape[0]
    )


def test_pair_role_on_au_and_ag(book: ContractBook, tmp_path_factory: pytest.TempPathFactory) -> None:
    from ghtrader.testing.simlake import AUAG_RANGE, shared_auag_lake

    root = tmp_path_factory.mktemp("auag")
    shutil.copytree(shared_auag_lake(tmp_path_factory) / "lake_v2", root / "lake_v2")
    d1 = AUAG_RANGE[1]
    lake = ParquetLake(root / "lake_v2", durable=False)
    config = dataclasses.replace(LIGHT, cross=("next", "pair"))
    build_features(lake, "KQ.m@SHFE.au", book=book, config=config, overwrite=True)
    f = read_features(lake, "KQ.m@SHFE.au", d1)
    assert f is not None
    age = f.column("f_xpair_aux_age_s").to_numpy(zero_copy_only=False)
    ratio = f.column("f_xpair_log_ratio").to_numpy(zero_copy_only=False)
    ok = np.isfinite(age)
    assert ok.mean() > 0.9 and (age[ok] > 0).all()  # as of strictly before: never the same instant
    assert np.isfinite(ratio).mean() > 0.9
