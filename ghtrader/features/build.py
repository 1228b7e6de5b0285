"""Store-backed, resumable feature build: main_l5 day partitions -> features lake (SPEC §5).

Layout under ``lake.root`` (= ``data_dir/"lake_v2"``)::

    features/symbol=SYM/date=YYYY-MM-DD/{part-<hash16>.parquet, _manifest.json}
    features/symbol=SYM/_state/date=YYYY-MM-DD.npz   engine state at the end of that day
    features/symbol=SYM/_build.json                  config, feature schema, per-day lineage

Traps: windows continue across days within a segment, so day D's features depend on every earlier
day. Each built day records its main_l5 sha256, its predecessor and the sha256 of the state it
started from; a day is current only if all three still match, so a changed (or backfilled) day
rebuilds from there on, and a resumed build is byte-identical to a full rebuild. Building a day
also builds any earlier day that is not current. Commit order per day: features partition, state
file, then ``_build.json`` (a crash in between just rebuilds that day).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ghtrader.features.aux import AuxSource, day_sources, read_sources
from ghtrader.features.engine import AuxTicks, FactorState, compute_matrix, tick_inputs
from ghtrader.features.registry import FACTOR_VERSION, FeatureConfig, factor_specs, feature_columns
from ghtrader.market.contracts import ContractBook
from ghtrader.schema import schema_hash, to_pandas
from ghtrader.store.files import atomic_write, sha256_hex
from ghtrader.store.lake import ParquetLake
from ghtrader.store.lock import default_command, partition_lock
from ghtrader.store.manifest import encode_json, read_manifest
from ghtrader.store.partition import commit_partition, read_partition

DATASET = "features"
SOURCE = "main_l5"
RECORD_NAME = "_build.json"
FORMAT = "ghtrader.features.v1"
KEY_FIELDS = [
    pa.field("datetime_ns", pa.int64(), nullable=False),
    pa.field("trading_day", pa.date32(), nullable=False),
    pa.field("symbol", pa.string(), nullable=False),
    pa.field("underlying_contract", pa.string(), nullable=False),
    pa.field("segment_id", pa.int32(), nullable=False),
]

Progress = Callable[[dt.date, str], None]


@dataclass(frozen=True)
class BuildSummary:
    """What one ``build_features`` call did."""

    symbol: str
    config_hash: str
    built: tuple[dt.date, ...] = ()
    skipped: tuple[dt.date, ...] = ()
    rows: int = 0


def feature_schema(config: FeatureConfig) -> pa.Schema:
    return pa.schema([*KEY_FIELDS, *[pa.field(c, pa.float64()) for c in feature_columns(config)]])


def symbol_dir(lake: ParquetLake, symbol: str) -> Path:
    lake.symbol_dir(SOURCE, symbol)  # validates the symbol for a path
    return lake.root / DATASET / f"symbol={symbol}"


def partition_dir(lake: ParquetLake, symbol: str, day: dt.date) -> Path:
    return symbol_dir(lake, symbol) / f"date={day.isoformat()}"


def state_path(lake: ParquetLake, symbol: str, day: dt.date) -> Path:
    return symbol_dir(lake, symbol) / "_state" / f"date={day.isoformat()}.npz"


def load_record(lake: ParquetLake, symbol: str) -> dict[str, Any] | None:
    """The symbol's ``_build.json`` (config, schema, per-day lineage), or None if never built."""
    path = symbol_dir(lake, symbol) / RECORD_NAME
    return json.loads(path.read_bytes()) if path.is_file() else None


def feature_days(lake: ParquetLake, symbol: str) -> list[dt.date]:
    """Days with built features, sorted."""
    record = load_record(lake, symbol)
    return sorted(dt.date.fromisoformat(d) for d in record["days"]) if record else []


def read_features(
    lake: ParquetLake, symbol: str, day: dt.date, columns: list[str] | None = None
) -> pa.Table | None:
    """One built day of features (only the files its manifest lists), or None."""
    return read_partition(partition_dir(lake, symbol, day), columns)


def load_state(lake: ParquetLake, symbol: str, day: dt.date, config: FeatureConfig) -> FactorState:
    """Engine state at the end of built ``day`` (to continue online or batch from there)."""
    return FactorState.from_bytes(state_path(lake, symbol, day).read_bytes(), config)


def _new_record(symbol: str, config: FeatureConfig) -> dict[str, Any]:
    schema = feature_schema(config)
    return {
        "format": FORMAT,
        "symbol": symbol,
        "config_hash": config.hash,
        "config": config.to_dict(),
        "factor_version": FACTOR_VERSION,
        "schema_hash": schema_hash(schema),
        "columns": [{"name": f.name, "type": str(f.type)} for f in schema],
        "factors": [
            {"name": s.column, "window": s.window, "description": s.description} for s in factor_specs(config)
        ],
        "days": {},
    }


def _is_current(lake: ParquetLake, symbol: str, rec: dict[str, Any] | None, lineage: dict[str, Any]) -> bool:
    if rec is None or any(rec.get(k) != v for k, v in lineage.items()):
        return False
    day = dt.date.fromisoformat(rec["day"])
    m = read_manifest(partition_dir(lake, symbol, day))
    return m is not None and m.sha256 == rec["sha256"] and state_path(lake, symbol, day).is_file()


def per_row_spec(df: pd.DataFrame, book: ContractBook) -> tuple[np.ndarray, np.ndarray]:
    """price_tick and volume_multiple of each row's underlying contract."""
    col = "underlying_contract" if "underlying_contract" in df.columns else "symbol"
    codes, uniques = pd.factorize(df[col].to_numpy())
    specs = [book.get(str(u)) for u in uniques]
    ticks = np.array([s.price_tick for s in specs], dtype=np.float64)
    mults = np.array([s.volume_multiple for s in specs], dtype=np.float64)
    return ticks[codes], mults[codes]


