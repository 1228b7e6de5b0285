"""Parquet lake v2 (SPEC §4.4): one directory per (symbol, trading_day), committed by a manifest.

Layout under ``root`` (= ``data_dir/"lake_v2"``)::

    ticks/symbol=SYM/date=YYYY-MM-DD/{part-<hash16>.parquet, _manifest.json}
    main_l5/ticks/symbol=…/date=…/…
    sidecars/<name>/symbol=…/date=…/…
    <dataset dir>/symbol=SYM/{_no_data_dates.json, _lock}

Data files hold no ``symbol`` column (Hive convention; ``ghtrader.store.partition``), so pandas,
pyarrow.dataset, polars and duckdb open the dataset directories directly.
Traps: readers must only trust the manifest (a crash can leave temp files or an uncommitted parquet);
reading one day must not trigger dataset-wide discovery; an identical re-write must touch nothing.
Writers of one symbol serialize on its ``_lock`` (``ghtrader.store.lock``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ghtrader.store.base import (
    PartitionInfo,
    WriteMode,
    WriteStatus,
    check_mode,
    check_partition_table,
    dataset_schema,
)
from ghtrader.store.files import DEFAULT_OPTIONS, ParquetOptions, atomic_write
from ghtrader.store.lock import default_command, partition_lock
from ghtrader.store.manifest import MANIFEST_NAME, Manifest, encode_json, read_manifest, verify_partition
from ghtrader.store.partition import SUPERSEDED_DIR, commit_partition, read_partition

NO_DATA_NAME = "_no_data_dates.json"
_DATASET_DIRS: dict[str, tuple[str, ...]] = {"ticks": ("ticks",), "main_l5": ("main_l5", "ticks")}


def _check_name(kind: str, value: str) -> None:
    if not value or "/" in value or "\\" in value or value.startswith("."):
        raise ValueError(f"invalid {kind} {value!r} for a lake path")


class ParquetLake:
    """Tick store on a local directory of ZSTD Parquet partitions with manifests and checksums."""

    def __init__(
        self, root: Path, *, options: ParquetOptions = DEFAULT_OPTIONS, durable: bool = True
    ) -> None:
        self.root = Path(root)
        self.options = options
        self.durable = durable

    # ----------------------------------------------------------------- paths
    def dataset_dir(self, dataset: str) -> Path:
        dataset_schema(dataset)
        return self.root.joinpath(*_DATASET_DIRS[dataset])

    def sidecar_dir(self, name: str) -> Path:
        _check_name("sidecar name", name)
        return self.root / "sidecars" / name

    def symbol_dir(self, dataset: str, symbol: str) -> Path:
        _check_name("symbol", symbol)
        return self.dataset_dir(dataset) / f"symbol={symbol}"

    def partition_dir(self, dataset: str, symbol: str, day: dt.date) -> Path:
        return self.symbol_dir(dataset, symbol) / f"date={day.isoformat()}"

    def sidecar_partition_dir(self, name: str, symbol: str, day: dt.date) -> Path:
        _check_name("symbol", symbol)
        return self.sidecar_dir(name) / f"symbol={symbol}" / f"date={day.isoformat()}"

    # ----------------------------------------------------------------- writes
    def write_partition(
        self,
        dataset: str,
        symbol: str,
        trading_day: dt.date,
        table: pa.Table,
        *,
        mode: WriteMode = "skip_existing",
    ) -> PartitionInfo:
        """Write one (symbol, trading_day) partition whole; see ``_commit`` for the idempotence rules."""
        check_mode(mode)
        table = check_partition_table(table, dataset_schema(dataset), symbol, trading_day)
        pdir = self.partition_dir(dataset, symbol, trading_day)
        info = self._commit(pdir, dataset, symbol, trading_day, table, mode)
        if info.changed:
            self._unmark_no_data(dataset, symbol, trading_day)
        return info

    def supersede_partition(
        self, dataset: str, symbol: str, trading_day: dt.date, table: pa.Table
    ) -> PartitionInfo:
        """Replace a stored partition by ``table`` only if ``table`` strictly contains its rows.

        Trap: a partial day stored by an earlier import (quarantine, a truncated file) must not
        block a more complete import of the same day forever, yet a different day must never be
        overwritten silently. Rows are compared as a multiset of row hashes; on success the old
        files and manifest are kept under ``<root>/_superseded/…/<old sha16>/`` (status
        ``superseded``), otherwise nothing changes (``kept_existing``).
        """
        table = check_partition_table(table, dataset_schema(dataset), symbol, trading_day)
        pdir = self.partition_dir(dataset, symbol, trading_day)
        with partition_lock(self.dataset_dir(dataset), symbol, command=default_command()):
            m = read_manifest(pdir)
            old = self._read_dir(pdir, None)
            if m is None or old is None:
                return self.write_partition(dataset, symbol, trading_day, table, mode="replace")
            if not strictly_contains(table, old):
                return self._info(m, changed=False, status="kept_existing")
            archive = self.root / SUPERSEDED_DIR / pdir.relative_to(self.root) / m.sha256[:16]
            res = commit_partition(
                pdir,
                table,
                dataset=dataset,
                mode="replace",
                options=self.options,
                durable=self.durable,
                archive_dir=archive,
            )
        self._unmark_no_data(dataset, symbol, trading_day)
        return self._info(res.manifest, changed=True, status="superseded")

    def write_sidecar(
        self, name: str, symbol: str, day: dt.date, table: pa.Table, *, mode: WriteMode = "skip_existing"
    ) -> PartitionInfo:
        """Write a per-(symbol, day) side table (any schema) with the same commit machinery."""
        check_mode(mode)
        pdir = self.sidecar_partition_dir(name, symbol, day)
        return self._commit(pdir, f"sidecars/{name}", symbol, day, table.combine_chunks(), mode)

    def _commit(
        self, pdir: Path, dataset: str, symbol: str, day: dt.date, table: pa.Table, mode: WriteMode
    ) -> PartitionInfo:
        """Commit through ``ghtrader.store.partition`` (one layout, locking and idempotence rule)."""
        res = commit_partition(
            pdir, table, dataset=dataset, mode=mode, options=self.options, durable=self.durable
        )
        return self._info(res.manifest, changed=res.changed, status=res.status)

    @staticmethod
    def _info(m: Manifest, *, changed: bool, status: WriteStatus) -> PartitionInfo:
        files = tuple(f.name for f in m.files)
        return PartitionInfo(m.dataset, m.symbol, m.trading_day, m.rows, files, m.sha256, changed, status)

    # ----------------------------------------------------------------- reads
    def manifest(self, dataset: str, symbol: str, day: dt.date) -> Manifest | None:
        """The committed manifest of a partition, or ``None``."""
        return read_manifest(self.partition_dir(dataset, symbol, day))

    def verify(self, dataset: str, symbol: str, day: dt.date) -> list[str]:
        """Checksum/size/row problems of one committed partition (empty list = intact)."""
        return verify_partition(self.partition_dir(dataset, symbol, day))

    def has_partition(self, dataset: str, symbol: str, day: dt.date) -> bool:
        return (self.partition_dir(dataset, symbol, day) / MANIFEST_NAME).is_file()

    def read_day(
        self, dataset: str, symbol: str, day: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table:
        """One day's rows (empty table of the schema if absent); opens only that partition's files."""
        schema = dataset_schema(dataset)
        table = self._read_dir(self.partition_dir(dataset, symbol, day), columns)
        if table is None:
            empty = schema.empty_table()
            return empty.select(list(columns)) if columns is not None else empty
        return table

    def read_range(
        self, dataset: str, symbol: str, start: dt.date, end: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table:
        """Rows of the committed days in ``[start, end]``, in day order."""
        tables = [
            self.read_day(dataset, symbol, d, columns)
            for d in self.days(dataset, symbol)
            if start <= d <= end
        ]
        if not tables:
            empty = dataset_schema(dataset).empty_table()
            return empty.select(list(columns)) if columns is not None else empty
        return pa.concat_tables(tables)

    def read_sidecar(
        self, name: str, symbol: str, day: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table | None:
        """A committed side table, or ``None`` when absent."""
        return self._read_dir(self.sidecar_partition_dir(name, symbol, day), columns)

    @staticmethod
    def _read_dir(pdir: Path, columns: Sequence[str] | None) -> pa.Table | None:
        return read_partition(pdir, list(columns) if columns is not None else None)

    def days(self, dataset: str, symbol: str) -> list[dt.date]:
        """Committed trading days of a symbol (directories with a manifest), sorted."""
        return _committed_days(self.symbol_dir(dataset, symbol))

    def sidecar_days(self, name: str, symbol: str) -> list[dt.date]:
        _check_name("symbol", symbol)
        return _committed_days(self.sidecar_dir(name) / f"symbol={symbol}")

    def symbols(self, dataset: str) -> list[str]:
        """Symbols with at least one committed partition, sorted."""
        base = self.dataset_dir(dataset)
        if not base.is_dir():
            return []
        out = []
        for p in base.iterdir():
            if p.is_dir() and p.name.startswith("symbol=") and _committed_days(p):
                out.append(p.name.removeprefix("symbol="))
        return sorted(out)

    # ----------------------------------------------------------------- no-data markers
    def no_data_days(self, dataset: str, symbol: str) -> list[dt.date]:
        """Days recorded as legitimately empty (so they are not refetched forever)."""
        path = self.symbol_dir(dataset, symbol) / NO_DATA_NAME
        try:
            return [dt.date.fromisoformat(s) for s in json.loads(path.read_bytes())]
        except FileNotFoundError:
            return []

    def mark_no_data(self, dataset: str, symbol: str, days: Iterable[dt.date]) -> list[dt.date]:
        """Record ``days`` as no-data; days with a committed partition are ignored. Returns newly marked days."""
        days = list(days)
        with partition_lock(self.dataset_dir(dataset), symbol, command=default_command()):
            current = set(self.no_data_days(dataset, symbol))
            new = sorted({d for d in days if d not in current and not self.has_partition(dataset, symbol, d)})
            if new:
                self._write_no_data(dataset, symbol, current | set(new))
        return new

    def missing_days(self, dataset: str, symbol: str, wanted_days: Iterable[dt.date]) -> list[dt.date]:
        """``wanted_days`` that are neither committed nor marked no-data, sorted."""
        have = set(self.days(dataset, symbol)) | set(self.no_data_days(dataset, symbol))
        return sorted(set(wanted_days) - have)

    def _unmark_no_data(self, dataset: str, symbol: str, day: dt.date) -> None:
        with partition_lock(self.dataset_dir(dataset), symbol, command=default_command()):
            current = self.no_data_days(dataset, symbol)
            if day in current:
                self._write_no_data(dataset, symbol, set(current) - {day})

    def _write_no_data(self, dataset: str, symbol: str, days: set[dt.date]) -> None:
        sdir = self.symbol_dir(dataset, symbol)
        sdir.mkdir(parents=True, exist_ok=True)
        atomic_write(
            sdir / NO_DATA_NAME, encode_json([d.isoformat() for d in sorted(days)]), durable=self.durable
        )


def strictly_contains(new: pa.Table, old: pa.Table) -> bool:
    """True when ``new`` holds every row of ``old`` (as a multiset) and at least one more row."""
    if new.num_rows <= old.num_rows or new.schema.names != old.schema.names:
        return False
    hn = Counter(pd.util.hash_pandas_object(new.to_pandas(), index=False).tolist())
    ho = Counter(pd.util.hash_pandas_object(old.to_pandas(), index=False).tolist())
    return not (ho - hn)


def _committed_days(symbol_dir: Path) -> list[dt.date]:
    if not symbol_dir.is_dir():
        return []
    out = []
    for p in symbol_dir.iterdir():
        if p.name.startswith("date=") and (p / MANIFEST_NAME).is_file():
            out.append(dt.date.fromisoformat(p.name.removeprefix("date=")))
    return sorted(out)
