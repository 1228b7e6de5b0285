"""Acceptance: the lake opens with standard readers, and an old-layout lake migrates in one command.

Readers: pandas, pyarrow.dataset (hive), polars (hive) and duckdb (hive) on ticks, main_l5,
features and labels of the shared sim test lake, each compared with ghtrader's own reader.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

from ghtrader.cli.main import app
from ghtrader.store.files import checksum_line, encode_parquet, sha256_hex
from ghtrader.store.hive import lake_partitioning
from ghtrader.store.manifest import FileEntry, read_manifest, write_manifest
from ghtrader.store.migrate import partition_dirs
from ghtrader.store.partition import read_partition
from ghtrader.testing.simlake import shared_test_lake

DATASETS = {
    "ticks": "ticks",
    "main_l5": "main_l5/ticks",
    "features": "features",
    "labels": "labels",
}


@pytest.fixture(scope="session")
def test_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = os.environ.get("GHTRADER_TEST_LAKE_BASE")  # reuse a built lake while iterating locally
    return shared_test_lake(Path(base) if base else tmp_path_factory)


def _committed(base: Path) -> tuple[int, set[str]]:
    pdirs = [p for p in partition_dirs(base)]
    rows = sum(read_manifest(p).rows for p in pdirs)  # type: ignore[union-attr]
    return rows, {p.parent.name.removeprefix("symbol=") for p in pdirs}


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_standard_readers_open_every_dataset(test_lake: Path, dataset: str) -> None:
    base = test_lake / "lake_v2" / DATASETS[dataset]
    rows, symbols = _committed(base)
    glob = f"{base}/**/*.parquet"

    df = pd.read_parquet(base)
    assert len(df) == rows and set(df["symbol"].astype(str)) == symbols

    typed = ds.dataset(base, format="parquet", partitioning=lake_partitioning()).to_table()
    assert typed.num_rows == rows and typed.schema.field("date").type == pa.date32()
    assert typed.schema.field("symbol").type == pa.string()
    inferred = ds.dataset(base, format="parquet", partitioning="hive").to_table()
    assert inferred.num_rows == rows and set(inferred["symbol"].to_pylist()) == symbols

    lf = pl.scan_parquet(glob, hive_partitioning=True).collect()
    assert lf.height == rows and lf.schema["date"] == pl.Date and lf.schema["symbol"] == pl.String

    con = duckdb.connect()
    n, nsym, dtype = con.execute(
        f"select count(*), count(distinct symbol), any_value(typeof(date)) "
        f"from read_parquet('{glob}', hive_partitioning=true)"
    ).fetchone()
    assert (n, nsym, dtype) == (rows, len(symbols), "DATE")

    # The partition key agrees with the stored trading day, and equals ghtrader's own reader.
    assert (typed["date"].to_pylist() == typed["trading_day"].to_pylist()) or dataset == "features"
    pdir = next(partition_dirs(base))
    sym, day = pdir.parent.name.removeprefix("symbol="), dt.date.fromisoformat(pdir.name[5:])
    own = read_partition(pdir)
    mine = typed.filter((ds.field("symbol") == sym) & (ds.field("date") == day))
    pd.testing.assert_frame_equal(mine.select(own.column_names).to_pandas(), own.to_pandas())


def _to_legacy(lake_root: Path) -> int:
    """Rewrite a lake the way older versions wrote it: symbol inside files + .sha256 companions."""
    shas: dict[str, str] = {}
    n = 0
    for pdir in partition_dirs(lake_root):
        m = read_manifest(pdir)
        table = read_partition(pdir)
        data = encode_parquet(table)
        digest = sha256_hex(data)
        name = f"part-{digest[:16]}.parquet"
        for f in m.files:
            (pdir / f.name).unlink()
        (pdir / name).write_bytes(data.to_pybytes())
        (pdir / (name + ".sha256")).write_bytes(checksum_line(digest, name))
        entry = FileEntry(name, table.num_rows, digest, data.size)
        write_manifest(pdir, type(m)(**{**m.__dict__, "files": (entry,), "partition_columns": ()}))
        shas[m.sha256] = digest
        n += 1
    for rec in lake_root.rglob("_build.json"):
        text = rec.read_text()
        for old, new in shas.items():
            text = text.replace(old, new)
        rec.write_text(text)
    return n


def test_migrate_old_layout_once(test_lake: Path, tmp_path: Path) -> None:
    from ghtrader.features.build import build_features
    from ghtrader.labels import build_labels
    from ghtrader.market.calendar import TradingCalendar
    from ghtrader.market.contracts import ContractBook
    from ghtrader.store.lake import ParquetLake

    data = tmp_path / "data"
    shutil.copytree(test_lake, data, ignore=shutil.ignore_patterns("_lock"))
    root = data / "lake_v2"
    keep = {"date=2025-03-10", "date=2025-03-11", "date=2025-03-10.npz", "date=2025-03-11.npz"}
    for p in sorted(root.rglob("date=*"), reverse=True):  # two days are enough (keeps the test fast)
        if p.name not in keep:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    before = {p: read_partition(p) for p in partition_dirs(root)}
    n = _to_legacy(root)
    with pytest.raises(Exception):  # noqa: B017 - the reported defect: any pyarrow error type
        ds.dataset(root / "ticks", format="parquet", partitioning="hive").to_table()
    bad = next(partition_dirs(root / "labels"))
    side = next(bad.glob("*.sha256"))
    good_side = side.read_bytes()
    side.write_bytes(checksum_line("0" * 64, side.name[:-7]))  # a wrong sidecar blocks that partition

    runner = CliRunner()
    res = runner.invoke(app, ["lake", "migrate", "--data-dir", str(data), "--json"])
    assert res.exit_code == 1, res.output
    report = json.loads(res.stdout)
    assert report["migrated"] == n - 1 and report["errors"] == [f"{side}: does not match the manifest"]
    side.write_bytes(good_side)
    res = runner.invoke(app, ["lake", "migrate", "--data-dir", str(data), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["migrated"] == 1
    res = runner.invoke(app, ["lake", "migrate", "--data-dir", str(data), "--json"])  # idempotent
    assert res.exit_code == 0 and json.loads(res.stdout)["migrated"] == 0

    assert not list(root.rglob("*.sha256"))
    assert {p: read_partition(p) for p in partition_dirs(root)}.keys() == before.keys()
    for p, t in before.items():  # same frames as before (NaN-aware), same schema
        after = read_partition(p)
        assert after.schema == t.schema
        pd.testing.assert_frame_equal(after.to_pandas(), t.to_pandas())
    raw_rows = sum(t.num_rows for p, t in before.items() if p.parent.parent == root / "ticks")
    assert pd.read_parquet(root / "ticks").shape[0] == raw_rows
    cal = TradingCalendar.bundled()
    book = ContractBook.load(cal)
    lake = ParquetLake(root)
    assert build_features(lake, "KQ.m@SHFE.cu", book=book).built == ()  # lineage kept: nothing stale
    assert build_labels(lake, "KQ.m@SHFE.cu", book=book).built == ()
    audit = runner.invoke(app, ["audit", "--data-dir", str(data), "--runs-dir", str(tmp_path / "runs")])
    assert audit.exit_code == 0, audit.output
