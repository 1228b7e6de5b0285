"""A storage-independent content digest of a partition table (the coverage index's ``row_hash``).

The lake's sha256 hashes Parquet bytes, which depend on encoding options; QuestDB stores no file.
To tell whether two stores hold the same rows, both hash the *values*: per column, the validity
bitmap and the values with nulls zeroed (strings joined by NUL). Equal tables of the same schema
give equal digests whatever store they came from; the column order and types are part of it.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _column_bytes(arr: pa.Array) -> tuple[bytes, bytes]:
    valid = np.packbits(arr.is_valid().to_numpy(zero_copy_only=False)).tobytes()
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return valid, "\x00".join(pc.fill_null(arr, "").to_pylist()).encode()
    if pa.types.is_date32(t):
        arr = arr.cast(pa.int32())
    elif pa.types.is_boolean(t):
        arr = arr.cast(pa.int8())
    filled = pc.fill_null(arr, pa.scalar(0, arr.type))
    return valid, np.ascontiguousarray(filled.to_numpy(zero_copy_only=False)).tobytes()


def table_digest(table: pa.Table) -> str:
    """Hex sha256 of the table's schema and values (independent of chunking and metadata)."""
    h = hashlib.sha256()
    h.update(repr([(f.name, str(f.type)) for f in table.schema]).encode())
    h.update(int(table.num_rows).to_bytes(8, "little"))
    for col in table.columns:
        valid, values = _column_bytes(col.combine_chunks())
        h.update(len(valid).to_bytes(8, "little") + valid)
        h.update(len(values).to_bytes(8, "little") + values)
    return h.hexdigest()