def _feature_table(src: pa.Table, values: np.ndarray, config: FeatureConfig) -> pa.Table:
    schema = feature_schema(config)
    keys = [src.column(f.name).cast(f.type) for f in KEY_FIELDS]
    cols = [pa.array(np.ascontiguousarray(values[:, j])) for j in range(values.shape[1])]
    return pa.Table.from_arrays([*keys, *cols], schema=schema)


def _commit(pdir: Path, table: pa.Table, durable: bool) -> str:
    """Commit a deterministic features partition (shared lake commit path); return its sha256."""
    return commit_partition(pdir, table, dataset=DATASET, durable=durable).manifest.sha256


def build_day(
    lake: ParquetLake,
    symbol: str,
    day: dt.date,
    config: FeatureConfig,
    book: ContractBook,
    state: FactorState,
    aux: dict[str, AuxTicks] | None = None,
) -> tuple[pa.Table, FactorState]:
    """Features of one main_l5 day continuing ``state`` (mutated and returned); pure apart from reading.

    ``aux``: the day's aux streams when ``config`` has cross factors (read here when None).
    """
    src = lake.read_day(SOURCE, symbol, day)
    df = to_pandas(src)
    price_tick, mult = per_row_spec(df, book)
    if config.cross and aux is None:
        aux = read_sources(lake, day, day_sources(lake, book, symbol, day, config.cross))
    values = compute_matrix(*tick_inputs(df, price_tick, mult), config, state, aux)
    return _feature_table(src, values, config), state


def build_features(
    lake: ParquetLake,
    symbol: str,
    *,
    book: ContractBook,
    config: FeatureConfig | None = None,
    days: Iterable[dt.date] | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> BuildSummary:
    """Build (or resume) the features of ``symbol``'s main_l5 days; skip days that are current.

    ``days`` limits the build to those days (plus earlier days they depend on); None = all. A config
    different from the recorded one raises ``ValueError`` unless ``overwrite`` (rebuild everything).
    """
    config = config or FeatureConfig()
    sdir = symbol_dir(lake, symbol)
    with partition_lock(sdir.parent, symbol, command=default_command()):
        return _build_locked(lake, symbol, book, config, days, overwrite, progress)


def _build_locked(
    lake: ParquetLake,
    symbol: str,
    book: ContractBook,
    config: FeatureConfig,
    days: Iterable[dt.date] | None,
    overwrite: bool,
    progress: Progress | None,
) -> BuildSummary:
    sdir = symbol_dir(lake, symbol)
    record = load_record(lake, symbol)
    if record is not None and record["config_hash"] != config.hash and not overwrite:
        raise ValueError(
            f"feature config changed (hash {record['config_hash']} -> {config.hash}); rerun with --overwrite"
        )
    if record is None or overwrite or record["config_hash"] != config.hash:
        record = _new_record(symbol, config)
    source_days = lake.days(SOURCE, symbol)
    if days is not None:
        wanted = set(days)
        last = max((d for d in source_days if d in wanted), default=None)
        source_days = [d for d in source_days if last is not None and d <= last]
    built: list[dt.date] = []
    skipped: list[dt.date] = []
    rows = 0
    prev_out = ""
    state: FactorState | None = None
    for i, day in enumerate(source_days):
        m = lake.manifest(SOURCE, symbol, day)
        if m is None:  # vanished since listing: nothing to build from
            continue
        prev = source_days[i - 1].isoformat() if i else None
        lineage: dict[str, Any] = {"source_sha256": m.sha256, "prev_day": prev, "state_in": prev_out}
        srcs: list[AuxSource] = day_sources(lake, book, symbol, day, config.cross)
        if srcs:  # an aux partition that changed or arrived later rebuilds from this day
            lineage["aux"] = {s.role: s.provenance for s in srcs}
        rec = record["days"].get(day.isoformat())
        if _is_current(lake, symbol, rec, lineage):
            assert rec is not None
            skipped.append(day)
            prev_out = rec["state_out"]
            state = None
            if progress:
                progress(day, "skipped")
            continue
        if state is None:
            state = (
                FactorState.fresh(config)
                if prev is None
                else _verified_state(lake, symbol, prev, prev_out, config)
            )
        aux = read_sources(lake, day, srcs) if srcs else None
        table, state = build_day(lake, symbol, day, config, book, state, aux)
        digest = _commit(partition_dir(lake, symbol, day), table, lake.durable)
        blob = state.to_bytes()
        spath = state_path(lake, symbol, day)
        spath.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(spath, blob, durable=lake.durable)
        prev_out = sha256_hex(blob)
        record["days"][day.isoformat()] = {
            **lineage,
            "day": day.isoformat(),
            "sha256": digest,
            "state_out": prev_out,
            "rows": table.num_rows,
        }
        sdir.mkdir(parents=True, exist_ok=True)
        atomic_write(sdir / RECORD_NAME, encode_json(record), durable=lake.durable)
        built.append(day)
        rows += table.num_rows
        if progress:
            progress(day, "built")
    return BuildSummary(symbol, config.hash, tuple(built), tuple(skipped), rows)


def _verified_state(
    lake: ParquetLake, symbol: str, prev: str, sha: str, config: FeatureConfig
) -> FactorState:
    blob = state_path(lake, symbol, dt.date.fromisoformat(prev)).read_bytes()
    if sha256_hex(blob) != sha:
        raise ValueError(
            f"{symbol}: state file of {prev} does not match its build record; rerun with --overwrite"
        )
    return FactorState.from_bytes(blob, config)
