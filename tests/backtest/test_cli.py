"""``ghtrader backtest`` end to end: main_l5 partitions + predictions.parquet -> result files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from ghtrader.cli.backtest import backtest
from ghtrader.schema import MAIN_L5_SCHEMA, to_arrow
from ghtrader.store.lake import ParquetLake

SYMBOL = "KQ.m@SHFE.cu"
DAYS = [dt.date(2025, 3, 3), dt.date(2025, 3, 4)]
CST_9AM_NS = 1_000_000_000 * 3600  # 09:00 CST = 01:00 UTC
app = typer.Typer()
app.command("backtest")(backtest)
app.command("noop")(lambda: None)  # keep typer in multi-command mode (the real app registers many)


def _day_frame(day: dt.date, contract: str, segment: int, mid: np.ndarray) -> pd.DataFrame:
    n = len(mid)
    start = int(pd.Timestamp(day).value) + CST_9AM_NS
    df = pd.DataFrame({c: np.nan for c in MAIN_L5_SCHEMA.names}, index=range(n))
    df["symbol"] = SYMBOL
    df["datetime_ns"] = start + np.arange(n, dtype=np.int64) * 500_000_000
    df["trading_day"] = [day] * n
    df["bid_price1"], df["ask_price1"] = mid - 5.0, mid + 5.0
    df["bid_volume1"], df["ask_volume1"] = 3.0, 4.0
    df["last_price"] = mid
    df["volume"], df["amount"], df["open_interest"] = np.arange(n), np.arange(n) * 5.0 * 70000, 100000
    df["underlying_contract"], df["segment_id"], df["schedule_hash"] = contract, segment, "h"
    return df


@pytest.fixture
def lake_and_model(tmp_path: Path) -> tuple[Path, Path, pd.DataFrame]:
    lake = ParquetLake(tmp_path / "data" / "lake_v2")
    frames = []
    for day, contract, seg, mid0 in [(DAYS[0], "SHFE.cu2504", 0, 70000), (DAYS[1], "SHFE.cu2505", 1, 71000)]:
        mid = mid0 + 10.0 * np.arange(50)  # steadily rising: long signals earn
        df = _day_frame(day, contract, seg, mid)
        lake.write_partition("main_l5", SYMBOL, day, to_arrow(df, MAIN_L5_SCHEMA))
        frames.append(df)
    ticks = pd.concat(frames, ignore_index=True)
    model = tmp_path / "runs" / "models" / "lgbm" / "r1"
    model.mkdir(parents=True)
    n = len(ticks)
    preds = pd.DataFrame(
        {
            "datetime_ns": ticks["datetime_ns"],
            "trading_day": ticks["trading_day"],
            "p_down": np.full(n, 0.1),
            "p_flat": np.full(n, 0.2),
            "p_up": np.full(n, 0.7),
        }
    )
    pq.write_table(pa.Table.from_pandas(preds, preserve_index=False), model / "predictions.parquet")
    (model / "meta.json").write_text(json.dumps({"run_id": "r1", "var": "cu", "metrics": {}}))
    return tmp_path / "data", model, ticks


def test_backtest_cli_writes_results_and_meta(lake_and_model: tuple[Path, Path, pd.DataFrame]) -> None:
    data_dir, model, _ = lake_and_model
    res = CliRunner().invoke(
        app,
        ["backtest", "--symbol", SYMBOL, "--model-dir", str(model), "--data-dir", str(data_dir), "--json"],
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    m = payload["metrics"]
    assert (payload["start"], payload["end"]) == ("2025-03-03", "2025-03-04")
    # long from tick 1 to the flatten at tick 49 each day: 2 round trips on a +10/tick ramp
    assert m["round_trips"] == 2 and m["final_position"] == 0
    gross_per_day = ((70000 + 490 - 5) - (70000 + 10 + 5)) * 5
    assert m["total_pnl"] == pytest.approx(2 * gross_per_day)
    assert m["net_pnl"] == pytest.approx(m["total_pnl"] - m["fees"]) and m["fees"] > 0
    trades = pq.read_table(model / "backtest" / "trades.parquet").to_pandas()
    assert sorted(set(trades["contract"].astype(str))) == ["SHFE.cu2504", "SHFE.cu2505"]
    assert json.loads((model / "backtest" / "backtest.json").read_text())["metrics"] == m
    assert json.loads((model / "meta.json").read_text())["metrics"]["backtest"] == m
    assert (model / "backtest" / "equity.parquet").is_file()


def test_backtest_cli_errors_are_one_line(tmp_path: Path, lake_and_model: tuple) -> None:
    data_dir, model, _ = lake_and_model
    res = CliRunner().invoke(app, ["backtest", "--data-dir", str(data_dir)])
    assert res.exit_code == 1 and "--model-dir" in res.output
    res = CliRunner().invoke(
        app, ["backtest", "--predictions", str(tmp_path / "nope.parquet"), "--data-dir", str(data_dir)]
    )
    assert res.exit_code == 1 and "not found" in res.output
    res = CliRunner().invoke(
        app,
        [
            "backtest",
            "--model-dir",
            str(model),
            "--data-dir",
            str(data_dir),
            "--start",
            "2025-04-01",
            "--end",
            "2025-04-02",
        ],
    )
    assert res.exit_code == 1 and "no main_l5 ticks" in res.output


def test_backtest_cli_tier2_side_by_side(lake_and_model: tuple[Path, Path, pd.DataFrame]) -> None:
    data_dir, model, _ = lake_and_model
    args = ["backtest", "--symbol", SYMBOL, "--model-dir", str(model), "--data-dir", str(data_dir)]
    res = CliRunner().invoke(app, [*args, "--tier", "2", "--queue-model", "power", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    t1, t2 = payload["metrics"], payload["tier2"]
    assert t2["fills"] >= 2 and t2["fill_ratio"] > 0  # FAK at the ask: fills like tier 1, later
    assert t2["net_pnl"] == pytest.approx(t2["total_pnl"] - t2["fees"])
    assert {r["metric"] for r in payload["side_by_side"]} >= {"net PnL (CNY)", "fill ratio", "queue wait (s)"}
    assert (
        next(r for r in payload["side_by_side"] if r["metric"] == "net PnL (CNY)")["tier1"] == t1["net_pnl"]
    )
    assert (model / "backtest" / "tier2" / "fills.parquet").is_file()
    html = (model / "backtest" / "tier2" / "report.html").read_text()
    assert "tier 1" in html and "tier 2" in html and "fill ratio" in html
    assert json.loads((model / "meta.json").read_text())["metrics"]["backtest_tier2"]["fills"] == t2["fills"]
    bad = CliRunner().invoke(app, [*args, "--tier", "3"])
    assert bad.exit_code == 1 and "--tier" in bad.output
