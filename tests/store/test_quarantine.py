from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ghtrader.store.quarantine import quarantine_rows


def test_unknown_keys_strings_and_idempotence(tmp_path: Path) -> None:
    rejected = pd.DataFrame(
        {
            "symbol": ["SHFE.cu2001", None, "SHFE.cu2001"],
            "datetime_ns": [1, 2, 3],
            "trading_day": [dt.date(2019, 11, 4), dt.date(2019, 11, 4), pd.NaT],
            "last_price": [0.1 + 0.2, np.nan, -1.0],
            "reason": ["a", "missing: symbol", "missing: trading_day"],
        }
    )
    paths = quarantine_rows(tmp_path, "ticks", rejected, source="csv")
    rel = sorted(str(p.parent.relative_to(tmp_path)) for p in paths)
    assert rel == [
        "ticks/symbol=SHFE.cu2001/date=2019-11-04",
        "ticks/symbol=SHFE.cu2001/date=_unknown",
        "ticks/symbol=_unknown/date=2019-11-04",
    ]
    by_dir = {p.parent.name + "/" + p.parent.parent.name: pq.read_table(p).to_pylist() for p in paths}
    assert by_dir["date=2019-11-04/symbol=SHFE.cu2001"] == [
        {
            "symbol": "SHFE.cu2001",
            "datetime_ns": "1",
            "trading_day": "2019-11-04",
            "last_price": repr(0.1 + 0.2),
            "reason": "a",
        }
    ]
    assert by_dir["date=2019-11-04/symbol=_unknown"][0]["last_price"] is None
    summary = json.loads(paths[0].with_name(f"_{paths[0].stem}.json").read_text())
    assert summary["rows"] == 1 and summary["sha256"].startswith(paths[0].stem.removeprefix("rejected-"))
    mtimes = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    assert sorted(quarantine_rows(tmp_path, "ticks", rejected, source="csv")) == sorted(paths)
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()} == mtimes
    assert quarantine_rows(tmp_path, "ticks", rejected.iloc[0:0], source="csv") == []
