"""``ghtrader lake migrate``: convert a lake from the legacy layout to the Hive layout, in place.

Legacy: a ``part-….parquet.sha256`` companion beside every data file (directory readers choke on
it) and the ``symbol`` key stored inside the files (pandas then sees two conflicting ``symbol``
columns). Each partition is verified first (file sha256 == manifest == companion), then rewritten
through the shared commit path under its symbol lock; a partition that fails verification is left
untouched and reported. The partition hashes change, so the feature/label build records
(``_build.json``) are rewritten with the new hashes (otherwise every derived day would look stale).
Quarantine files lose their companions and their summaries get a ``_`` prefix. Idempotent: a second
run finds nothing to do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghtrader.store.files import CHECKSUM_SUFFIX, atomic_write, checksum_line, sha256_file
from ghtrader.store.hive import partition_key
from ghtrader.store.lock import default_command, partition_lock
from ghtrader.store.manifest import MANIFEST_NAME, encode_json, read_manifest
from ghtrader.store.partition import commit_partition, is_legacy, read_files


@dataclass
class MigrationReport:
    """What ``migrate_lake`` did; ``errors`` name each partition/file left in the old layout."""

    migrated: int = 0
    current: int = 0
    records_updated: int = 0
    quarantine_files: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "migrated": self.migrated,
            "current": self.current,
            "records_updated": self.records_updated,
            "quarantine_files": self.quarantine_files,
            "errors": self.errors,
        }


def partition_dirs(lake_root: Path) -> Iterator[Path]:
    """Every committed ``symbol=…/date=…`` directory under the lake, sorted."""
    for mpath in sorted(Path(lake_root).rglob(MANIFEST_NAME)):
        pdir = mpath.parent
        if pdir.name.startswith("date=") and pdir.parent.name.startswith("symbol="):
            yield pdir


def verify_legacy(pdir: Path) -> list[str]:
    """Checksum problems of a partition (file vs manifest vs companion); empty = safe to rewrite."""
    m = read_manifest(pdir)
    if m is None:
        return [f"{pdir}: no manifest"]
    problems = []
    for f in m.files:
        path = pdir / f.name
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        if sha256_file(path) != f.sha256:
            problems.append(f"{path}: sha256 differs from the manifest")
        companion = path.with_name(path.name + CHECKSUM_SUFFIX)
        if companion.is_file() and companion.read_bytes() != checksum_line(f.sha256, f.name):
            problems.append(f"{companion}: does not match the manifest")
    return problems


def _migrate_partition(pdir: Path, report: MigrationReport, shas: dict[str, str]) -> None:
    root, symbol, _ = partition_key(pdir)
    with partition_lock(root, symbol, command=default_command()):
        m = read_manifest(pdir)
        if m is None or not is_legacy(pdir, m):
            report.current += 1
            return
        problems = verify_legacy(pdir)
        if problems:
            report.errors += problems
            return
        res = commit_partition(pdir, read_files(pdir, m), dataset=m.dataset, mode="replace")
        for f in m.files:  # content unchanged (no Hive column to strip): companions only
            (pdir / (f.name + CHECKSUM_SUFFIX)).unlink(missing_ok=True)
        shas[m.sha256] = res.manifest.sha256
        report.migrated += 1


def _remap(obj: Any, shas: dict[str, str]) -> Any:
    if isinstance(obj, dict):
        return {k: _remap(v, shas) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_remap(v, shas) for v in obj]
    return shas.get(obj, obj) if isinstance(obj, str) else obj


def _update_records(lake_root: Path, shas: dict[str, str], report: MigrationReport) -> None:
    """Rewrite per-day partition hashes in the feature/label ``_build.json`` records."""
    changed = {k: v for k, v in shas.items() if k != v}
    if not changed:
        return
    for path in sorted(Path(lake_root).rglob("_build.json")):
        record = json.loads(path.read_bytes())
        if not isinstance(record.get("days"), dict):
            continue
        new = {**record, "days": _remap(record["days"], changed)}
        if new != record:
            atomic_write(path, encode_json(new))
            report.records_updated += 1


def _migrate_quarantine(qdir: Path, report: MigrationReport) -> None:
    if not qdir.is_dir():
        return
    for companion in sorted(qdir.rglob("rejected-*.parquet" + CHECKSUM_SUFFIX)):
        data = companion.with_name(companion.name.removesuffix(CHECKSUM_SUFFIX))
        digest = sha256_file(data) if data.is_file() else ""
        if companion.read_bytes() != checksum_line(digest, data.name):
            report.errors.append(f"{companion}: does not match {data.name}")
            continue
        companion.unlink()
        report.quarantine_files += 1
    for summary in sorted(qdir.rglob("rejected-*.json")):
        summary.replace(summary.with_name("_" + summary.name))
        report.quarantine_files += 1


def migrate_lake(lake_root: Path, quarantine_dir: Path | None = None) -> MigrationReport:
    """Convert every legacy partition under ``lake_root`` (and the quarantine); see the module doc."""
    report = MigrationReport()
    shas: dict[str, str] = {}
    for pdir in partition_dirs(lake_root):
        _migrate_partition(pdir, report, shas)
    _update_records(lake_root, shas, report)
    if quarantine_dir is not None:
        _migrate_quarantine(quarantine_dir, report)
    return report
