"""The one tick schema (SPEC §4.1): Arrow schema, column lists and a stable hash.

Every source produces frames with exactly these columns and every store writes them. Prices are
float64, depth volumes are nullable int64 (L1-only symbols such as ``KQ.m@SHFE.cu`` keep levels 2-5
null), ``volume``/``amount``/``open_interest`` are cumulative for the trading day.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow as pa

LEVELS = 5
BID_PRICE = [f"bid_price{i}" for i in range(1, LEVELS + 1)]
BID_VOLUME = [f"bid_volume{i}" for i in range(1, LEVELS + 1)]
ASK_PRICE = [f"ask_price{i}" for i in range(1, LEVELS + 1)]
ASK_VOLUME = [f"ask_volume{i}" for i in range(1, LEVELS + 1)]
PRICE_COLUMNS = ["last_price", "average", "highest", "lowest", *BID_PRICE, *ASK_PRICE]
DEPTH_VOLUME_COLUMNS = [*BID_VOLUME, *ASK_VOLUME]

TICK_FIELDS: list[pa.Field] = [
    pa.field("symbol", pa.string(), nullable=False),
    pa.field("datetime_ns", pa.int64(), nullable=False),
    pa.field("trading_day", pa.date32(), nullable=False),
    pa.field("last_price", pa.float64()),
    pa.field("average", pa.float64()),
    pa.field("highest", pa.float64()),
    pa.field("lowest", pa.float64()),
    *[pa.field(c, pa.float64()) for c in BID_PRICE],
    *[pa.field(c, pa.int64()) for c in BID_VOLUME],
    *[pa.field(c, pa.float64()) for c in ASK_PRICE],
    *[pa.field(c, pa.int64()) for c in ASK_VOLUME],
    pa.field("volume", pa.int64(), nullable=False),
    pa.field("amount", pa.float64(), nullable=False),
    pa.field("open_interest", pa.int64(), nullable=False),
]
TICK_SCHEMA = pa.schema(TICK_FIELDS)
TICK_COLUMNS: list[str] = TICK_SCHEMA.names

MAIN_L5_SCHEMA = pa.schema(
    [
        *TICK_FIELDS,
        pa.field("underlying_contract", pa.string(), nullable=False),
        pa.field("segment_id", pa.int32(), nullable=False),
        pa.field("schedule_hash", pa.string(), nullable=False),
    ]
)
MAIN_L5_COLUMNS: list[str] = MAIN_L5_SCHEMA.names


def schema_hash(schema: pa.Schema = TICK_SCHEMA) -> str:
    """Return a stable 16-hex hash of column names, types and nullability (not metadata)."""
    desc = [[f.name, str(f.type), f.nullable] for f in schema]
    return hashlib.sha256(json.dumps(desc).encode()).hexdigest()[:16]


TICK_SCHEMA_HASH = schema_hash(TICK_SCHEMA)
MAIN_L5_SCHEMA_HASH = schema_hash(MAIN_L5_SCHEMA)


def empty_ticks(schema: pa.Schema = TICK_SCHEMA) -> pd.DataFrame:
    """Return an empty frame with the schema's columns and pandas dtypes."""
    return to_pandas(schema.empty_table())


def to_arrow(df: pd.DataFrame, schema: pa.Schema = TICK_SCHEMA) -> pa.Table:
    """Convert a tick frame to an Arrow table of exactly ``schema`` (column order, types).

    Float NaN in integer depth-volume columns becomes null; a missing or non-integral value in a
    non-nullable column raises ``ValueError`` naming the column.
    """
    missing = [c for c in schema.names if c not in df.columns]
    if missing:
        raise ValueError(f"tick frame lacks columns: {', '.join(missing)}")
    arrays = []
    for field in schema:
        col = df[field.name]
        if pa.types.is_date32(field.type):
            values = pd.to_datetime(col).dt.date if not _is_date_objects(col) else col
            arr = pa.array(values, type=pa.date32(), from_pandas=True)
        elif pa.types.is_integer(field.type):
            arr = _int_array(col, field)
        else:
            arr = pa.array(col.to_numpy(), type=field.type, from_pandas=True)
        if not field.nullable and arr.null_count:
            raise ValueError(f"column {field.name} has {arr.null_count} null values")
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=schema)


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """Convert to pandas with NaN-friendly dtypes: nullable ints become float64, dates stay dates."""
    df = table.to_pandas(date_as_object=True)
    for field in table.schema:
        if pa.types.is_integer(field.type) and field.nullable:
            df[field.name] = df[field.name].astype("float64")
    return df


def _is_date_objects(col: pd.Series) -> bool:
    import datetime as _dt

    return len(col) > 0 and isinstance(col.iloc[0], _dt.date) and not isinstance(col.iloc[0], _dt.datetime)


def _int_array(col: pd.Series, field: pa.Field) -> pa.Array:
    values = col.to_numpy()
    if values.dtype.kind in "iu":
        return pa.array(values.astype(np.int64), type=field.type)
    as_float = pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    finite = np.isfinite(as_float)
    if not np.array_equal(as_float[finite], np.round(as_float[finite])):
        raise ValueError(f"column {field.name} has non-integral values")
    return pa.array(as_float, type=field.type, from_pandas=True)
