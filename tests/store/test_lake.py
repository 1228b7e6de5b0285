from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ghtrader.schema import MAIN_L5_SCHEMA, TICK_SCHEMA, TICK_SCHEMA_HASH, to_arrow
from ghtrader.store import ParquetLake

SYM = "SHFE.cu2001"
DAYS = [dt.date(2019, 11, 4), dt.date(2019, 11, 5), dt.date(2019, 11, 6)]


TableFn = Callable[..., pa.Table]


@pytest.fixture
def tick_table(ticks: Callable[..., pd.DataFrame]) -> TableFn:
    """``tick_table(day, n=300, seed=0, symbol=SYM)`` -> a TICK_SCHEMA table."""

    def build(day: dt.date, n: int = 300, seed: int = 0, symbol: str = SYM) -> pa.Table:
        return to_arrow(ticks(symbol, day, n, seed=seed))

    return build


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() and p.name != "_lock"  # writer-lock holder record, not data
    }


@pytest.fixture
def lake(tmp_path: Path) -> ParquetLake:
    return ParquetLake(tmp_path / "lake_v2")


def test_write_layout_checksums_and_manifest(tick_table: TableFn, lake: ParquetLake) -> None:
    table = tick_table(DAYS[0])
    info = lake.write_partition("ticks", SYM, DAYS[0], table)
    pdir = lake.root / "ticks" / f"symbol={SYM}" / "date=2019-11-04"
    names = sorted(p.name for p in pdir.iterdir())
    assert names == ["_manifest.json", "part-" + info.sha256[:16] + ".parquet"]  # no .sha256 companion
    part = pdir / info.files[0]
    digest = hashlib.sha256(part.read_bytes()).hexdigest()
    assert part.name == f"part-{digest[:16]}.parquet" and info.sha256 == digest
    assert "symbol" not in pq.read_schema(part).names  # Hive: the directory holds the partition key
    manifest = json.loads((pdir / "_manifest.json").read_text())
    ts = table["datetime_ns"].to_numpy()
    assert manifest["dataset"] == "ticks" and manifest["symbol"] == SYM
    assert manifest["trading_day"] == "2019-11-04" and manifest["schema_hash"] == TICK_SCHEMA_HASH
    assert manifest["rows"] == 300 == info.rows
    assert manifest["files"] == [
        {"name": part.name, "rows": 300, "sha256": digest, "bytes": part.stat().st_size}
    ]
    assert (manifest["min_datetime_ns"], manifest["max_datetime_ns"]) == (int(ts.min()), int(ts.max()))
    assert manifest["partition_columns"] == [
        {"name": "symbol", "index": 0, "type": "string", "nullable": False}
    ]
    assert pq.ParquetFile(part).metadata.row_group(0).column(4).compression == "ZSTD"
    assert info.changed and info.status == "written"


def test_read_day_round_trips_exactly(tick_table: TableFn, lake: ParquetLake) -> None:
    table = tick_table(DAYS[1], seed=3)
    lake.write_partition("ticks", SYM, DAYS[1], table)
    assert lake.read_day("ticks", SYM, DAYS[1]).equals(table)
    sub = lake.read_day("ticks", SYM, DAYS[1], columns=["datetime_ns", "last_price"])
    assert sub.column_names == ["datetime_ns", "last_price"] and sub.equals(table.select(sub.column_names))
    empty = lake.read_day("ticks", SYM, DAYS[2])
    assert empty.num_rows == 0 and empty.schema.equals(TICK_SCHEMA)


def test_identical_rewrite_touches_nothing(tick_table: TableFn, lake: ParquetLake) -> None:
    for i, day in enumerate(DAYS):
        lake.write_partition("ticks", SYM, day, tick_table(day, seed=i))
    before = snapshot(lake.root)
    fresh = ParquetLake(lake.root)
    for mode in ("skip_existing", "replace"):
        for i, day in enumerate(DAYS):
            info = fresh.write_partition("ticks", SYM, day, tick_table(day, seed=i), mode=mode)
            assert (info.changed, info.status) == (False, "unchanged")
    assert snapshot(lake.root) == before


