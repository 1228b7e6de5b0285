"""The bad-input corpus end to end: every case ends in exit 1 with a message or an exact quarantine,
and no bad row is ever readable from the lake afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ghtrader.cli.main import app
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.quality.audit import AuditConfig, audit_lake
from ghtrader.quality.gx import DataQualityError
from ghtrader.quality.readiness import ticks_ready
from ghtrader.quality.rules import validate_ticks
from ghtrader.schema import to_pandas
from ghtrader.store.lake import ParquetLake
from ghtrader.store.manifest import MANIFEST_NAME, encode_json

CORPUS = Path(__file__).parent / "corpus"
Q = "quarantine_reasons"
# file -> (rows written, rows quarantined, reasons) for ingests that succeed
QUARANTINED: dict[str, tuple[int, int, dict[str, int]]] = {
    "clean.csv": (5, 0, {}),
    "downloader_layout.csv": (5, 0, {}),
    "absurd.csv": (
        3,
        3,
        {
            "absurd_magnitude: datetime_ns": 1,
            "absurd_magnitude: last_price": 1,
            "absurd_magnitude: volume": 1,
        },
    ),
    "bad_symbols.csv": (3, 2, {"bad_symbol": 1, "unknown_symbol": 1}),
    "bad_tick_grid.csv": (4, 1, {"bad_tick_grid: last_price": 1}),
    "crossed_book.csv": (3, 2, {"crossed_book: ask1 < bid1": 1, "locked_book: ask1 == bid1": 1}),
    "decreasing_volume.csv": (4, 1, {"decreasing_cumulative_volume": 1}),
    "duplicate_timestamps.csv": (
        4,
        3,
        {"duplicate_row": 1, "duplicate_timestamp": 2},  # the out-of-order row is sorted in: a duplicate
    ),
    "friday_night.csv": (3, 1, {"out_of_session": 1}),
    "nan_price.csv": (3, 2, {"nan_price: last_price": 2}),
    "negative_volume.csv": (3, 2, {"negative_volume: bid_volume1": 1, "negative_volume: volume": 1}),
    "non_numeric.csv": (3, 2, {"unparsable": 2}),
    "out_of_session.csv": (2, 3, {"out_of_session": 3}),
    "shifted_8h.csv": (0, 5, {"out_of_session": 5}),
    "truncated_mid_row.csv": (5, 1, {"unparsable": 1}),
}
# ingests that store what passed but exit 1 with one line (issue 11: no silent half-days)
FAILS = {
    "out_of_session.csv": "partial day: SHFE.cu2505 2025-03-12: 2/5 rows kept",
    "shifted_8h.csv": "nothing written",
}
# (file, extra args) -> the one-line error
REJECTED: dict[str, tuple[str, tuple[str, ...], str]] = {
    "empty": ("empty.csv", (), "empty file"),
    "header_only": ("header_only.csv", (), "no data rows"),
    "missing_columns": ("missing_columns.csv", (), "missing required columns: bid_price1, open_interest"),
    "truncated_in_quote": ("truncated_in_quote.csv", (), "EOF inside string starting at row 6"),
    "garbled_extra_fields": ("garbled_extra_fields.csv", (), "Expected 31 fields in line 7, saw 34"),
    "symbol_mismatch": ("clean.csv", ("--symbol", "SHFE.cu2506"), "symbol mismatch: file has SHFE.cu2505"),
}


def _download(path: Path, data: Path, *extra: str) -> tuple[int, str]:
    res = CliRunner().invoke(
        app, ["download", "--source", "csv", "--path", str(path), "--data-dir", str(data), "--json", *extra]
    )
    return res.exit_code, res.stdout + res.stderr


def _readable_rejects(data: Path, calendar: TradingCalendar, book: ContractBook) -> tuple[int, int]:
    """(rows readable from the lake, rows of them the ingest gate would reject)."""
    lake = ParquetLake(data / "lake_v2")
    rows = rejects = 0
    for sym in lake.symbols("ticks"):
        for day in lake.days("ticks", sym):
            df = to_pandas(lake.read_day("ticks", sym, day))
            _, rejected = validate_ticks(df, calendar=calendar, book=book)
            rows, rejects = rows + len(df), rejects + len(rejected)
    return rows, rejects


def test_corpus_is_complete() -> None:
    covered = set(QUARANTINED) | {f for f, _, _ in REJECTED.values()}
    assert covered == {p.name for p in CORPUS.glob("*.csv")}
    assert len(QUARANTINED) + len(REJECTED) + len(LAKE_CASES) >= 15


@pytest.mark.parametrize("name", sorted(QUARANTINED))
def test_quarantine_outcome(name: str, tmp_path: Path, calendar: TradingCalendar, book: ContractBook) -> None:
    written, quarantined, reasons = QUARANTINED[name]
    code, out = _download(CORPUS / name, tmp_path)
    assert code == (1 if name in FAILS else 0), out
    if name in FAILS:  # still summarized and quarantined, but the command says what went wrong
        assert FAILS[name] in out.splitlines()[-1]
    summary = json.loads(out[: out.rindex("}") + 1])
    assert (summary["rows_written"], summary["rows_quarantined"], summary[Q]) == (
        written,
        quarantined,
        reasons,
    )
    kept = [json.loads(p.read_text())["rows"] for p in (tmp_path / "quarantine").rglob("_rejected-*.json")]
    assert sum(kept) == quarantined  # every rejected row is kept aside with its reason
    assert _readable_rejects(tmp_path, calendar, book) == (written, 0)


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_rejected_outcome(case: str, tmp_path: Path, calendar: TradingCalendar, book: ContractBook) -> None:
    name, extra, message = REJECTED[case]
    code, out = _download(CORPUS / name, tmp_path, *extra)
    assert code == 1
    assert message in out and out.strip().count("\n") == 0
    assert _readable_rejects(tmp_path, calendar, book) == (0, 0)


def _corrupt_parquet(pdir: Path) -> Path:
    data = next(pdir.glob("*.parquet"))
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    return data


def _checksum_mismatch(pdir: Path) -> Path:
    mpath = pdir / MANIFEST_NAME
    m = json.loads(mpath.read_bytes())
    m["files"][0]["sha256"] = "0" * 64  # canonical manifest whose checksum no longer matches the file
    mpath.write_bytes(encode_json(m))
    return pdir / m["files"][0]["name"]


def _manifest_rows(pdir: Path) -> Path:
    mpath = pdir / MANIFEST_NAME
    m = json.loads(mpath.read_bytes())
    m["rows"], m["files"][0]["rows"] = m["rows"] - 1, m["files"][0]["rows"] - 1
    mpath.write_bytes(encode_json(m))
    return mpath


LAKE_CASES = {
    "corrupt_parquet": (_corrupt_parquet, "checksum", "integrity"),
    "checksum_mismatch": (_checksum_mismatch, "checksum", "integrity"),
    "manifest_rows_mismatch": (_manifest_rows, "manifest_rows", "integrity"),
}


@pytest.mark.parametrize("case", sorted(LAKE_CASES))
def test_lake_level_case(case: str, tmp_path: Path, calendar: TradingCalendar, book: ContractBook) -> None:
    corrupt, check, gate_rule = LAKE_CASES[case]
    assert _download(CORPUS / "clean.csv", tmp_path)[0] == 0
    lake = ParquetLake(tmp_path / "lake_v2")
    (sym,) = lake.symbols("ticks")
    (day,) = lake.days("ticks", sym)
    bad = corrupt(lake.partition_dir("ticks", sym, day))
    report = audit_lake(lake.root, AuditConfig(datasets=("ticks",)), calendar=calendar, book=book)
    assert not report["ok"] and report["bad_files"] == [str(bad)]
    assert {e["check"] for e in report["errors"]} == {check}
    with pytest.raises(DataQualityError) as info:  # the DAG gate refuses the partition too
        ticks_ready(lake.root, [sym], [day], tmp_path / "runs", calendar=calendar, book=book)
    assert [f["rule"] for f in info.value.summary["failures"]] == [gate_rule]
    if case == "corrupt_parquet":  # not silently readable either
        with pytest.raises(Exception, match="(?i)parquet|invalid|corrupt|size"):
            lake.read_day("ticks", sym, day)
