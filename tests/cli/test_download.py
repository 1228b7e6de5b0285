"""``ghtrader download`` end to end through the CLI (sim and csv sources)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ghtrader.cli.main import app
from ghtrader.market.calendar import CST_OFFSET_NS, NS_PER_S
from ghtrader.testing import real_tick_csv

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "_lock"  # writer-lock holder record, not data
    }


@pytest.fixture(scope="module")
def sim_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    d = tmp_path_factory.mktemp("lake")
    code, out = _run(
        "download",
        "--source",
        "sim",
        "--var",
        "cu",
        "--start",
        "2025-03-03",
        "--end",
        "2025-03-14",
        "--data-dir",
        str(d),
        "--json",
    )
    assert code == 0, out
    return d, json.loads(out)


def test_partition_per_trading_day_per_contract(sim_lake: tuple[Path, dict]) -> None:
    d, summary = sim_lake
    assert summary["rows_quarantined"] == 0
    assert len(summary["symbols"]) == 12
    ticks = d / "lake_v2" / "ticks"
    days = {
        f"date={x}"
        for x in [
            "2025-03-03",
            "2025-03-04",
            "2025-03-05",
            "2025-03-06",
            "2025-03-07",
            "2025-03-10",
            "2025-03-11",
            "2025-03-12",
            "2025-03-13",
            "2025-03-14",
        ]
    }
    for sym in summary["symbols"]:
        parts = {p.name for p in (ticks / f"symbol={sym}").iterdir() if p.is_dir()}
        assert parts == days, sym
        for p in (ticks / f"symbol={sym}").iterdir():
            if p.is_dir():
                assert (p / "_manifest.json").exists()
                files = list(p.glob("part-*.parquet"))
                assert len(files) == 1 and not list(p.glob("*.sha256"))  # checksums in the manifest
    assert summary["partitions_written"] == 120


def test_friday_night_ticks_carry_monday(sim_lake: tuple[Path, dict]) -> None:
    d, _ = sim_lake
    part = d / "lake_v2" / "ticks" / "symbol=SHFE.cu2505" / "date=2025-03-10"
    table = pq.read_table(next(part.glob("part-*.parquet")))
    ns = table["datetime_ns"].to_numpy()
    local = (ns + CST_OFFSET_NS) // (86400 * NS_PER_S)
    friday = (dt.date(2025, 3, 7) - dt.date(1970, 1, 1)).days
    assert (local == friday).sum() > 10_000  # Friday 21:00-24:00
    assert (local == friday + 1).sum() > 3_000  # Saturday 00:00-01:00
    assert set(table["trading_day"].to_pylist()) == {dt.date(2025, 3, 10)}


def test_rerun_leaves_every_file_byte_identical(sim_lake: tuple[Path, dict]) -> None:
    d, _ = sim_lake
    before = _snapshot(d)
    code, out = _run(
        "download",
        "--source",
        "sim",
        "--var",
        "cu",
        "--start",
        "2025-03-03",
        "--end",
        "2025-03-14",
        "--data-dir",
        str(d),
        "--json",
    )
    assert code == 0, out
    assert json.loads(out)["days_skipped"] == 10
    assert _snapshot(d) == before
    # regenerating from scratch (--overwrite) reproduces the same bytes, so nothing is rewritten
    code, out = _run(
        "download",
        "--source",
        "sim",
        "--var",
        "cu",
        "--start",
        "2025-03-06",
        "--end",
        "2025-03-07",
        "--data-dir",
        str(d),
        "--json",
        "--overwrite",
    )
    assert code == 0, out
    assert json.loads(out)["partitions_written"] == 0
    assert _snapshot(d) == before


def test_single_symbol_download(tmp_path: Path) -> None:
    code, out = _run(
        "download",
        "--source",
        "sim",
        "--symbol",
        "SHFE.cu2505",
        "--start",
        "2025-03-07",
        "--end",
        "2025-03-07",
        "--data-dir",
        str(tmp_path),
        "--json",
    )
    assert code == 0, out
    assert json.loads(out)["symbols"] == ["SHFE.cu2505"]
    assert [p.name for p in (tmp_path / "lake_v2" / "ticks").iterdir()] == ["symbol=SHFE.cu2505"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "nope"], "--source must be one of"),
        (["--source", "csv"], "--source csv needs --path"),
        (
            ["--source", "sim", "--var", "cu", "--start", "2025-03-14", "--end", "2025-03-03"],
            "is before --start",
        ),
        (
            ["--source", "sim", "--var", "zz", "--start", "2025-03-03", "--end", "2025-03-04"],
            "--var must be one of",
        ),
        (
            ["--source", "sim", "--var", "cu", "--start", "2025-3-3x", "--end", "2025-03-04"],
            "--start must be a date",
        ),
        (["--source", "csv", "--path", "/nonexistent.csv"], "nonexistent.csv"),
    ],
)
def test_errors_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    code, out = _run("download", *args, "--data-dir", str(tmp_path))
    assert code == 1
    lines = [x for x in out.strip().splitlines() if x.strip()]
    assert len(lines) <= 2 and message in " ".join(lines), out  # rich may wrap one long line
    assert "Traceback" not in out


@pytest.mark.realdata
def test_csv_import_matches_the_file(real_data: Path, tmp_path: Path) -> None:
    path = real_tick_csv(real_data)
    code, out = _run(
        "download", "--source", "csv", "--path", str(path), "--data-dir", str(tmp_path), "--json"
    )
    assert code == 0, out
    summary = json.loads(out)
    assert summary["rows_written"] == 200 and summary["rows_quarantined"] == 0
    part = tmp_path / "lake_v2" / "ticks" / "symbol=SHFE.cu1909" / "date=2019-09-12"
    table = pq.read_table(next(part.glob("part-*.parquet"))).to_pandas()
    with path.open() as fh:
        raw = list(csv.DictReader(fh))
    assert table["datetime_ns"].tolist() == [int(r["datetime_nano"]) for r in raw]
    for col in ("last_price", "bid_price1", "ask_price1", "amount"):
        np.testing.assert_array_equal(table[col].to_numpy(), [float(r[col]) for r in raw])
    for col in ("volume", "open_interest", "bid_volume1", "ask_volume5"):
        got = [None if v != v else int(v) for v in table[col]]
        assert got == [int(float(r[col])) if r[col] else None for r in raw], col
