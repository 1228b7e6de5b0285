"""Store-backed label build: ``lake_v2/labels/symbol=…/date=…`` from the lake's main_l5 (or raw) days.

Resumability is trivial: labels never look past the end of a trading day, so each day is computed from
that day's ticks alone and days can be built in any order, skipped, or redone independently.

Layout and commit rules are the lake's (``ghtrader.store.partition``): deterministic ZSTD Parquet
without the Hive ``symbol`` column, a ``_manifest.json`` (with the sha256) written last. A per-symbol ``_build.json`` records the label config
and, per day, the source partition's sha256; a day is skipped when it was built with the same config
from the same source bytes. A changed config is refused unless ``overwrite`` (then every label day of the
symbol not rebuilt in this run is deleted, so no partition of the old config survives).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ghtrader.labels.core import LabelConfig, compute_labels, labels_to_arrow
from ghtrader.market.contracts import ContractBook
from ghtrader.schema import to_pandas
from ghtrader.store.files import atomic_write
from ghtrader.store.lake import ParquetLake
from ghtrader.store.lock import default_command, partition_lock
from ghtrader.store.manifest import encode_json, read_manifest
from ghtrader.store.partition import commit_partition as _commit

LABELS_DIR = "labels"
BUILD_NAME = "_build.json"


@dataclass(frozen=True)
class LabelBuildSummary:
    """What one ``build_labels`` run did (``balance``: class counts per horizon of the days built now)."""

    symbol: str
    config_hash: str
    built: tuple[dt.date, ...]
    skipped: tuple[dt.date, ...]
    removed: tuple[dt.date, ...]
    rows: int
    balance: dict[int, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "config_hash": self.config_hash,
            "built": [d.isoformat() for d in self.built],
            "skipped": [d.isoformat() for d in self.skipped],
            "removed": [d.isoformat() for d in self.removed],
            "rows": self.rows,
            "balance": {str(h): c for h, c in self.balance.items()},
        }


def labels_symbol_dir(lake_root: Path, symbol: str) -> Path:
    if not symbol or "/" in symbol or symbol.startswith("."):
        raise ValueError(f"invalid symbol {symbol!r} for a lake path")
    return Path(lake_root) / LABELS_DIR / f"symbol={symbol}"


def labels_partition_dir(lake_root: Path, symbol: str, day: dt.date) -> Path:
    return labels_symbol_dir(lake_root, symbol) / f"date={day.isoformat()}"


def read_build_record(lake_root: Path, symbol: str) -> dict[str, Any] | None:
    """The per-symbol ``_build.json`` (config, config_hash, days), or ``None`` before the first build."""
    try:
        return json.loads((labels_symbol_dir(lake_root, symbol) / BUILD_NAME).read_bytes())
    except FileNotFoundError:
        return None


def row_price_ticks(table: pa.Table, symbol: str, book: ContractBook) -> np.ndarray:
    """Per-row price tick from each row's contract (``underlying_contract`` for main_l5, else ``symbol``)."""
    col = "underlying_contract" if "underlying_contract" in table.column_names else None
    if col is None:
        return np.full(table.num_rows, book.get(symbol).price_tick, dtype=np.float64)
    contracts = table[col].to_numpy(zero_copy_only=False)
    uniq, inverse = np.unique(contracts.astype(str), return_inverse=True)
    ticks = np.array([book.get(str(c)).price_tick for c in uniq], dtype=np.float64)
    return ticks[inverse] if len(uniq) else np.zeros(0)


def build_labels(
    lake: ParquetLake,
    symbol: str,
    *,
    book: ContractBook,
    config: LabelConfig = LabelConfig(),
    days: Iterable[dt.date] | None = None,
    overwrite: bool = False,
    dataset: str = "main_l5",
) -> LabelBuildSummary:
    """Build (or resume) label partitions for ``symbol``'s committed ``dataset`` days (default: all)."""
    sdir = labels_symbol_dir(lake.root, symbol)
    with partition_lock(sdir.parent, symbol, command=default_command()):
        return _build_locked(lake, symbol, book, config, days, overwrite, dataset)


