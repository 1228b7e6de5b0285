"""Shared test kit: locate the real SHFE fixtures, load them, build small frames.

Real data lives outside the repo (``../shared/data/real``); tests skip when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[2]


def real_data_dir() -> Path | None:
    """Return the real-data folder ($GHTRADER_REAL_DATA or ../shared/data/real), or None."""
    candidates = []
    if env := os.environ.get("GHTRADER_REAL_DATA"):
        candidates.append(Path(env))
    candidates += [
        REPO_ROOT.parent / "shared" / "data" / "real",
        Path.cwd().parent / "shared" / "data" / "real",
    ]
    for c in candidates:
        if (c / "ticks").is_dir() and (c / "klines").is_dir():
            return c
    return None


def real_tick_csv(root: Path) -> Path:
    return root / "ticks" / "SHFE.cu1909_ticks_20190912.csv"


def load_klines(root: Path, symbol: str, duration_s: int) -> pd.DataFrame:
    """Load a real kline fixture (gzip CSV) as a DataFrame with int64 ``datetime_nano``."""
    path = root / "klines" / f"{symbol}_{duration_s}s_klines.csv.gz"
    return pd.read_csv(path, dtype={"symbol": str})


def load_contract_specs(root: Path) -> pd.DataFrame:
    return pd.read_csv(root / "contracts" / "shfe_cu_au_ag_futures_specs.csv")
