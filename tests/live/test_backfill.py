"""The nightly reconciliation: a day the recorder wrote partially (gaps) becomes the pure batch day."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from ghtrader.cli.main import app
from ghtrader.live.backfill import backfill_gaps
from ghtrader.live.gaps import GapLog, gaps_path
from ghtrader.live.metrics import RecorderMetrics
from ghtrader.live.recorder import Recorder, RecorderConfig
from ghtrader.sources.sim import SimSource
from ghtrader.store.ingest import ingest_batch
from ghtrader.store.lake import ParquetLake

DAY = dt.date(2025, 3, 4)


def test_backfill_turns_recorded_partial_days_into_the_batch_day(tmp_path: Path, calendar, book) -> None:  # noqa: ANN001
    from prometheus_client import CollectorRegistry

    sim = SimSource(calendar, book)
    syms = [s.symbol for s in book.listed("cu", DAY)[:2]]
    day = sim.fetch_day(syms, DAY)
    ticks = pd.concat(day.ticks.values(), ignore_index=True).sort_values("datetime_ns", kind="stable")
    data = tmp_path / "data"
    lake = ParquetLake(data / "lake_v2")
    log = GapLog(gaps_path(data))

    def recorder() -> Recorder:
        return Recorder(
            lake,
            RecorderConfig(quarantine_dir=data / "quarantine"),
            calendar=calendar,
            book=book,
            gaps=log,
            metrics=RecorderMetrics(CollectorRegistry()),
            market_now=lambda: int(ticks["datetime_ns"].iloc[-1]),
        )

    n = len(ticks)
    for a, b in ((n // 10, n // 3), (n // 2, n - n // 10)):  # late start, a crash, stopped early
        rec = recorder()
        rec.accept(ticks.iloc[a:b].reset_index(drop=True))
        rec.flush()
    assert {g.trading_day for g in log.open_gaps()} == {DAY}
    partial = sum(lake.manifest("ticks", s, DAY).rows for s in syms)  # type: ignore[union-attr]
    assert partial < n

    result = CliRunner().invoke(app, ["coverage", "--var", "cu", "--data-dir", str(data), "--json"])
    assert result.exit_code == 0, result.output
    cov = {r["symbol"]: r for r in json.loads(result.output)["symbols"]}
    assert all(cov[s]["open_gaps"] >= 1 and cov[s]["gap_days"] == [DAY.isoformat()] for s in syms)

    summary = backfill_gaps(lake, sim, log, calendar=calendar, book=book, quarantine_dir=data / "quarantine")
    assert summary.partitions_written == len(syms) and log.open_gaps() == []
    pure = ParquetLake(tmp_path / "pure" / "lake_v2")
    ingest_batch(pure, day, syms, calendar=calendar, book=book, source="sim", quarantine_dir=tmp_path / "pq")
    for s in syms:
        assert lake.manifest("ticks", s, DAY).files == pure.manifest("ticks", s, DAY).files  # type: ignore[union-attr]
        got = lake.read_day("ticks", s, DAY).to_pandas()
        assert np.array_equal(got["datetime_ns"], pure.read_day("ticks", s, DAY).to_pandas()["datetime_ns"])


def test_dag_ingest_task_reconciles_a_recorded_partial_day(tmp_path: Path, calendar, book) -> None:  # noqa: ANN001
    """The nightly DAG's ingest task (``steps.ingest_contract``) backfills the recorder's gaps."""
    from prometheus_client import CollectorRegistry

    from ghtrader.pipeline.steps import RunSpec, ingest_contract

    sym = book.listed("cu", DAY)[1].symbol
    sim = SimSource(calendar, book)
    ticks = sim.fetch_day([sym], DAY).ticks[sym]
    data = tmp_path / "data"
    rec = Recorder(
        ParquetLake(data / "lake_v2"),
        RecorderConfig(quarantine_dir=data / "quarantine"),
        calendar=calendar,
        book=book,
        gaps=GapLog(gaps_path(data)),
        metrics=RecorderMetrics(CollectorRegistry()),
        market_now=lambda: 0,
    )
    rec.accept(ticks.iloc[100:400].reset_index(drop=True))  # a late start: the day is partial
    rec.flush()
    spec = RunSpec(var="cu", start=DAY, end=DAY, data_dir=data, runs_dir=tmp_path / "runs", symbols=(sym,))
    out = ingest_contract(spec, sym)
    assert out["partitions_written"] == 1 and GapLog(gaps_path(data)).open_gaps() == []
    assert ParquetLake(data / "lake_v2").manifest("ticks", sym, DAY).rows == len(ticks)  # type: ignore[union-attr]