def test_rewrite_in_another_lake_is_byte_identical(tick_table: TableFn, tmp_path: Path) -> None:
    a, b = ParquetLake(tmp_path / "a"), ParquetLake(tmp_path / "b")
    for lake in (a, b):
        lake.write_partition("ticks", SYM, DAYS[0], tick_table(DAYS[0], n=5000))
    assert {k: v[0] for k, v in snapshot(a.root).items()} == {k: v[0] for k, v in snapshot(b.root).items()}


def test_replace_and_skip_existing_modes(tick_table: TableFn, lake: ParquetLake) -> None:
    old, new = tick_table(DAYS[0], seed=1), tick_table(DAYS[0], seed=2)
    first = lake.write_partition("ticks", SYM, DAYS[0], old)
    kept = lake.write_partition("ticks", SYM, DAYS[0], new)  # default skip_existing
    assert (kept.changed, kept.status, kept.sha256) == (False, "kept_existing", first.sha256)
    assert lake.read_day("ticks", SYM, DAYS[0]).equals(old)
    replaced = lake.write_partition("ticks", SYM, DAYS[0], new, mode="replace")
    assert replaced.changed and replaced.sha256 != first.sha256
    assert lake.read_day("ticks", SYM, DAYS[0]).equals(new)
    pdir = lake.partition_dir("ticks", SYM, DAYS[0])
    assert sorted(p.name for p in pdir.iterdir()) == sorted(["_manifest.json", replaced.files[0]])
    with pytest.raises(ValueError, match="write mode"):
        lake.write_partition("ticks", SYM, DAYS[0], new, mode="append")  # type: ignore[arg-type]


