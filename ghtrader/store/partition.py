"""The one commit/read path of a lake partition directory ``<dataset dir>/symbol=SYM/date=DAY``.

Used by the tick lake, the feature and label builds and every direct reader, so the layout rules
live here (and in ``hive`` for the directory keys) only:

* Hive convention: the partition columns are held by the directory names, not stored in the data
  files (``ghtrader.store.hive`` strips them before a commit and re-inserts them on read, so ghtrader's
  readers return exactly the frames they returned before). Legacy partitions (manifest without
  ``partition_columns``, symbol inside the files) read unchanged.
* No ``.sha256`` companions (a non-Parquet file beside the data breaks directory readers); the
  sha256 lives in ``_manifest.json``. Legacy companions are removed on the next commit.
* Commit order: data file (atomic) -> manifest (atomic, the commit point) -> stray cleanup, all
  under the symbol's writer lock (``ghtrader.store.lock``), so a crash or a concurrent writer leaves
  either the old or the new partition visible, never a mix.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ghtrader.schema import schema_hash
from ghtrader.store.base import WriteMode, WriteStatus
from ghtrader.store.files import (
    CHECKSUM_SUFFIX,
    DEFAULT_OPTIONS,
    ParquetOptions,
    atomic_write,
    encode_parquet,
    is_temp_name,
    sha256_hex,
)
from ghtrader.store.hive import partition_key, restore_hive_columns, split_hive_columns
from ghtrader.store.lock import default_command, partition_lock
from ghtrader.store.manifest import (
    FileEntry,
    Manifest,
    PartitionColumn,
    encode_json,
    read_manifest,
    write_manifest,
)

SUPERSEDED_DIR = "_superseded"


@dataclass(frozen=True)
class CommitResult:
    """Outcome of ``commit_partition``: the manifest now committed and what happened."""

    manifest: Manifest
    status: WriteStatus

    @property
    def changed(self) -> bool:
        return self.status in ("written", "superseded")


def read_files(pdir: Path, m: Manifest, columns: list[str] | None = None) -> pa.Table:
    """The rows of the files ``m`` lists, with partition columns restored (``columns``: that order)."""
    hidden = {c.name for c in m.partition_columns}
    file_cols = None if columns is None else [c for c in columns if c not in hidden]
    tables = [pq.read_table(pdir / f.name, columns=file_cols, partitioning=None) for f in m.files]
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
    return restore_hive_columns(table, m, columns)


def read_partition(pdir: Path, columns: list[str] | None = None) -> pa.Table | None:
    """A committed partition's rows as ghtrader writes them, or ``None`` when not committed."""
    m = read_manifest(pdir)
    if m is None or not m.files:
        return None
    return read_files(pdir, m, list(columns) if columns is not None else None)


def _files_present(pdir: Path, m: Manifest) -> bool:
    for f in m.files:
        p = pdir / f.name
        if not p.is_file() or p.stat().st_size != f.bytes:
            return False
    return True


def _remove_strays(pdir: Path, keep: set[str]) -> None:
    """Delete superseded data files, legacy checksums and crash temp files (not the manifest)."""
    for p in pdir.iterdir():
        name = p.name
        if name in keep or not p.is_file():
            continue
        if is_temp_name(name) or name.startswith("part-") or name.endswith(CHECKSUM_SUFFIX):
            p.unlink(missing_ok=True)


