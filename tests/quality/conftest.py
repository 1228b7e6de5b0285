"""Synthetic clean L5 ticks for gate tests: valid by construction (sessions, grid, book, volume)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ghtrader.market.calendar import CST_OFFSET_NS, EPOCH, NS_PER_S, TradingCalendar
from ghtrader.market.sessions import variety_sessions
from ghtrader.schema import ASK_PRICE, ASK_VOLUME, BID_PRICE, BID_VOLUME, TICK_COLUMNS

MakeTicks = Callable[..., pd.DataFrame]


def _session_times(
    cal: TradingCalendar, var: str, day: dt.date, step_ms: int, rng: np.random.Generator
) -> np.ndarray:
    """Epoch-ns stamps every ``step_ms`` (+ a few ms of jitter) through the day's sessions."""
    sessions = variety_sessions(var)
    windows: list[tuple[dt.date, int, int]] = [(day, a, b) for a, b in sessions.day]
    evening = cal.night_evening(day)
    if evening is not None:
        windows = [(evening, a, b) for a, b in sessions.night] + windows
    out = []
    for date, a, b in windows:
        midnight = (date - EPOCH).days * 86400 * NS_PER_S - CST_OFFSET_NS
        ms = np.arange(a * 1000, b * 1000, step_ms, dtype=np.int64)
        out.append(midnight + (ms + rng.integers(0, 5, len(ms))) * 1_000_000)
    return np.concatenate(out)


def synthetic_ticks(
    cal: TradingCalendar,
    symbols: tuple[str, ...] = ("SHFE.cu2505",),
    start: dt.date = dt.date(2025, 3, 10),
    n_days: int = 1,
    step_ms: int = 500,
    seed: int = 7,
) -> pd.DataFrame:
    """Clean ticks of ``symbols`` (cu, tick 10) for ``n_days`` trading days from ``start``."""
    rng = np.random.default_rng(seed)
    days = cal.trading_days(start, start + dt.timedelta(days=3 * n_days + 7))[:n_days]
    frames = []
    for sym in symbols:
        parts = [(_session_times(cal, "cu", d, step_ms, rng), d) for d in days]
        ns = np.concatenate([p[0] for p in parts])
        td = np.concatenate([np.full(len(p[0]), np.datetime64(p[1], "D")) for p in parts])
        n = len(ns)
        last = 75000.0 + 10.0 * np.cumsum(rng.integers(-1, 2, n))
        bid1 = last - 10.0 * rng.integers(0, 2, n)
        ask1 = bid1 + 10.0 * (1 + rng.integers(0, 2, n))
        step = rng.integers(0, 20, n)
        first = np.r_[True, td[1:] != td[:-1]]
        cum = np.cumsum(step)
        volume = cum - np.maximum.accumulate(np.where(first, cum - step, 0))
        f = {"symbol": np.full(n, sym, dtype=object), "datetime_ns": ns, "trading_day": td.astype(object)}
        f |= {"last_price": last, "average": last + 0.37, "highest": last + 200.0, "lowest": last - 200.0}
        for k in range(5):
            f[BID_PRICE[k]], f[ASK_PRICE[k]] = bid1 - 10.0 * k, ask1 + 10.0 * k
            f[BID_VOLUME[k]] = rng.integers(1, 200, n).astype(np.float64)
            f[ASK_VOLUME[k]] = rng.integers(1, 200, n).astype(np.float64)
        f |= {"volume": volume, "amount": volume * 375000.0, "open_interest": rng.integers(1000, 200000, n)}
        frames.append(pd.DataFrame(f))
    df = pd.concat(frames, ignore_index=True)[TICK_COLUMNS]
    df["symbol"] = df["symbol"].astype("str")
    return df


@pytest.fixture(scope="session")
def make_ticks(calendar: TradingCalendar) -> MakeTicks:
    def make(**kw: object) -> pd.DataFrame:
        return synthetic_ticks(calendar, **kw)  # type: ignore[arg-type]

    return make


SIM_DAYS = (dt.date(2025, 3, 3), dt.date(2025, 3, 4))
SIM_CONTRACTS = ("SHFE.cu2504", "SHFE.cu2505")


@pytest.fixture(scope="session")
def sim_lake_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-day, 2-contract sim cu lake with main_l5, features and labels (built once; never mutate)."""
    from ghtrader.testing.shared import build_once
    from ghtrader.testing.simlake import build_sim_lake

    return build_once(
        tmp_path_factory,
        "simlake_quality",
        lambda d: build_sim_lake(d, start=SIM_DAYS[0], end=SIM_DAYS[-1], contracts=list(SIM_CONTRACTS)),
    )


@pytest.fixture
def sim_lake(sim_lake_master: Path, tmp_path: Path) -> Path:
    """A private copy of the sim lake's data dir that a test may corrupt."""
    dst = tmp_path / "data"
    shutil.copytree(sim_lake_master, dst)
    return dst