def _build_locked(
    lake: ParquetLake,
    symbol: str,
    book: ContractBook,
    config: LabelConfig,
    days: Iterable[dt.date] | None,
    overwrite: bool,
    dataset: str,
) -> LabelBuildSummary:
    sdir = labels_symbol_dir(lake.root, symbol)
    record = read_build_record(lake.root, symbol)
    wanted = sorted(set(days) if days is not None else lake.days(dataset, symbol))
    removed: list[dt.date] = []
    if record is not None and record.get("config_hash") != config.hash:
        if not overwrite:
            raise ValueError(
                f"label config changed (hash {record.get('config_hash')} -> {config.hash}); "
                "rerun with --overwrite"
            )
        removed = _remove_stale(sdir, keep=set(wanted))
        record = None
    if record is None:
        record = {"config": config.to_dict(), "config_hash": config.hash, "dataset": dataset, "days": {}}
        _write_record(sdir, record, durable=lake.durable)

    built: list[dt.date] = []
    skipped: list[dt.date] = []
    rows = 0
    balance: dict[int, dict[str, int]] = {h: {"DOWN": 0, "FLAT": 0, "UP": 0} for h in config.horizons}
    for day in wanted:
        source = lake.manifest(dataset, symbol, day)
        if source is None:
            raise ValueError(f"no committed {dataset} partition for {symbol} on {day.isoformat()}")
        done = record["days"].get(day.isoformat())
        pdir = labels_partition_dir(lake.root, symbol, day)
        if (
            not overwrite
            and done is not None
            and done.get("source_sha256") == source.sha256
            and (read_manifest(pdir) is not None)
        ):
            skipped.append(day)
            continue
        table = lake.read_day(dataset, symbol, day)
        labels = compute_labels(
            to_pandas(table), price_tick=row_price_ticks(table, symbol, book), config=config
        )
        sha = commit_partition(pdir, symbol, day, labels_to_arrow(labels, config), durable=lake.durable)
        for h in config.horizons:
            y = labels[f"y_{h}"].to_numpy()
            for cls, name in enumerate(("DOWN", "FLAT", "UP")):
                balance[h][name] += int((y == cls).sum())
        record["days"][day.isoformat()] = {"rows": len(labels), "sha256": sha, "source_sha256": source.sha256}
        _write_record(sdir, record, durable=lake.durable)
        built.append(day)
        rows += len(labels)
    return LabelBuildSummary(symbol, config.hash, tuple(built), tuple(skipped), tuple(removed), rows, balance)


def commit_partition(
    pdir: Path, symbol: str, day: dt.date, table: pa.Table, *, dataset: str = LABELS_DIR, durable: bool = True
) -> str:
    """Commit a derived partition through the lake's shared commit path; return its sha256.

    Identical committed content is left untouched so a rebuild is byte-for-byte idempotent.
    ``symbol``/``day`` must match ``pdir`` (kept for callers; the directory is authoritative).
    """
    res = _commit(pdir, table, dataset=dataset, durable=durable)
    if (res.manifest.symbol, res.manifest.trading_day) != (symbol, day):
        raise ValueError(f"{pdir} is not the partition of {symbol} {day}")
    return res.manifest.sha256


def _write_record(sdir: Path, record: dict[str, Any], *, durable: bool) -> None:
    sdir.mkdir(parents=True, exist_ok=True)
    atomic_write(sdir / BUILD_NAME, encode_json(record), durable=durable)


def _remove_stale(sdir: Path, keep: set[dt.date]) -> list[dt.date]:
    """Delete label day partitions outside ``keep`` (they belong to the superseded config)."""
    removed: list[dt.date] = []
    if not sdir.is_dir():
        return removed
    for p in sorted(sdir.iterdir()):
        if p.is_dir() and p.name.startswith("date="):
            day = dt.date.fromisoformat(p.name.removeprefix("date="))
            if day not in keep:
                shutil.rmtree(p)
                removed.append(day)
    return removed