def _archive(pdir: Path, old: Manifest, archive_dir: Path, durable: bool) -> None:
    """Move the old partition's files and manifest under ``archive_dir`` (recoverable)."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    for f in old.files:
        src = pdir / f.name
        if src.is_file():
            shutil.copy2(src, archive_dir / f.name)
    atomic_write(archive_dir / "_manifest.json", encode_json(old.to_dict()), durable=durable)


def _bounds(table: pa.Table) -> tuple[int | None, int | None]:
    if "datetime_ns" not in table.column_names or table.num_rows == 0:
        return None, None
    if not pa.types.is_integer(table.schema.field("datetime_ns").type):
        return None, None
    mm = pc.min_max(table["datetime_ns"]).as_py()
    return mm["min"], mm["max"]


def commit_partition(
    pdir: Path,
    table: pa.Table,
    *,
    dataset: str,
    mode: WriteMode = "replace",
    options: ParquetOptions = DEFAULT_OPTIONS,
    durable: bool = True,
    command: str | None = None,
    archive_dir: Path | None = None,
) -> CommitResult:
    """Write ``table`` as the whole partition ``pdir`` (``…/symbol=SYM/date=DAY``) under its lock.

    Identical content already committed: nothing touched (``unchanged``). Different content with
    ``skip_existing``: left alone (``kept_existing``). Otherwise committed (``written``); with
    ``archive_dir`` the replaced files are first copied there (recoverable) before removal.
    """
    root, symbol, day = partition_key(pdir)
    stored, hidden = split_hive_columns(table, symbol, day)
    data = encode_parquet(stored, options)
    digest = sha256_hex(data)
    with partition_lock(root, symbol, command=command or default_command()):
        old = read_manifest(pdir)
        if old is not None and _files_present(pdir, old):
            same = [f.sha256 for f in old.files] == [digest] and old.partition_columns == hidden
            if same:
                return CommitResult(old, "unchanged")
            if is_legacy(pdir, old) and read_files(pdir, old).equals(table):
                # Same rows in the old layout: convert transparently, report as unchanged.
                manifest = _write(pdir, table, stored, hidden, data, digest, dataset, durable)
                return CommitResult(manifest, "unchanged")
            if mode == "skip_existing":
                return CommitResult(old, "kept_existing")
            if archive_dir is not None:
                _archive(pdir, old, archive_dir, durable)
        return CommitResult(_write(pdir, table, stored, hidden, data, digest, dataset, durable), "written")


def is_legacy(pdir: Path, m: Manifest) -> bool:
    """True for a partition in the pre-Hive layout (``.sha256`` companions or ``symbol`` in the files)."""
    if any((pdir / (f.name + CHECKSUM_SUFFIX)).exists() for f in m.files):
        return True
    if m.partition_columns or not m.files:
        return False
    first = pdir / m.files[0].name
    if "symbol" not in pq.read_schema(first).names:
        return False
    sym = pq.read_table(first, columns=["symbol"], partitioning=None)
    return bool(split_hive_columns(sym, m.symbol, m.trading_day)[1])  # a strippable key inside


def _write(
    pdir: Path,
    table: pa.Table,
    stored: pa.Table,
    hidden: tuple[PartitionColumn, ...],
    data: pa.Buffer,
    digest: str,
    dataset: str,
    durable: bool,
) -> Manifest:
    """File, then manifest (the commit point), then stray cleanup; caller holds the lock."""
    _, symbol, day = partition_key(pdir)
    name = f"part-{digest[:16]}.parquet"
    pdir.mkdir(parents=True, exist_ok=True)
    atomic_write(pdir / name, data, durable=durable)
    lo, hi = _bounds(table)
    manifest = Manifest(
        dataset=dataset,
        symbol=symbol,
        trading_day=day,
        schema_hash=schema_hash(table.schema),
        rows=table.num_rows,
        files=(FileEntry(name, stored.num_rows, digest, data.size),),
        min_datetime_ns=lo,
        max_datetime_ns=hi,
        partition_columns=hidden,
    )
    write_manifest(pdir, manifest, durable=durable)
    _remove_strays(pdir, keep={name})
    return manifest


def append_part(
    pdir: Path,
    table: pa.Table,
    *,
    dataset: str,
    options: ParquetOptions = DEFAULT_OPTIONS,
    durable: bool = True,
    command: str | None = None,
    after_last: bool = False,
) -> Manifest:
    """Add ``table`` as one more data file of partition ``pdir`` (e.g. a live recorder's flush).

    The new manifest lists the old files plus the new one (rows, bounds combined) and is written
    atomically under the symbol lock, so readers see the partition before or after the flush.
    The schema must match the committed one; re-appending identical bytes is a no-op. Rows are not
    re-sorted across files: append parts in time order (``after_last`` refuses, under the lock, a
    table whose first ``datetime_ns`` is not after the stored last one).
    """
    root, symbol, day = partition_key(pdir)
    stored, hidden = split_hive_columns(table, symbol, day)
    data = encode_parquet(stored, options)
    digest = sha256_hex(data)
    name = f"part-{digest[:16]}.parquet"
    with partition_lock(root, symbol, command=command or default_command()):
        old = read_manifest(pdir)
        if old is not None and not _files_present(pdir, old):
            raise ValueError(f"{pdir}: committed files are missing; refusing to append")
        if old is not None:
            if old.schema_hash != schema_hash(table.schema) or old.partition_columns != hidden:
                raise ValueError(f"{pdir}: appended part has another schema than the partition")
            if any(f.name == name for f in old.files):
                return old
        lo, hi = _bounds(table)
        last = old.max_datetime_ns if after_last and old is not None else None
        if last is not None and (lo is None or lo <= last):
            raise ValueError(
                f"append to {symbol} {day}: first new row {lo} is not after the stored last row {last}"
            )
        pdir.mkdir(parents=True, exist_ok=True)
        atomic_write(pdir / name, data, durable=durable)
        entry = FileEntry(name, table.num_rows, digest, data.size)
        if old is None:
            manifest = Manifest(
                dataset, symbol, day, schema_hash(table.schema), table.num_rows, (entry,), lo, hi, hidden
            )
        else:
            los = [x for x in (old.min_datetime_ns, lo) if x is not None]
            his = [x for x in (old.max_datetime_ns, hi) if x is not None]
            manifest = replace(
                old,
                rows=old.rows + table.num_rows,
                files=(*old.files, entry),
                min_datetime_ns=min(los) if los else None,
                max_datetime_ns=max(his) if his else None,
            )
        write_manifest(pdir, manifest, durable=durable)
        _remove_strays(pdir, keep={f.name for f in manifest.files})
        return manifest
