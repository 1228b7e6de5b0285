"""Per-partition ``_manifest.json``: the commit record of a lake partition.

The manifest is written last; its presence means the partition is complete, and readers open only
the files it lists (stray parquet or temp files from a crash are invisible). It carries no write
timestamp so that an identical re-ingest leaves it byte-identical. It holds each file's sha256 (the
old ``part-….parquet.sha256`` companions broke directory readers and are no longer written) and,
as ``partition_columns``, the Hive partition columns (``symbol``) that are *not* stored inside the
data files and where ghtrader's readers re-insert them (manifests without the key: legacy layout).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ghtrader.store.files import CHECKSUM_SUFFIX, atomic_write, checksum_line, fsync_dir, sha256_file

MANIFEST_NAME = "_manifest.json"
FORMAT = "ghtrader.lake.v2"


@dataclass(frozen=True)
class FileEntry:
    """One data file of a partition."""

    name: str
    rows: int
    sha256: str
    bytes: int


@dataclass(frozen=True)
class PartitionColumn:
    """A column held by the directory name (``symbol=…``/``date=…``) instead of the data files."""

    name: str
    index: int  # position in the logical (reader-facing) schema
    type: str  # Arrow type name: "string", "large_string" or "date32[day]"
    nullable: bool


@dataclass(frozen=True)
class Manifest:
    """What a complete partition holds."""

    dataset: str
    symbol: str
    trading_day: dt.date
    schema_hash: str
    rows: int
    files: tuple[FileEntry, ...]
    min_datetime_ns: int | None
    max_datetime_ns: int | None
    partition_columns: tuple[PartitionColumn, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        # built by hand: ``asdict`` deep-copies every entry, a cost each live flush pays per partition
        d: dict[str, Any] = {
            "dataset": self.dataset,
            "symbol": self.symbol,
            "trading_day": self.trading_day.isoformat(),
            "schema_hash": self.schema_hash,
            "rows": self.rows,
            "files": [
                {"name": f.name, "rows": f.rows, "sha256": f.sha256, "bytes": f.bytes} for f in self.files
            ],
            "min_datetime_ns": self.min_datetime_ns,
            "max_datetime_ns": self.max_datetime_ns,
            "format": FORMAT,
        }
        if self.partition_columns:  # absent key keeps legacy manifests byte-identical
            d["partition_columns"] = [asdict(c) for c in self.partition_columns]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        return cls(
            dataset=str(d["dataset"]),
            symbol=str(d["symbol"]),
            trading_day=dt.date.fromisoformat(d["trading_day"]),
            schema_hash=str(d["schema_hash"]),
            rows=int(d["rows"]),
            files=tuple(FileEntry(**f) for f in d["files"]),
            min_datetime_ns=d.get("min_datetime_ns"),
            max_datetime_ns=d.get("max_datetime_ns"),
            partition_columns=tuple(PartitionColumn(**c) for c in d.get("partition_columns", ())),
        )

    @property
    def sha256(self) -> str:
        """Content hash of the partition (the single file's hash, or a hash of the file hashes)."""
        if len(self.files) == 1:
            return self.files[0].sha256
        return hashlib.sha256("".join(f.sha256 for f in self.files).encode()).hexdigest()


def encode_json(obj: Any) -> bytes:
    """Deterministic JSON bytes (sorted keys, fixed indent, trailing newline)."""
    return (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode()


def read_manifest(partition_dir: Path) -> Manifest | None:
    """Load a partition's manifest; ``None`` when absent (partition incomplete or never written)."""
    try:
        raw = (partition_dir / MANIFEST_NAME).read_bytes()
    except FileNotFoundError:
        return None
    try:
        return Manifest.from_dict(json.loads(raw))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"corrupt manifest {partition_dir / MANIFEST_NAME}: {exc}") from exc


def write_manifest(partition_dir: Path, manifest: Manifest, *, durable: bool = True) -> None:
    """Commit a partition: atomically write its manifest, then persist the directory entries."""
    atomic_write(partition_dir / MANIFEST_NAME, encode_json(manifest.to_dict()), durable=durable)
    if durable:
        fsync_dir(partition_dir)


def verify_partition(partition_dir: Path) -> list[str]:
    """Re-check a committed partition against its manifest; return problems (empty list = intact).

    Checks each listed file's presence, size, sha256, legacy ``.sha256`` companion (only if one is
    still there) and row count, and that the file rows add up to the manifest's. Reads every byte:
    meant for audits, not for the read path.
    """
    try:
        m = read_manifest(partition_dir)
    except ValueError as exc:
        return [str(exc)]
    if m is None:
        return [f"{partition_dir}: no manifest (partition not committed)"]
    problems = []
    for f in m.files:
        path = partition_dir / f.name
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        if path.stat().st_size != f.bytes:
            problems.append(f"{path}: {path.stat().st_size} bytes, manifest says {f.bytes}")
        try:
            digest = sha256_file(path)
        except OSError as exc:  # unreadable (permissions, I/O error): a problem, not a crash
            problems.append(f"{path}: unreadable ({exc.strerror})")
            continue
        if digest != f.sha256:
            problems.append(f"{path}: sha256 differs from manifest")
        companion = path.with_name(path.name + CHECKSUM_SUFFIX)
        if companion.is_file() and companion.read_bytes() != checksum_line(f.sha256, f.name):
            problems.append(f"{companion}: wrong checksum line")
        try:
            rows = pq.ParquetFile(path).metadata.num_rows
        except (OSError, ValueError, pa.ArrowException) as exc:
            problems.append(f"{path}: unreadable parquet ({exc})")
            continue
        if rows != f.rows:
            problems.append(f"{path}: {rows} rows, manifest says {f.rows}")
    if sum(f.rows for f in m.files) != m.rows:
        problems.append(f"{partition_dir}: file rows do not add up to manifest rows {m.rows}")
    return problems
