"""TqSdk frame shapes -> the one tick schema, checked against the CSV parser on the real ticks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt

from ghtrader.schema import TICK_COLUMNS
from ghtrader.sources.csv import read_tick_csv
from ghtrader.sources.tqsdk.frames import tq_frame_to_ticks
from ghtrader.testing import real_tick_csv

SYMBOL = "SHFE.cu1909"


def _csv_ticks(real_data: Path, calendar) -> pd.DataFrame:  # noqa: ANN001
    ticks, bad = read_tick_csv(real_tick_csv(real_data), calendar=calendar)
    assert bad.empty
    return ticks


def test_tick_data_series_frame_matches_csv_parse(real_data: Path, real_tq_frame, calendar) -> None:  # noqa: ANN001
    got = tq_frame_to_ticks(real_tq_frame, SYMBOL, calendar)
    assert list(got.columns) == TICK_COLUMNS
    pdt.assert_frame_equal(got, _csv_ticks(real_data, calendar))


def test_datadownloader_prefixed_frame(real_data: Path, calendar) -> None:  # noqa: ANN001
    raw = pd.read_csv(real_tick_csv(real_data), dtype={"datetime_nano": "int64"})
    fields = [c for c in raw.columns if c not in ("symbol", "id", "datetime", "datetime_nano")]
    prefixed = pd.DataFrame(
        {"datetime": raw["datetime"], "datetime_nano": raw["datetime_nano"]}
        | {f"{SYMBOL}.{c}": raw[c] for c in fields}
    )
    got = tq_frame_to_ticks(prefixed, SYMBOL, calendar)
    pdt.assert_frame_equal(got, _csv_ticks(real_data, calendar))


def test_cst_datetime_strings_without_nanos(real_data: Path, calendar) -> None:  # noqa: ANN001
    raw = pd.read_csv(real_tick_csv(real_data)).drop(columns=["datetime_nano", "symbol", "id"])
    got = tq_frame_to_ticks(raw, SYMBOL, calendar)
    want = _csv_ticks(real_data, calendar)
    assert np.array_equal(got["datetime_ns"].to_numpy(), want["datetime_ns"].to_numpy())


def test_serial_placeholders_and_other_days_are_dropped(real_tq_frame, calendar, tq) -> None:  # noqa: ANN001
    blank = real_tq_frame.iloc[:3].copy()
    blank["datetime"] = 0  # unfilled rows of a fresh tick serial
    frame = pd.concat([blank, real_tq_frame], ignore_index=True)
    assert len(tq_frame_to_ticks(frame, SYMBOL, calendar)) == len(real_tq_frame)
    prev = calendar.prev_trading_day(tq.REAL_DAY)
    mixed = pd.concat([tq.shift_days(real_tq_frame.iloc[:10], tq.REAL_DAY, prev), real_tq_frame])
    got = tq_frame_to_ticks(mixed, SYMBOL, calendar, tq.REAL_DAY)
    assert len(got) == len(real_tq_frame) and set(got["trading_day"]) == {tq.REAL_DAY}


def test_level1_only_symbol_keeps_deep_levels_null(real_tq_frame, calendar) -> None:  # noqa: ANN001
    l1 = real_tq_frame.drop(columns=[c for c in real_tq_frame.columns if c[-1] in "2345"])
    got = tq_frame_to_ticks(l1, SYMBOL, calendar)
    assert got["bid_price2"].isna().all() and got["ask_volume5"].isna().all()
    assert got["bid_price1"].notna().all()


def test_empty_frame(calendar) -> None:  # noqa: ANN001
    got = tq_frame_to_ticks(pd.DataFrame(), SYMBOL, calendar)
    assert got.empty and list(got.columns) == TICK_COLUMNS
