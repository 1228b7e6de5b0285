"""Readiness gates the DAG calls after ingest, main_l5, features and labels (SPEC §4.6).

Each ``*_ready`` validates the given partitions with the dataset's GX suite plus a coverage suite
(partitions are read one by one, then stacked into batches: one GX validation per suite for a
typical range, see ``gx.runner.batched``)
over the expected trading days, writes GX Data Docs under ``runs_dir/gx/<dataset>/<run_name>/``,
saves ``summary.json`` beside them, and returns the JSON-able summary; on any failure it raises
``DataQualityError`` whose message names each failed expectation, row count and partition.

Traps: a partition is integrity-checked (manifest, sha256, row counts) before its rows are
trusted; expected days come from the calendar (contracts only while listed), for derived datasets
from the committed source days; ``run_name`` defaults to a deterministic name from the request.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import CONTINUOUS_RE, ContractBook, variety_of
from ghtrader.quality.gx.datadocs import site_dir
from ghtrader.quality.gx.frames import coverage_frame, feature_frames, label_frames, tick_frame
from ghtrader.quality.gx.loading import Frame, partitions
from ghtrader.quality.gx.runner import Batch, Problem, raise_on_failure, run_suites
from ghtrader.quality.gx.suites import (
    QualityParams,
    coverage_suite,
    feature_nan_suite,
    feature_suite,
    label_share_suite,
    label_suite,
    tick_suite,
)
from ghtrader.schema import MAIN_L5_COLUMNS, TICK_COLUMNS
from ghtrader.store.lake import ParquetLake


def _market(
    calendar: TradingCalendar | None, book: ContractBook | None
) -> tuple[TradingCalendar, ContractBook]:
    cal = calendar or TradingCalendar.bundled()
    return cal, book or ContractBook.load(cal)


def _run_name(symbols: Sequence[str], days: Sequence[dt.date]) -> str:
    head = symbols[0] if len(symbols) == 1 else f"{symbols[0]}+{len(symbols) - 1}"
    return f"{head}_{min(days).isoformat()}_{max(days).isoformat()}"


def _coverage(
    symbol: str,
    expected: Sequence[dt.date],
    committed: Sequence[dt.date],
    no_data: Sequence[dt.date],
    cal: TradingCalendar,
) -> Batch:
    lo = min(expected) if expected else None
    hi = max(expected) if expected else None
    label = f"coverage/symbol={symbol}/{lo}..{hi}"
    return Batch(label, "coverage", coverage_frame(symbol, expected, committed, no_data, cal))


def _finish(dataset: str, summary: dict[str, Any], site: Path) -> dict[str, Any]:
    site.mkdir(parents=True, exist_ok=True)
    (site / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n")
    summary["summary_path"] = str(site / "summary.json")
    return raise_on_failure(summary)


def _expected_contract_days(
    symbol: str, days: Sequence[dt.date], cal: TradingCalendar, book: ContractBook
) -> list:
    trading = cal.trading_days(min(days), max(days))
    if CONTINUOUS_RE.match(symbol):
        return trading
    var = variety_of(symbol)
    return [d for d in trading if symbol in {s.symbol for s in book.listed(var, d)}]


def _tick_frames(
    table: pa.Table, day: dt.date, _label: str, *, symbol: str, cal: TradingCalendar, book: ContractBook
) -> dict[str, pd.DataFrame]:
    return {"ticks": tick_frame(table, symbol, day, cal, book)}


def ticks_ready(
    lake_root: Path,
    symbols: Sequence[str],
    days: Sequence[dt.date],
    runs_dir: Path,
    *,
    params: QualityParams = QualityParams(),
    run_name: str | None = None,
    run_time: dt.datetime | None = None,
    calendar: TradingCalendar | None = None,
    book: ContractBook | None = None,
) -> dict[str, Any]:
    """Gate raw tick partitions of ``symbols`` x ``days`` (+ coverage of the calendar range)."""
    cal, bk = _market(calendar, book)
    lake = ParquetLake(Path(lake_root))
    symbols, days = sorted(set(symbols)), sorted(set(days))

    def batches() -> Iterator[Batch | Problem]:
        for sym in symbols:
            yield _coverage(
                sym,
                _expected_contract_days(sym, days, cal, bk),
                lake.days("ticks", sym),
                lake.no_data_days("ticks", sym),
                cal,
            )
            yield from partitions(
                "ticks",
                sym,
                days,
                partial(lake.partition_dir, "ticks", sym),
                partial(_tick_frames, symbol=sym, cal=cal, book=bk),
            )

    site = site_dir(runs_dir, "ticks", run_name or _run_name(symbols, days))
    suites = {"ticks": tick_suite(TICK_COLUMNS, params), "coverage": coverage_suite(params)}
    return _finish("ticks", run_suites("ticks", suites, batches(), site=site, run_time=run_time), site)


def main_l5_ready(
    lake_root: Path,
    symbol: str,
    days: Sequence[dt.date],
    runs_dir: Path,
    *,
    params: QualityParams = QualityParams(),
    run_name: str | None = None,
    run_time: dt.datetime | None = None,
    calendar: TradingCalendar | None = None,
    book: ContractBook | None = None,
) -> dict[str, Any]:
    """Gate main_l5 partitions: tick rules plus underlying/segment equal to the roll schedule."""
    from ghtrader.schedule.build import load_schedule
    from ghtrader.schedule.oi_rule import main_for

    cal, bk = _market(calendar, book)
    lake = ParquetLake(Path(lake_root))
    days = sorted(set(days))
    schedule = load_schedule(lake, variety_of(symbol))

    def frame(table: pa.Table, day: dt.date, _label: str) -> dict[str, pd.DataFrame]:
        try:
            planned = main_for(schedule, day)
        except ValueError:
            planned = ("<not in schedule>", -1)
        return {"main_l5": tick_frame(table, symbol, day, cal, bk, schedule=planned)}

    def batches() -> Iterator[Batch | Problem]:
        expected = cal.trading_days(min(days), max(days))
        yield _coverage(
            symbol, expected, lake.days("main_l5", symbol), lake.no_data_days("main_l5", symbol), cal
        )
        yield from partitions(
            "main_l5", symbol, days, lambda d: lake.partition_dir("main_l5", symbol, d), frame
        )

    site = site_dir(runs_dir, "main_l5", run_name or _run_name([symbol], days))
    suites = {
        "main_l5": tick_suite(MAIN_L5_COLUMNS, params, name="main_l5"),
        "coverage": coverage_suite(params),
    }
    return _finish("main_l5", run_suites("main_l5", suites, batches(), site=site, run_time=run_time), site)


def _derived_ready(
    dataset: str,
    lake_root: Path,
    symbol: str,
    days: Sequence[dt.date],
    runs_dir: Path,
    suites: dict[str, Any],
    frame: Frame,
    pdir_of: Callable[[dt.date], Path],
    run_name: str | None,
    run_time: dt.datetime | None,
    cal: TradingCalendar,
    params: QualityParams,
) -> dict[str, Any]:
    lake = ParquetLake(Path(lake_root))
    days = sorted(set(days))
    source = [d for d in lake.days("main_l5", symbol) if days[0] <= d <= days[-1]]
    committed = [d for d in source if (pdir_of(d) / "_manifest.json").is_file()]

    def batches() -> Iterator[Batch | Problem]:
        yield _coverage(symbol, source, committed, [], cal)
        yield from partitions(dataset, symbol, days, pdir_of, frame)

    site = site_dir(runs_dir, dataset, run_name or _run_name([symbol], days))
    suites = {**suites, "coverage": coverage_suite(params)}
    return _finish(dataset, run_suites(dataset, suites, batches(), site=site, run_time=run_time), site)


def features_ready(
    lake_root: Path,
    symbol: str,
    days: Sequence[dt.date],
    runs_dir: Path,
    *,
    params: QualityParams = QualityParams(),
    run_name: str | None = None,
    run_time: dt.datetime | None = None,
    calendar: TradingCalendar | None = None,
) -> dict[str, Any]:
    """Gate feature partitions: recorded schema, time, finiteness and per-factor NaN-rate bounds."""
    from ghtrader.features.build import load_record, partition_dir

    cal = calendar or TradingCalendar.bundled()
    lake = ParquetLake(Path(lake_root))
    record = load_record(lake, symbol)
    if record is None:
        raise ValueError(f"no feature build record for {symbol} under {lake_root}; build features first")
    columns = [c["name"] for c in record["columns"]]
    return _derived_ready(
        "features",
        lake_root,
        symbol,
        days,
        runs_dir,
        {"features": feature_suite(columns, params), "features_nan": feature_nan_suite(columns, params)},
        lambda t, d, label: dict(
            zip(
                ("features", "features_nan"),
                feature_frames(t, symbol, d, cal, params.warmup_rows, label),
                strict=True,
            )
        ),
        lambda d: partition_dir(lake, symbol, d),
        run_name,
        run_time,
        cal,
        params,
    )


def labels_ready(
    lake_root: Path,
    symbol: str,
    days: Sequence[dt.date],
    runs_dir: Path,
    *,
    params: QualityParams = QualityParams(),
    run_name: str | None = None,
    run_time: dt.datetime | None = None,
    calendar: TradingCalendar | None = None,
) -> dict[str, Any]:
    """Gate label partitions: schema of the recorded config, classes and class-share bounds per horizon."""
    from ghtrader.labels.build import labels_partition_dir, read_build_record
    from ghtrader.labels.core import LabelConfig, label_schema

    cal = calendar or TradingCalendar.bundled()
    record = read_build_record(Path(lake_root), symbol)
    if record is None:
        raise ValueError(f"no label build record for {symbol} under {lake_root}; build labels first")
    config = LabelConfig(horizons=tuple(record["config"]["horizons"]), k=record["config"]["k"])
    columns = label_schema(config).names
    return _derived_ready(
        "labels",
        lake_root,
        symbol,
        days,
        runs_dir,
        {
            "labels": label_suite(columns, config.horizons, params),
            "labels_shares": label_share_suite(config.horizons, params),
        },
        lambda t, d, label: dict(
            zip(
                ("labels", "labels_shares"),
                label_frames(t, symbol, d, cal, config.horizons, label),
                strict=True,
            )
        ),
        lambda d: labels_partition_dir(Path(lake_root), symbol, d),
        run_name,
        run_time,
        cal,
        params,
    )
