"""``ghtrader audit``: a clean lake exits 0; one flipped byte in any lake file exits 1 naming that file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pytest
import typer
from typer.testing import CliRunner

from ghtrader.cli.audit import audit
from ghtrader.store.lake import ParquetLake
from ghtrader.store.manifest import MANIFEST_NAME, encode_json
from ghtrader.testing.faults import inject_bad_day
from tests.quality.conftest import SIM_DAYS

MAIN = "KQ.m@SHFE.cu"
DAY = SIM_DAYS[1].isoformat()
DIRS = {
    "ticks": f"ticks/symbol=SHFE.cu2505/date={DAY}",
    "main_l5": f"main_l5/ticks/symbol={MAIN}/date={DAY}",
    "features": f"features/symbol={MAIN}/date={DAY}",
    "labels": f"labels/symbol={MAIN}/date={DAY}",
}
KINDS = {"parquet": "*.parquet", "manifest": MANIFEST_NAME}  # checksums live in the manifest


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False)
    app.command()(audit)
    return app


def _run(data: Path, runs: Path, *args: str) -> tuple[int, str, dict]:
    res = CliRunner().invoke(
        _app(), ["--data-dir", str(data), "--runs-dir", str(runs), "--run-id", "t", "--json", *args]
    )
    report = (
        json.loads((runs / "audit" / "t.json").read_text()) if (runs / "audit" / "t.json").exists() else {}
    )
    return res.exit_code, res.stderr + res.stdout, report


def test_clean_lake_exits_0_and_writes_report(sim_lake_master: Path, tmp_path: Path) -> None:
    code, out, report = _run(sim_lake_master, tmp_path)
    assert code == 0, out
    assert report["ok"] and report["errors"] == [] and report["run_id"] == "t"
    assert report["partitions"]["ticks"] == 4 and report["partitions"]["main_l5"] == 2
    assert report["partitions"]["features"] == 2 and report["partitions"]["labels"] == 2
    assert any(d.startswith("sidecars/") for d in report["datasets"])


@pytest.mark.parametrize("dataset", sorted(DIRS))
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_one_flipped_byte_is_named(
    sim_lake: Path, tmp_path: Path, dataset: str, kind: str, where: str
) -> None:
    # a private copy: the shared master is read concurrently by other tests (pytest -n)
    (target,) = (sim_lake / "lake_v2" / DIRS[dataset]).glob(KINDS[kind])
    original = target.read_bytes()
    pos = {"first": 0, "middle": len(original) // 2, "last": len(original) - 1}[where]
    flipped = bytearray(original)
    flipped[pos] ^= 0x01
    target.write_bytes(bytes(flipped))
    code, out, report = _run(sim_lake, tmp_path, "--dataset", dataset)
    assert code == 1
    assert report["bad_files"] == [str(target)]
    assert f"bad file: {target}" in out


def test_manifest_row_count_mismatch(sim_lake: Path, tmp_path: Path) -> None:
    mpath = sim_lake / "lake_v2" / DIRS["ticks"] / MANIFEST_NAME
    m = json.loads(mpath.read_bytes())
    m["rows"] += 1
    m["files"][0]["rows"] += 1
    mpath.write_bytes(encode_json(m))  # canonical bytes: only the counts disagree with the parquet
    code, out, report = _run(sim_lake, tmp_path, "--dataset", "ticks")
    assert code == 1
    assert {(e["file"], e["check"]) for e in report["errors"]} == {(str(mpath), "manifest_rows")}
    assert "parquet metadata has" in out


def test_injected_bad_day_fails_sanity_with_consistent_checksums(sim_lake: Path, tmp_path: Path) -> None:
    pdir = inject_bad_day(sim_lake / "lake_v2", "SHFE.cu2505", SIM_DAYS[1], kind="crossed_book")
    code, _, report = _run(sim_lake, tmp_path, "--dataset", "ticks", "--symbol", "SHFE.cu2505")
    assert code == 1
    (err,) = report["errors"]
    assert err["check"] == "sanity" and err["message"] == "1 rows fail crossed_book: ask1 < bid1"
    assert err["file"] == str(next(pdir.glob("*.parquet")))


def test_main_l5_differing_from_raw_underlying(sim_lake: Path, tmp_path: Path) -> None:
    lake = ParquetLake(sim_lake / "lake_v2")
    table = lake.read_day("main_l5", MAIN, SIM_DAYS[0])
    i = table.schema.get_field_index("open_interest")
    oi = table["open_interest"].to_numpy().copy()
    oi[:3] += 1
    table = table.set_column(i, table.schema.field(i), pa.array(oi))
    lake.write_partition("main_l5", MAIN, SIM_DAYS[0], table, mode="replace")
    code, _, report = _run(sim_lake, tmp_path, "--dataset", "main_l5")
    assert code == 1
    (err,) = report["errors"]
    assert err["check"] == "equivalence" and err["message"].startswith("3 rows differ from raw SHFE.cu")


def test_bad_dataset_is_one_line_exit_1(sim_lake_master: Path, tmp_path: Path) -> None:
    code, out, _ = _run(sim_lake_master, tmp_path, "--dataset", "trades")
    assert code == 1 and "--dataset must be one of" in out


@pytest.mark.parametrize("dataset", sorted(DIRS))
def test_corrupt_file_in_any_dataset_is_an_error_entry_never_a_crash(
    sim_lake: Path, tmp_path: Path, dataset: str
) -> None:
    """Issue 11 (5): a truncated part (its manifest made to agree) is read, fails, and is named."""
    pdir = sim_lake / "lake_v2" / DIRS[dataset]
    (part,) = pdir.glob("*.parquet")
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 3])
    mpath = pdir / MANIFEST_NAME
    m = json.loads(mpath.read_bytes())
    m["files"][0] |= {"sha256": hashlib.sha256(part.read_bytes()).hexdigest(), "bytes": part.stat().st_size}
    mpath.write_bytes(encode_json(m))  # checksums agree: only reading the bytes finds the damage
    res = CliRunner().invoke(_app(), ["--data-dir", str(sim_lake), "--run-id", "t", "--json"])
    assert res.exit_code == 1, res.output
    printed = json.loads(res.stdout)  # --json still prints the report
    assert str(part) in printed["bad_files"]
    report = sim_lake / "runs" / "audit" / "t.json"  # under the data dir, not the current directory
    assert json.loads(report.read_text())["bad_files"] == printed["bad_files"]
    assert f"report: {report}" in res.stderr


def test_warnings_show_in_the_human_summary(sim_lake: Path, tmp_path: Path) -> None:
    pdir = sim_lake / "lake_v2" / DIRS["ticks"]
    leftover = pdir / ".part-x.parquet.abc.tmp"
    leftover.write_bytes(b"half")
    res = CliRunner().invoke(_app(), ["--data-dir", str(sim_lake), "--runs-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert f"warning: {leftover}: stray_file: crash leftover" in res.stderr
    assert "1 warnings" in res.stderr.splitlines()[-1]
