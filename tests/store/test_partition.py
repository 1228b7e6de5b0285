"""Shared partition commit/read path: Hive columns out of the files, legacy layout, appended parts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.schema import to_arrow
from ghtrader.store.files import checksum_line, encode_parquet, sha256_hex
from ghtrader.store.hive import split_hive_columns
from ghtrader.store.manifest import FileEntry, Manifest, read_manifest, write_manifest
from ghtrader.store.partition import append_part, commit_partition, read_partition

SYM = "SHFE.cu2001"
DAY = dt.date(2019, 11, 4)


def _pdir(tmp: Path) -> Path:
    return tmp / "ticks" / f"symbol={SYM}" / f"date={DAY.isoformat()}"


def test_legacy_partition_reads_unchanged_and_is_converted_on_write(tmp_path: Path, ticks) -> None:  # noqa: ANN001
    table = to_arrow(ticks(SYM, DAY, 50))
    pdir = _pdir(tmp_path)
    pdir.mkdir(parents=True)
    data = encode_parquet(table)  # old layout: symbol inside the file + a .sha256 companion
    digest = sha256_hex(data)
    name = f"part-{digest[:16]}.parquet"
    (pdir / name).write_bytes(data.to_pybytes())
    (pdir / (name + ".sha256")).write_bytes(checksum_line(digest, name))
    from ghtrader.schema import schema_hash

    entry = FileEntry(name, 50, digest, data.size)
    write_manifest(pdir, Manifest("ticks", SYM, DAY, schema_hash(table.schema), 50, (entry,), None, None))
    assert read_partition(pdir).equals(table)
    res = commit_partition(pdir, table, dataset="ticks", mode="replace")
    assert res.status == "unchanged" and read_partition(pdir).equals(table)  # same rows: converted in place
    assert sorted(p.name for p in pdir.iterdir()) == ["_manifest.json", res.manifest.files[0].name]


def test_append_part_lists_several_files(tmp_path: Path, ticks) -> None:  # noqa: ANN001
    table = to_arrow(ticks(SYM, DAY, 60))
    pdir = _pdir(tmp_path)
    append_part(pdir, table.slice(0, 20), dataset="ticks")
    m = append_part(pdir, table.slice(20), dataset="ticks")
    assert len(m.files) == 2 and m.rows == 60 and read_manifest(pdir) == m
    assert read_partition(pdir).equals(table)
    assert append_part(pdir, table.slice(20), dataset="ticks") == m  # identical flush: no-op
    assert read_partition(pdir, ["datetime_ns", "symbol"]).column_names == ["datetime_ns", "symbol"]


@settings(max_examples=25, deadline=None)
@given(pos=st.integers(0, 3), n=st.integers(1, 30), with_date=st.booleans())
def test_split_and_restore_round_trip(pos: int, n: int, with_date: bool) -> None:
    cols = {"a": pa.array(range(n), pa.int64()), "b": pa.array([0.5] * n)}
    names = list(cols)
    names.insert(min(pos, len(names)), "symbol")
    cols["symbol"] = pa.array([SYM] * n, pa.string())
    if with_date:
        names.append("date")
        cols["date"] = pa.array([DAY] * n, pa.date32())
    table = pa.table({k: cols[k] for k in names})
    stored, hidden = split_hive_columns(table, SYM, DAY)
    assert "symbol" not in stored.column_names and ("date" in stored.column_names) is False
    from ghtrader.store.hive import restore_hive_columns

    m = Manifest("x", SYM, DAY, "h", n, (), None, None, hidden)
    assert restore_hive_columns(stored, m).equals(table)


def test_symbol_column_of_another_value_is_kept(tmp_path: Path) -> None:
    table = pa.table({"symbol": ["SHFE.cu2002"], "x": [1]})
    stored, hidden = split_hive_columns(table, SYM, DAY)
    assert hidden == () and stored.equals(table)
    pdir = _pdir(tmp_path)
    commit_partition(pdir, table, dataset="sidecar")
    assert pq.read_schema(next(pdir.glob("*.parquet"))).names == ["symbol", "x"]
