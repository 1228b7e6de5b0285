from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.schema import MAIN_L5_COLUMNS, TICK_COLUMNS, to_arrow
from ghtrader.sources.base import DayBatch
from ghtrader.sources.sim import LATENT_SIDECAR, SimSource
from ghtrader.store import ParquetLake
from ghtrader.store.ingest import IngestSummary, ingest_frame, ingest_source_days

Ticks = Callable[..., pd.DataFrame]
D1, D2, D3 = dt.date(2019, 11, 4), dt.date(2019, 11, 5), dt.date(2019, 11, 6)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() and p.name != "_lock"  # writer-lock holder record, not data
    }


@pytest.fixture
def lake(tmp_path: Path) -> ParquetLake:
    return ParquetLake(tmp_path / "lake_v2")


def corrupt(df: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """Inject four bad rows (crossed book, negative price, wrong trading day, out of session)."""
    df = df.copy()
    df.loc[10, "ask_price1"] = df.loc[10, "bid_price1"] - 10
    df.loc[20, "last_price"] = -1.0
    df.loc[30, "trading_day"] = df.loc[30, "trading_day"] + dt.timedelta(days=1)
    df.loc[40, "datetime_ns"] += 4 * 3600 * 10**9
    return df, [10, 20, 30, 40]


def test_ingest_frame_partitions_and_quarantines(
    lake: ParquetLake, tmp_path: Path, ticks: Ticks, calendar: TradingCalendar, book: ContractBook
) -> None:
    a1, bad = corrupt(ticks("SHFE.cu2001", D1, 300, seed=1))
    parts = [a1, ticks("SHFE.cu2001", D2, 200, seed=2), ticks("SHFE.cu2002", D1, 150, seed=3)]
    df = pd.concat(
        [parts[2], parts[0], parts[1]], ignore_index=True
    )  # per-symbol time order, as sources give
    qdir = tmp_path / "quarantine"
    s = ingest_frame(lake, df, calendar=calendar, book=book, source="test", quarantine_dir=qdir)
    assert (s.rows_in, s.rows_quarantined, s.rows_written) == (650, 4, 646)
    assert (s.partitions_written, s.partitions_unchanged) == (3, 0)
    assert s.symbols == ("SHFE.cu2001", "SHFE.cu2002") and s.days == (D1, D2)
    assert sum(s.quarantine_reasons.values()) == 4 and len(s.quarantine_reasons) == 4
    good = a1.drop(index=bad).reset_index(drop=True)
    assert lake.read_day("ticks", "SHFE.cu2001", D1).equals(to_arrow(good))
    assert lake.read_day("ticks", "SHFE.cu2002", D1).equals(to_arrow(parts[2]))
    # quarantine: all original columns as strings + reason, beside a json summary, never in the lake
    qfiles = sorted((qdir / "ticks" / "symbol=SHFE.cu2001").rglob("rejected-*.parquet"))
    assert [f.parent.name for f in qfiles] == ["date=2019-11-04", "date=2019-11-05"]  # by the row's own day
    q = pa.concat_tables([pq.read_table(f) for f in qfiles])
    assert q.column_names == [*TICK_COLUMNS, "reason"] and all(pa.types.is_string(t) for t in q.schema.types)
    assert sorted(q["datetime_ns"].to_pylist()) == sorted(str(v) for v in a1.loc[bad, "datetime_ns"])
    assert sorted(q["last_price"].to_pylist()) == sorted(str(v) for v in a1.loc[bad, "last_price"])
    summaries = [json.loads(f.with_name(f"_{f.stem}.json").read_text()) for f in qfiles]
    assert [x["rows"] for x in summaries] == [3, 1] and {x["source"] for x in summaries} == {"test"}
    merged = sum((Counter(x["reasons"]) for x in summaries), Counter())
    assert merged == Counter(s.quarantine_reasons) == Counter(q["reason"].to_pylist())
    assert not list(lake.root.rglob("rejected-*"))


def test_ingest_frame_twice_changes_nothing(
    lake: ParquetLake, tmp_path: Path, ticks: Ticks, calendar: TradingCalendar, book: ContractBook
) -> None:
    df, _ = corrupt(ticks("SHFE.cu2001", D2, 400, seed=5))
    df = pd.concat([df, ticks("SHFE.cu2002", D3, 100)], ignore_index=True)
    kw = dict(calendar=calendar, book=book, source="test", quarantine_dir=tmp_path / "q")
    ingest_frame(lake, df, **kw)  # type: ignore[arg-type]
    before = snapshot(tmp_path)
    for mode in ("skip_existing", "replace"):
        again = ingest_frame(lake, df.copy(), mode=mode, **kw)  # type: ignore[arg-type]
        assert (again.partitions_written, again.partitions_unchanged, again.rows_written) == (0, 2, 0)
    assert snapshot(tmp_path) == before


def test_quarantine_must_live_outside_the_lake(
    lake: ParquetLake, ticks: Ticks, calendar: TradingCalendar, book: ContractBook
) -> None:
    with pytest.raises(ValueError, match="inside the lake"):
        ingest_frame(
            lake,
            ticks("SHFE.cu2001", D1),
            calendar=calendar,
            book=book,
            source="t",
            quarantine_dir=lake.root / "q",
        )


def test_main_l5_keeps_provenance_aligned_after_rejections(
    lake: ParquetLake, tmp_path: Path, ticks: Ticks, calendar: TradingCalendar, book: ContractBook
) -> None:
    df, bad = corrupt(ticks("SHFE.cu2001", D1, 120))
    df["symbol"] = "KQ.m@SHFE.cu"
    df["underlying_contract"] = "SHFE.cu2001"
    df["segment_id"] = np.arange(len(df)) // 7  # row-specific, so misalignment would show
    df["schedule_hash"] = [f"h{i}" for i in range(len(df))]
    s = ingest_frame(
        lake, df, calendar=calendar, book=book, source="t", dataset="main_l5", quarantine_dir=tmp_path / "q"
    )
    assert (s.rows_written, s.rows_quarantined) == (116, 4)
    got = lake.read_day("main_l5", "KQ.m@SHFE.cu", D1).to_pandas()
    want = df.drop(index=bad).reset_index(drop=True)
    assert list(got.columns) == MAIN_L5_COLUMNS
    assert got["schedule_hash"].tolist() == want["schedule_hash"].tolist()
    assert got["segment_id"].tolist() == want["segment_id"].tolist()
    assert (tmp_path / "q" / "main_l5" / "symbol=KQ.m@SHFE.cu").is_dir()


def test_real_cu1909_csv_round_trips_exactly(
    lake: ParquetLake, tmp_path: Path, real_data: Path, calendar: TradingCalendar, book: ContractBook
) -> None:
    from ghtrader.sources.csv import read_tick_csv

    path = real_data / "ticks" / "SHFE.cu1909_ticks_20190912.csv"
    frame, unparsed = read_tick_csv(path, calendar=calendar)
    assert unparsed.empty
    s = ingest_frame(lake, frame, calendar=calendar, book=book, source="csv", quarantine_dir=tmp_path / "q")
    assert (s.rows_in, s.rows_written, s.rows_quarantined) == (200, 200, 0)
    got = lake.read_day("ticks", "SHFE.cu1909", dt.date(2019, 9, 12)).to_pandas()
    raw = pd.read_csv(path)  # independent parse of the same file
    assert got["datetime_ns"].tolist() == raw["datetime_nano"].tolist()
    for col in ["last_price", "average", "highest", "lowest", "amount"]:
        assert got[col].tolist() == raw[col].tolist(), col
    for i in range(1, 6):
        for side in ("bid", "ask"):
            assert got[f"{side}_price{i}"].tolist() == raw[f"{side}_price{i}"].tolist()
            assert got[f"{side}_volume{i}"].tolist() == raw[f"{side}_volume{i}"].tolist()
    for col in ["volume", "open_interest"]:
        assert got[col].tolist() == raw[col].tolist()


class CountingSource:
    """The real sim behind the DaySource protocol, counting fetches (to prove resume skips days)."""

    def __init__(self, inner: SimSource) -> None:
        self.inner, self.name, self.fetched = inner, inner.name, []  # type: list[dt.date]

    def list_symbols(self, var: str, trading_day: dt.date) -> list[str]:
        return self.inner.list_symbols(var, trading_day)

    def fetch_day(self, symbols: Sequence[str], trading_day: dt.date) -> DayBatch:
        self.fetched.append(trading_day)
        return self.inner.fetch_day(symbols, trading_day)


def test_ingest_source_days_resumes_and_marks_no_data(
    lake: ParquetLake, tmp_path: Path, calendar: TradingCalendar, book: ContractBook
) -> None:
    days = [dt.date(2024, 3, 4), dt.date(2024, 3, 5)]
    source = CountingSource(SimSource(calendar, book))
    plan = {d: ["SHFE.cu2405", "SHFE.cu2406", "SHFE.cu1909"] for d in days}  # cu1909 expired long ago
    seen: list[dt.date] = []
    kw = dict(calendar=calendar, book=book, quarantine_dir=tmp_path / "q")
    first = ingest_source_days(lake, source, plan, progress=lambda d, _: seen.append(d), **kw)  # type: ignore[arg-type]
    assert seen == days and source.fetched == days
    assert (first.partitions_written, first.no_data_days, first.days_fetched) == (4, 2, 2)
    assert first.rows_written > 1000 and first.sidecars_written == 4
    assert lake.no_data_days("ticks", "SHFE.cu1909") == days
    assert lake.days("ticks", "SHFE.cu2405") == days
    side = lake.read_sidecar(LATENT_SIDECAR, "SHFE.cu2405", days[0])
    assert side is not None and side.num_rows > 0
    before = snapshot(tmp_path)
    again = ingest_source_days(lake, source, plan, **kw)  # type: ignore[arg-type]
    assert (again.days_skipped, again.days_fetched, source.fetched) == (2, 0, days)
    assert snapshot(tmp_path) == before
    # a crash lost one partition's manifest: only that day is refetched and only that partition rewritten
    (lake.partition_dir("ticks", "SHFE.cu2406", days[1]) / "_manifest.json").unlink()
    resumed = ingest_source_days(lake, source, plan, **kw)  # type: ignore[arg-type]
    assert source.fetched == [*days, days[1]]
    assert (resumed.partitions_written, resumed.partitions_unchanged, resumed.no_data_days) == (1, 1, 0)
    assert lake.days("ticks", "SHFE.cu2406") == days


def test_summary_adds_and_serializes() -> None:
    a = IngestSummary(rows_in=3, symbols=("B",), days=(D2,), quarantine_reasons={"x": 1})
    b = IngestSummary(
        rows_in=2, days_skipped=1, symbols=("A", "B"), days=(D1,), quarantine_reasons={"x": 2, "y": 1}
    )
    d = json.loads((a + b).to_json())
    assert d["rows_in"] == 5 and d["days_skipped"] == 1 and d["symbols"] == ["A", "B"]
    assert d["days"] == ["2019-11-04", "2019-11-05"] and d["quarantine_reasons"] == {"x": 3, "y": 1}
