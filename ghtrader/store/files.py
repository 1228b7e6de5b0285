"""Low-level file primitives of the lake: deterministic Parquet bytes, hashing, atomic writes.

Traps: a re-ingest must be byte-identical, so every Parquet option is pinned here (pyarrow writes no
timestamp, and tables built by ``ghtrader.schema.to_arrow`` carry no pandas metadata); and a crash must
never leave a half-written file under its final name, so bytes go to a hidden temp file in the same
directory, are fsynced and only then ``os.replace``d into place.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TMP_SUFFIX = ".tmp"
CHECKSUM_SUFFIX = ".sha256"  # legacy companions; checksums now live in _manifest.json


@dataclass(frozen=True)
class ParquetOptions:
    """Pinned writer options; changing any of them changes every file's bytes (and content hash)."""

    compression: str = "zstd"
    compression_level: int = 3
    row_group_size: int = 1 << 20
    # Constant-per-partition strings get a dictionary; prices compress better PLAIN + zstd (~21 B/tick).
    dictionary_columns: tuple[str, ...] = ("symbol", "trading_day", "underlying_contract", "schedule_hash")
    # Monotone cumulative integers shrink a lot under delta encoding.
    delta_columns: tuple[str, ...] = ("datetime_ns", "volume", "open_interest")
    write_statistics: bool = True
    data_page_version: str = "1.0"


DEFAULT_OPTIONS = ParquetOptions()


def encode_parquet(table: pa.Table, options: ParquetOptions = DEFAULT_OPTIONS) -> pa.Buffer:
    """Serialize ``table`` to Parquet bytes in memory (deterministic for equal content)."""
    names = set(table.column_names)
    delta = {c: "DELTA_BINARY_PACKED" for c in options.delta_columns if c in names}
    delta = {c: e for c, e in delta.items() if pa.types.is_integer(table.schema.field(c).type)}
    sink = pa.BufferOutputStream()
    pq.write_table(
        table.replace_schema_metadata(None),
        sink,
        compression=options.compression,
        compression_level=options.compression_level,
        row_group_size=options.row_group_size,
        use_dictionary=[c for c in options.dictionary_columns if c in names],
        column_encoding=delta or None,
        write_statistics=options.write_statistics,
        data_page_version=options.data_page_version,
    )
    return sink.getvalue()


def sha256_hex(data: bytes | pa.Buffer | memoryview) -> str:
    """Hex sha256 of an in-memory byte buffer."""
    return hashlib.sha256(memoryview(data)).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def is_temp_name(name: str) -> bool:
    """True for the hidden temp files ``atomic_write`` creates (crash leftovers if still present)."""
    return name.startswith(".") and name.endswith(TMP_SUFFIX)


def fsync_dir(path: Path) -> None:
    """Persist directory entries (renames) of ``path``."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes | pa.Buffer | memoryview, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` via a same-directory temp file, fsync and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(memoryview(data))
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def checksum_line(digest: str, name: str) -> bytes:
    """One ``sha256sum``-format line (the legacy ``.sha256`` companion's content, for migration)."""
    return f"{digest}  {name}\n".encode()
