"""``ghtrader audit``: scan lake datasets, verify every partition, write ``runs/audit/<run_id>.json``.

Datasets: ``ticks`` and ``main_l5`` (tick schema, sanity rules, main_l5 equal to the raw underlying
partition of the scheduled main contract), ``features`` and ``labels`` (schema hash and per-day
sha256 from their ``_build.json``; features also the engine-state file hashes); ``all`` adds the
sidecars (integrity only). Traps: main_l5 equivalence compares every tick column except ``symbol``
(which differs by design) and checks ``underlying_contract``/``segment_id``/``schedule_hash``
against ``_provenance.json`` (the hash on a row covers the schedule up to that day).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.quality.audit_checks import Finding, PartitionRef, content, integrity, read_partition
from ghtrader.schema import MAIN_L5_SCHEMA_HASH, TICK_COLUMNS, TICK_SCHEMA_HASH
from ghtrader.store.files import sha256_file
from ghtrader.store.manifest import MANIFEST_NAME, encode_json, read_manifest

DATASETS = ("ticks", "main_l5", "features", "labels")
CHOICES = (*DATASETS, "all")
_DIRS = {
    "ticks": ("ticks",),
    "main_l5": ("main_l5", "ticks"),
    "features": ("features",),
    "labels": ("labels",),
}
_MANIFEST_DATASET = {"ticks": "ticks", "main_l5": "main_l5", "features": "features", "labels": "labels"}
VALUE_COLUMNS = [c for c in TICK_COLUMNS if c != "symbol"]


@dataclass(frozen=True)
class AuditConfig:
    """What to audit and the tolerances."""

    datasets: tuple[str, ...] = DATASETS
    symbol: str | None = None
    sidecars: bool = False
    dup_max_rate: float = 0.001


def partitions(lake_root: Path, dataset: str, symbol: str | None) -> Iterator[PartitionRef]:
    """Every ``symbol=…/date=…`` directory of a dataset (sidecars: ``sidecars/<name>``), sorted."""
    base = Path(lake_root).joinpath(*_DIRS[dataset]) if dataset in _DIRS else Path(lake_root) / dataset
    if not base.is_dir():
        return
    for sdir in sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith("symbol=")):
        sym = sdir.name.removeprefix("symbol=")
        if symbol is not None and sym != symbol:
            continue
        for pdir in sorted(p for p in sdir.iterdir() if p.is_dir() and p.name.startswith("date=")):
            day = dt.date.fromisoformat(pdir.name.removeprefix("date="))
            yield PartitionRef(dataset, sym, day, pdir, _MANIFEST_DATASET.get(dataset, dataset))


def _json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return None


class _Lineage:
    """Per-symbol context of derived datasets: build records, expected schema hashes, provenance."""

    def __init__(self, lake_root: Path) -> None:
        self.root = Path(lake_root)
        self.cache: dict[tuple[str, str], dict[str, Any] | None] = {}

    def record(self, dataset: str, symbol: str) -> dict[str, Any] | None:
        key = (dataset, symbol)
        if key not in self.cache:
            sdir = self.root.joinpath(*_DIRS[dataset]) / f"symbol={symbol}"
            name = "_provenance.json" if dataset == "main_l5" else "_build.json"
            self.cache[key] = _json(sdir / name)
        return self.cache[key]

    def expected_hash(self, dataset: str, symbol: str) -> str | None:
        if dataset == "ticks":
            return TICK_SCHEMA_HASH
        if dataset == "main_l5":
            return MAIN_L5_SCHEMA_HASH
        rec = self.record(dataset, symbol)
        if rec is None:
            return None
        if dataset == "features":
            return rec.get("schema_hash")
        from ghtrader.labels.core import LabelConfig, label_schema
        from ghtrader.schema import schema_hash

        cfg = rec["config"]
        return schema_hash(label_schema(LabelConfig(horizons=tuple(cfg["horizons"]), k=cfg["k"])))


def _lineage_findings(ref: PartitionRef, sha: str, lin: _Lineage) -> list[Finding]:
    """Features/labels: the build record's per-day sha256 (and the features state file hash)."""
    rec = lin.record(ref.dataset, ref.symbol)
    rec_path = str(ref.path.parent / "_build.json")
    if rec is None:
        return [Finding("error", ref.dataset, rec_path, "lineage", "missing build record")]
    day = rec.get("days", {}).get(ref.day.isoformat())
    if day is None:
        return [Finding("error", ref.dataset, rec_path, "lineage", f"{ref.day} is not in the build record")]
    out = []
    if day.get("sha256") != sha:
        out.append(
            Finding("error", ref.dataset, rec_path, "lineage", f"{ref.day}: sha256 differs from the manifest")
        )
    if ref.dataset == "features":
        state = ref.path.parent / "_state" / f"date={ref.day.isoformat()}.npz"
        if not state.is_file() or sha256_file(state) != day.get("state_out"):
            out.append(
                Finding("error", ref.dataset, str(state), "lineage", "state file missing or sha256 differs")
            )
    return out