def test_read_day_touches_only_that_day(
    tick_table: TableFn, lake: ParquetLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = {day: tick_table(day, seed=i) for i, day in enumerate(DAYS)}
    for day, table in tables.items():
        lake.write_partition("ticks", SYM, day, table)
    for day in (DAYS[0], DAYS[2]):  # wreck the neighbours: any discovery or read of them would fail
        for p in lake.partition_dir("ticks", SYM, day).iterdir():
            p.write_bytes(b"garbage")
    (lake.root / "ticks" / "stray.parquet").write_bytes(b"not parquet")
    opened: list[str] = []
    real = pq.read_table

    def spy(source: object, *args: object, **kwargs: object) -> pa.Table:
        opened.append(str(source))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(pq, "read_table", spy)
    assert lake.read_day("ticks", SYM, DAYS[1]).equals(tables[DAYS[1]])
    day_dir = str(lake.partition_dir("ticks", SYM, DAYS[1]))
    assert len(opened) == 1 and opened[0].startswith(day_dir + os.sep)


def test_days_symbols_and_read_range(tick_table: TableFn, lake: ParquetLake) -> None:
    for i, day in enumerate(DAYS):
        lake.write_partition("ticks", SYM, day, tick_table(day, seed=i))
    lake.write_partition("ticks", "SHFE.cu2002", DAYS[1], tick_table(DAYS[1], symbol="SHFE.cu2002"))
    assert lake.days("ticks", SYM) == DAYS
    assert lake.symbols("ticks") == ["SHFE.cu2001", "SHFE.cu2002"]
    got = lake.read_range("ticks", SYM, DAYS[1], DAYS[2], columns=["trading_day"])
    assert pc.unique(got["trading_day"]).to_pylist() == DAYS[1:] and got.num_rows == 600
    assert lake.read_range("ticks", SYM, dt.date(2020, 1, 1), dt.date(2020, 2, 1)).num_rows == 0


def test_main_l5_layout(tick_table: TableFn, lake: ParquetLake) -> None:
    t = tick_table(DAYS[0])
    n = t.num_rows
    t = t.append_column(MAIN_L5_SCHEMA.field("underlying_contract"), pa.array([SYM] * n))
    t = t.append_column(MAIN_L5_SCHEMA.field("segment_id"), pa.array([3] * n, pa.int32()))
    t = t.append_column(MAIN_L5_SCHEMA.field("schedule_hash"), pa.array(["abc"] * n))
    cont = "KQ.m@SHFE.cu"
    t = t.set_column(0, TICK_SCHEMA.field("symbol"), pa.array([cont] * n))
    lake.write_partition("main_l5", cont, DAYS[0], t)
    assert (
        lake.root / "main_l5" / "ticks" / f"symbol={cont}" / "date=2019-11-04" / "_manifest.json"
    ).is_file()
    assert lake.read_day("main_l5", cont, DAYS[0]).equals(t)
    with pytest.raises(ValueError, match="schema mismatch"):
        lake.write_partition("ticks", cont, DAYS[0], t)


def test_write_checks_schema_symbol_and_day(tick_table: TableFn, lake: ParquetLake) -> None:
    t = tick_table(DAYS[0])
    with pytest.raises(ValueError, match="missing columns \\['open_interest'\\]"):
        lake.write_partition("ticks", SYM, DAYS[0], t.drop_columns(["open_interest"]))
    as_float = t.set_column(t.schema.get_field_index("volume"), "volume", pc.cast(t["volume"], pa.float64()))
    with pytest.raises(ValueError, match="volume: type double != int64"):
        lake.write_partition("ticks", SYM, DAYS[0], as_float)
    with pytest.raises(ValueError, match="another symbol"):
        lake.write_partition("ticks", "SHFE.cu2002", DAYS[0], t)
    with pytest.raises(ValueError, match="another trading_day"):
        lake.write_partition("ticks", SYM, DAYS[1], t)
    with pytest.raises(ValueError, match="empty partition"):
        lake.write_partition("ticks", SYM, DAYS[0], t.slice(0, 0))
    with pytest.raises(ValueError, match="unknown dataset"):
        lake.write_partition("bars", SYM, DAYS[0], t)
    assert not lake.root.exists()


def test_unsorted_rows_are_stored_sorted(tick_table: TableFn, lake: ParquetLake) -> None:
    t = tick_table(DAYS[0])
    lake.write_partition("ticks", SYM, DAYS[0], t.take(pa.array(range(t.num_rows - 1, -1, -1))))
    assert lake.read_day("ticks", SYM, DAYS[0]).equals(t)


def test_no_data_markers_and_missing_days(tick_table: TableFn, lake: ParquetLake) -> None:
    lake.write_partition("ticks", SYM, DAYS[0], tick_table(DAYS[0]))
    assert lake.mark_no_data("ticks", SYM, [DAYS[2], DAYS[0], DAYS[2]]) == [DAYS[2]]  # DAYS[0] has data
    assert lake.mark_no_data("ticks", SYM, [DAYS[2]]) == []
    marker = lake.root / "ticks" / f"symbol={SYM}" / "_no_data_dates.json"
    assert json.loads(marker.read_text()) == ["2019-11-06"]
    lake.mark_no_data("ticks", SYM, [dt.date(2019, 11, 1)])
    assert json.loads(marker.read_text()) == ["2019-11-01", "2019-11-06"]
    wanted = [dt.date(2019, 11, 1), *DAYS, dt.date(2019, 11, 7)]
    assert lake.missing_days("ticks", SYM, wanted) == [DAYS[1], dt.date(2019, 11, 7)]
    lake.write_partition("ticks", SYM, DAYS[2], tick_table(DAYS[2]))  # data arrived after all
    assert lake.no_data_days("ticks", SYM) == [dt.date(2019, 11, 1)]
    assert lake.no_data_days("ticks", "SHFE.cu2002") == []
    assert [p.name for p in marker.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_crash_leftovers_are_invisible_then_cleaned(tick_table: TableFn, lake: ParquetLake) -> None:
    lake.write_partition("ticks", SYM, DAYS[0], tick_table(DAYS[0]))
    src = lake.partition_dir("ticks", SYM, DAYS[0])
    orphan = lake.partition_dir("ticks", SYM, DAYS[1])
    orphan.mkdir(parents=True)
    part = next(src.glob("part-*.parquet"))
    shutil.copy(part, orphan / part.name)  # a parquet that never got its manifest
    (orphan / ".part-x.parquet.abc123.tmp").write_bytes(b"half written")
    assert lake.days("ticks", SYM) == [DAYS[0]] and not lake.has_partition("ticks", SYM, DAYS[1])
    assert lake.read_day("ticks", SYM, DAYS[1]).num_rows == 0
    assert lake.missing_days("ticks", SYM, DAYS[:2]) == [DAYS[1]]
    info = lake.write_partition("ticks", SYM, DAYS[1], tick_table(DAYS[1]))
    assert sorted(p.name for p in orphan.iterdir()) == sorted(["_manifest.json", info.files[0]])


def test_crash_before_manifest_keeps_old_partition(
    tick_table: TableFn, lake: ParquetLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = tick_table(DAYS[0], seed=1), tick_table(DAYS[0], seed=2)
    lake.write_partition("ticks", SYM, DAYS[0], old)
    real_replace = os.replace

    def crashing_replace(src: str, dst: str) -> None:
        if str(dst).endswith("_manifest.json"):
            raise OSError("power cut")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crashing_replace)
    with pytest.raises(OSError, match="power cut"):
        lake.write_partition("ticks", SYM, DAYS[0], new, mode="replace")
    monkeypatch.setattr(os, "replace", real_replace)
    pdir = lake.partition_dir("ticks", SYM, DAYS[0])
    assert len(list(pdir.glob("part-*.parquet"))) == 2  # the new file landed, uncommitted
    assert lake.read_day("ticks", SYM, DAYS[0]).equals(old)
    info = lake.write_partition("ticks", SYM, DAYS[0], new, mode="replace")
    assert lake.read_day("ticks", SYM, DAYS[0]).equals(new)
    assert sorted(p.name for p in pdir.iterdir()) == sorted(["_manifest.json", info.files[0]])


def test_sidecar_round_trip(lake: ParquetLake) -> None:
    side = pa.table({"datetime_ns": pa.array([1, 2, 3], pa.int64()), "latent": [0.1, -0.2, 0.3]})
    info = lake.write_sidecar("sim_latent", SYM, DAYS[0], side)
    pdir = lake.root / "sidecars" / "sim_latent" / f"symbol={SYM}" / "date=2019-11-04"
    assert sorted(p.name for p in pdir.iterdir()) == ["_manifest.json", info.files[0]]
    assert lake.read_sidecar("sim_latent", SYM, DAYS[0]).equals(side)
    assert lake.read_sidecar("sim_latent", SYM, DAYS[1]) is None
    assert lake.write_sidecar("sim_latent", SYM, DAYS[0], side).status == "unchanged"
    assert lake.sidecar_days("sim_latent", SYM) == [DAYS[0]]
    assert lake.symbols("ticks") == []


def test_verify_detects_damage_and_write_repairs_it(tick_table: TableFn, lake: ParquetLake) -> None:
    table = tick_table(DAYS[0])
    info = lake.write_partition("ticks", SYM, DAYS[0], table)
    assert lake.verify("ticks", SYM, DAYS[0]) == []
    part = lake.partition_dir("ticks", SYM, DAYS[0]) / info.files[0]
    raw = bytearray(part.read_bytes())
    raw[100] ^= 0xFF
    part.write_bytes(bytes(raw))
    assert any("sha256 differs" in p for p in lake.verify("ticks", SYM, DAYS[0]))
    part.with_name(part.name + ".sha256").write_text("0" * 64 + "  x\n")  # a wrong legacy companion
    assert any("checksum line" in p for p in lake.verify("ticks", SYM, DAYS[0]))
    part.unlink()
    assert any("missing" in p for p in lake.verify("ticks", SYM, DAYS[0]))
    assert lake.write_partition("ticks", SYM, DAYS[0], table).status == "written"  # manifest without file
    assert lake.verify("ticks", SYM, DAYS[0]) == []
    assert lake.read_day("ticks", SYM, DAYS[0]).equals(table)
    assert "no manifest" in lake.verify("ticks", SYM, DAYS[1])[0]
