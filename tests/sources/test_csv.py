"""The csv source against the real cu1909 tick file and the hand-made bad-input corpus."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.quality import validate_ticks
from ghtrader.schema import DEPTH_VOLUME_COLUMNS, PRICE_COLUMNS, TICK_COLUMNS, to_arrow
from ghtrader.sources.csv import CsvSource, read_tick_csv
from ghtrader.testing import real_tick_csv

CORPUS = Path(__file__).parents[1] / "quality" / "corpus"
NUMERIC = [*PRICE_COLUMNS, *DEPTH_VOLUME_COLUMNS, "volume", "amount", "open_interest"]


def _raw_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def real_csv(real_data: Path) -> Path:
    return real_tick_csv(real_data)


def test_real_file_matches_raw_cells(real_csv: Path, calendar: TradingCalendar) -> None:
    ticks, rejected = read_tick_csv(real_csv, calendar=calendar)
    raw = _raw_rows(real_csv)
    assert rejected.empty and len(ticks) == len(raw) == 200
    assert list(ticks.columns) == TICK_COLUMNS
    for col in NUMERIC:
        expected = [float(r[col]) if r[col] else np.nan for r in raw]
        np.testing.assert_array_equal(ticks[col].to_numpy(dtype=float), expected, err_msg=col)
    assert ticks["datetime_ns"].tolist() == [int(r["datetime_nano"]) for r in raw]
    assert set(ticks["symbol"]) == {r["symbol"] for r in raw} == {"SHFE.cu1909"}
    assert set(ticks["trading_day"]) == {dt.date(2019, 9, 12)}
    assert ticks["volume"].dtype == np.int64 and ticks["open_interest"].dtype == np.int64


def test_real_file_all_clean_through_gate(
    real_csv: Path, calendar: TradingCalendar, book: ContractBook
) -> None:
    ticks, _ = read_tick_csv(real_csv, calendar=calendar)
    clean, rejected = validate_ticks(ticks, calendar=calendar, book=book)
    assert rejected.empty and len(clean) == 200
    pd.testing.assert_frame_equal(clean, ticks)


def test_blank_depth_cells_become_null(
    real_csv: Path, tmp_path: Path, calendar: TradingCalendar, book: ContractBook
) -> None:
    raw = _raw_rows(real_csv)
    assert not any(r[c] == "" for r in raw for c in DEPTH_VOLUME_COLUMNS)  # real file: full book
    blanked = {
        (3, "ask_price5"),
        (3, "ask_volume5"),
        (10, "bid_price4"),
        (10, "bid_volume4"),
        (11, "bid_volume5"),
    }
    for i, col in blanked:
        raw[i][col] = ""
    path = tmp_path / "blanked.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(raw[0]))
        writer.writeheader()
        writer.writerows(raw)
    ticks, rejected = read_tick_csv(path, calendar=calendar)
    assert rejected.empty
    nulls = {(i, c) for c in NUMERIC for i in np.flatnonzero(ticks[c].isna())}
    assert nulls == blanked
    table = to_arrow(ticks)
    assert table.column("bid_volume4").null_count == 1 and table.column("ask_volume5").null_count == 1
    clean, _ = validate_ticks(ticks, calendar=calendar, book=book)
    assert len(clean) == 200


def test_downloader_layout_and_datetime_only(
    real_csv: Path, tmp_path: Path, calendar: TradingCalendar
) -> None:
    """TqSdk DataDownloader columns (``SHFE.cu1909.last_price``, no symbol) and a file without nanos."""
    ticks, _ = read_tick_csv(real_csv, calendar=calendar)
    frame = pd.read_csv(real_csv, dtype=str, keep_default_na=False)
    fields = [c for c in frame.columns if c not in ("symbol", "id", "datetime", "datetime_nano")]
    prefixed = frame[["datetime", "datetime_nano", *fields]].rename(
        columns={f: f"SHFE.cu1909.{f}" for f in fields}
    )
    prefixed.to_csv(tmp_path / "dl.csv", index=False)
    got, rejected = read_tick_csv(tmp_path / "dl.csv", calendar=calendar)
    assert rejected.empty
    pd.testing.assert_frame_equal(got, ticks)
    frame.drop(columns=["datetime_nano"]).to_csv(tmp_path / "no_nano.csv", index=False)
    got, _ = read_tick_csv(tmp_path / "no_nano.csv", calendar=calendar)
    pd.testing.assert_frame_equal(got, ticks)  # datetime read as CST gives the same epoch-ns


def test_corpus_downloader_layout_null_tokens(calendar: TradingCalendar) -> None:
    ticks, rejected = read_tick_csv(CORPUS / "downloader_layout.csv", calendar=calendar)
    assert rejected.empty and set(ticks["symbol"]) == {"SHFE.cu2505"}
    assert np.isnan(ticks.loc[1, ["bid_price5", "bid_volume5"]].to_numpy(dtype=float)).all()  # "#N/A"
    assert np.isnan(ticks.loc[2, ["ask_price4", "ask_volume4"]].to_numpy(dtype=float)).all()  # "nan"
    assert int(ticks["datetime_ns"].iloc[1]) == 1741744800503000000


def test_truncated_row_is_rejected_with_original_cells(calendar: TradingCalendar) -> None:
    path = CORPUS / "truncated_mid_row.csv"
    ticks, rejected = read_tick_csv(path, calendar=calendar)
    assert len(ticks) == 5 and len(rejected) == 1
    assert rejected["reason"].tolist() == ["truncated row: 12 of 31 fields"]
    last_line = path.read_text().splitlines()[-1].split(",")
    assert rejected.iloc[0, :12].tolist() == last_line


def test_unparsable_cells_are_rejected(calendar: TradingCalendar) -> None:
    ticks, rejected = read_tick_csv(CORPUS / "non_numeric.csv", calendar=calendar)
    assert len(ticks) == 3
    assert rejected["reason"].tolist() == [
        "unparsable value in column bid_price1: 'abc'",
        "unparsable value in column volume: '12x'",
    ]
    assert rejected["id"].tolist() == ["5001", "5003"]


def test_symbol_argument(tmp_path: Path, calendar: TradingCalendar) -> None:
    clean = CORPUS / "clean.csv"
    with pytest.raises(ValueError, match=r"^symbol mismatch: file has SHFE\.cu2505, --symbol SHFE\.cu2506$"):
        read_tick_csv(clean, calendar=calendar, symbol="SHFE.cu2506")
    same, _ = read_tick_csv(clean, calendar=calendar, symbol="SHFE.cu2505")
    pd.testing.assert_frame_equal(same, read_tick_csv(clean, calendar=calendar)[0])
    pd.read_csv(clean, dtype=str).drop(columns=["symbol"]).to_csv(tmp_path / "nosym.csv", index=False)
    with pytest.raises(ValueError, match="names no symbol"):
        read_tick_csv(tmp_path / "nosym.csv", calendar=calendar)
    filled, _ = read_tick_csv(tmp_path / "nosym.csv", calendar=calendar, symbol="SHFE.cu2505")
    pd.testing.assert_frame_equal(filled, same)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("does_not_exist.csv", "no such file"),
        ("empty.csv", "empty file"),
        ("header_only.csv", "no data rows"),
        ("missing_columns.csv", "missing required columns: bid_price1, open_interest"),
        ("truncated_in_quote.csv", "malformed CSV (truncated or garbled): Error tokenizing data"),
        ("garbled_extra_fields.csv", "Expected 31 fields in line 7, saw 34"),
    ],
)
def test_file_level_errors(name: str, message: str, calendar: TradingCalendar) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        read_tick_csv(CORPUS / name, calendar=calendar)
    assert "\n" not in str(info.value)


def test_several_prefixed_symbols_rejected(tmp_path: Path, calendar: TradingCalendar) -> None:
    frame = pd.read_csv(CORPUS / "downloader_layout.csv", dtype=str)
    frame["SHFE.cu2506.last_price"] = frame["SHFE.cu2505.last_price"]
    frame.to_csv(tmp_path / "two.csv", index=False)
    with pytest.raises(ValueError, match=r"several symbols \(SHFE\.cu2505, SHFE\.cu2506\)"):
        read_tick_csv(tmp_path / "two.csv", calendar=calendar)


def test_csv_source(calendar: TradingCalendar) -> None:
    source = CsvSource(calendar)
    assert source.name == "csv"
    got = source.fetch_file(CORPUS / "clean.csv")
    want = read_tick_csv(CORPUS / "clean.csv", calendar=calendar)
    pd.testing.assert_frame_equal(got[0], want[0])
    assert len(got[0]) == 5 and got[1].empty