def _equivalence(ref: PartitionRef, table: pa.Table, lake_root: Path, lin: _Lineage) -> list[Finding]:
    """main_l5 day == raw partition of the scheduled main contract (all tick columns but ``symbol``)."""
    from ghtrader.schedule.oi_rule import schedule_hash

    data = str(ref.path)
    prov = lin.record("main_l5", ref.symbol)
    if prov is None:
        return [
            Finding("error", "main_l5", str(ref.path.parent / "_provenance.json"), "provenance", "missing")
        ]
    sched = prov.get("schedule", [])
    idx = next((i for i, r in enumerate(sched) if r["trading_day"] == ref.day.isoformat()), None)
    if idx is None:
        return [
            Finding("error", "main_l5", data, "provenance", f"{ref.day} is not in the schedule provenance")
        ]
    main, seg = sched[idx]["main_contract"], int(sched[idx]["segment_id"])
    prefix = schedule_hash(pd.DataFrame(sched[: idx + 1]))
    out = []
    for col, want in (("underlying_contract", main), ("segment_id", seg), ("schedule_hash", prefix)):
        bad = int(np.sum(table[col].to_numpy(zero_copy_only=False) != want))
        if bad:
            out.append(Finding("error", "main_l5", data, "equivalence", f"{bad} rows with {col} != {want!r}"))
    raw_dir = Path(lake_root) / "ticks" / f"symbol={main}" / f"date={ref.day.isoformat()}"
    m = read_manifest(raw_dir)
    if m is None:
        return [
            *out,
            Finding("error", "main_l5", data, "equivalence", f"raw partition {main} {ref.day} missing"),
        ]
    try:
        raw = read_partition(PartitionRef("ticks", main, ref.day, raw_dir, "ticks"), m).select(VALUE_COLUMNS)
    except UNREADABLE as exc:  # the raw side's own entry reports the bad file; say why we cannot compare
        where = getattr(exc, "filename", None) or str(raw_dir / m.files[0].name)
        return [
            *out,
            Finding("error", "main_l5", data, "equivalence", f"raw {main} {ref.day} unreadable ({where})"),
        ]
    mine = table.select(VALUE_COLUMNS)
    if raw.num_rows != mine.num_rows:
        out.append(
            Finding(
                "error",
                "main_l5",
                data,
                "equivalence",
                f"{mine.num_rows} rows, raw {main} has {raw.num_rows}",
            )
        )
    elif not mine.equals(raw):
        a, b = mine.to_pandas(), raw.to_pandas()
        diff = int((~(a.eq(b) | (a.isna() & b.isna()))).any(axis=1).sum())
        out.append(Finding("error", "main_l5", data, "equivalence", f"{diff} rows differ from raw {main}"))
    return out


