"""Per-partition audit checks: integrity (manifest, checksums, row counts), schema, time, sanity.

Every problem is a ``Finding`` naming the one file at fault, so ``ghtrader audit`` can list bad
files. Traps: a manifest must be byte-identical to its canonical encoding (the writer is
deterministic), which turns *any* edited byte into a finding even where JSON would still parse;
content checks run only on partitions whose bytes match their checksums (untrusted bytes are
reported once, as integrity errors, not as a cascade of content errors).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ghtrader.market.calendar import EPOCH, TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.quality.rules import safe_trading_day_index, summarize_rejections, validate_ticks
from ghtrader.schema import schema_hash, to_pandas
from ghtrader.store.files import CHECKSUM_SUFFIX, checksum_line, is_temp_name, sha256_file
from ghtrader.store.manifest import MANIFEST_NAME, Manifest, encode_json
from ghtrader.store.partition import read_files


@dataclass(frozen=True)
class Finding:
    """One audit result: ``severity`` "error" fails the audit, "warning" is reported only."""

    severity: str
    dataset: str
    file: str
    check: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PartitionRef:
    """Where a partition lives and what it should contain."""

    dataset: str
    symbol: str
    day: dt.date
    path: Path
    manifest_dataset: str


def integrity(ref: PartitionRef) -> tuple[list[Finding], Manifest | None]:
    """Manifest canonical and consistent with the directory; every file's size, sha256, rows."""
    out: list[Finding] = []
    mpath = ref.path / MANIFEST_NAME

    def err(path: Path, check: str, msg: str) -> None:
        out.append(Finding("error", ref.dataset, str(path), check, msg))

    raw = mpath.read_bytes()
    try:
        m = Manifest.from_dict(json.loads(raw))
    except (ValueError, KeyError, TypeError) as exc:
        err(mpath, "manifest", f"unreadable manifest: {exc}")
        return out, None
    if encode_json(m.to_dict()) != raw:
        err(mpath, "manifest", "bytes differ from the canonical manifest encoding (edited or corrupted)")
    for field, want in (("dataset", ref.manifest_dataset), ("symbol", ref.symbol), ("trading_day", ref.day)):
        if getattr(m, field) != want:
            err(mpath, "manifest", f"{field} {getattr(m, field)!r} does not match the directory ({want!r})")
    for f in m.files:
        path = ref.path / f.name
        if not path.is_file():
            err(path, "checksum", "listed in the manifest but missing")
            continue
        companion = path.with_name(path.name + CHECKSUM_SUFFIX)
        if companion.is_file():  # legacy layout (before ``ghtrader lake migrate``)
            if companion.read_bytes() != checksum_line(f.sha256, f.name):
                err(companion, "checksum", "does not hold the manifest's sha256 line")
            else:
                out.append(
                    Finding(
                        "warning",
                        ref.dataset,
                        str(companion),
                        "legacy_layout",
                        "checksum companion breaks directory readers; run `ghtrader lake migrate`",
                    )
                )
        if path.stat().st_size != f.bytes:
            err(path, "checksum", f"{path.stat().st_size} bytes, manifest says {f.bytes}")
        if sha256_file(path) != f.sha256:
            err(path, "checksum", "sha256 of the file bytes differs from the manifest")
            continue
        try:
            rows = pq.ParquetFile(path).metadata.num_rows
        except (OSError, ValueError, pa.ArrowException) as exc:
            err(path, "parquet", f"unreadable parquet: {exc}")
            continue
        if rows != f.rows:
            err(mpath, "manifest_rows", f"{f.name}: parquet metadata has {rows} rows, manifest says {f.rows}")
    if sum(f.rows for f in m.files) != m.rows:
        err(
            mpath,
            "manifest_rows",
            f"file rows add up to {sum(f.rows for f in m.files)}, manifest says {m.rows}",
        )
    listed = {f.name for f in m.files} | {f.name + CHECKSUM_SUFFIX for f in m.files} | {MANIFEST_NAME}
    for p in sorted(ref.path.iterdir()):
        if p.is_file() and p.name not in listed:
            kind = "crash leftover" if is_temp_name(p.name) else "not in the manifest"
            out.append(Finding("warning", ref.dataset, str(p), "stray_file", f"{kind}; invisible to readers"))
    return out, m


def read_partition(ref: PartitionRef, m: Manifest) -> pa.Table:
    return read_files(ref.path, m)


def content(
    ref: PartitionRef,
    m: Manifest,
    table: pa.Table,
    *,
    expected_hash: str | None,
    calendar: TradingCalendar,
    book: ContractBook | None,
    dup_max_rate: float,
) -> tuple[list[Finding], dict[str, Any]]:
    """Schema hash, time integrity (sorted, one trading day, manifest bounds), tick sanity rules."""
    out: list[Finding] = []
    data = str(ref.path / m.files[0].name)
    mpath = str(ref.path / MANIFEST_NAME)

    def err(path: str, check: str, msg: str) -> None:
        out.append(Finding("error", ref.dataset, path, check, msg))

    actual = schema_hash(table.schema)
    if expected_hash is not None and actual != expected_hash:
        err(data, "schema", f"schema hash {actual} differs from the expected {expected_hash}")
    if m.schema_hash != actual:
        err(mpath, "schema", f"manifest schema_hash {m.schema_hash} differs from the file's {actual}")
    ns = table["datetime_ns"].to_numpy()
    n = len(ns)
    back = int((np.diff(ns) < 0).sum()) if n > 1 else 0
    dups = int((np.diff(ns) == 0).sum()) if n > 1 else 0
    stats = {"rows": n, "duplicate_timestamps": dups, "duplicate_rate": dups / n if n else 0.0}
    if back:
        err(data, "time", f"datetime_ns decreases {back} times (not sorted)")
    if n and dups / n > dup_max_rate:
        err(data, "time", f"duplicate timestamp rate {dups / n:.4%} above {dup_max_rate:.4%}")
    if n and (m.min_datetime_ns, m.max_datetime_ns) != (int(ns.min()), int(ns.max())):
        err(mpath, "manifest", "min/max datetime_ns differ from the data")
    want = (ref.day - EPOCH).days
    days = table["trading_day"].cast(pa.int32()).to_numpy(zero_copy_only=False)
    if (days != want).any():
        err(data, "time", f"{int((days != want).sum())} rows carry another trading_day")
    outside = int((safe_trading_day_index(calendar, ns) != want).sum())
    if outside:
        err(data, "time", f"{outside} rows fall outside trading day {ref.day} by the calendar")
    if book is not None and n:
        _, rejected = validate_ticks(to_pandas(table), calendar=calendar, book=book)
        for reason, count in summarize_rejections(rejected).items():
            err(data, "sanity", f"{count} rows fail {reason}")
    return out, stats