UNREADABLE = (OSError, ValueError, KeyError, TypeError, pa.ArrowException)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"unreadable: {exc.strerror}"
    return f"unreadable: {' '.join(str(exc).split()) or type(exc).__name__}"


def _audit_partition(
    ref: PartitionRef,
    lake_root: Path,
    lin: _Lineage,
    config: AuditConfig,
    calendar: TradingCalendar,
    book: ContractBook,
    dup_rates: dict[str, float],
) -> list[Finding]:
    """Integrity, then (if the bytes are trusted) content, equivalence and lineage of one partition."""
    dataset = ref.dataset
    found, m = integrity(ref)
    if m is None or any(f.severity == "error" for f in found) or dataset.startswith("sidecars/"):
        return found
    table = read_partition(ref, m)
    tick_like = dataset in ("ticks", "main_l5")
    more, stats = content(
        ref,
        m,
        table,
        expected_hash=lin.expected_hash(dataset, ref.symbol),
        calendar=calendar,
        book=book if tick_like else None,
        dup_max_rate=config.dup_max_rate,
    )
    found += more
    dup_rates[str(ref.path)] = stats["duplicate_rate"]
    if dataset == "main_l5":
        found += _equivalence(ref, table, lake_root, lin)
    elif dataset in ("features", "labels"):
        found += _lineage_findings(ref, m.sha256, lin)
    return found


def audit_lake(
    lake_root: Path, config: AuditConfig, *, calendar: TradingCalendar, book: ContractBook
) -> dict[str, Any]:
    """Audit the lake; return the JSON-able report (``ok`` False when any error was found)."""
    t0 = time.perf_counter()
    lin = _Lineage(lake_root)
    findings: list[Finding] = []
    counts: dict[str, int] = {}
    dup_rates: dict[str, float] = {}
    sidecar_sets = sorted(p.name for p in (Path(lake_root) / "sidecars").glob("*") if p.is_dir())
    jobs = [*config.datasets, *([f"sidecars/{n}" for n in sidecar_sets] if config.sidecars else [])]
    for dataset in jobs:
        for ref in partitions(lake_root, dataset, config.symbol):
            counts[dataset] = counts.get(dataset, 0) + 1
            if not (ref.path / MANIFEST_NAME).is_file():
                findings.append(
                    Finding("warning", dataset, str(ref.path), "uncommitted", "no _manifest.json")
                )
                continue
            try:
                findings += _audit_partition(ref, lake_root, lin, config, calendar, book, dup_rates)
            except UNREADABLE as exc:  # never crash: name the file and carry on
                bad = getattr(exc, "filename", None) or str(ref.path)
                findings.append(Finding("error", dataset, str(bad), "unreadable", _one_line(exc)))
    errors = [f for f in findings if f.severity == "error"]
    return {
        "ok": not errors,
        "lake_root": str(lake_root),
        "datasets": jobs,
        "symbol": config.symbol,
        "partitions": counts,
        "errors": [f.to_dict() for f in errors],
        "warnings": [f.to_dict() for f in findings if f.severity != "error"],
        "bad_files": sorted({f.file for f in errors}),
        "max_duplicate_rate": max(dup_rates.values(), default=0.0),
        "seconds": round(time.perf_counter() - t0, 3),
    }


def write_report(report: dict[str, Any], runs_dir: Path, run_id: str) -> Path:
    """Write ``runs_dir/audit/<run_id>.json`` (the caller chooses the id; no clock read here)."""
    out = Path(runs_dir) / "audit" / f"{run_id}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(encode_json({**report, "run_id": run_id}))
    return out


def select(dataset: str) -> tuple[tuple[str, ...], bool]:
    """Datasets and whether sidecars are included for a ``--dataset`` choice."""
    if dataset not in CHOICES:
        raise ValueError(f"--dataset must be one of {', '.join(CHOICES)}, got {dataset!r}")
    return (DATASETS, True) if dataset == "all" else ((dataset,), False)
