"""The oracle reference: the sim's own expected mid change, read from its latent sidecar.

The sim records, per contract and day, ``expected_mid_change`` (price units, over ~50 snapshots ahead)
in the ``sim_latent`` sidecar, never in the tick columns. Classifying it with the label thresholds
(``> k`` ticks UP, ``< -k`` DOWN, else FLAT) gives what a model that knew the latent state would
predict: an upper reference, not a bound (the realized move still carries noise). It has no
probabilities, so log loss and ECE are not defined. Real data has no sidecar: the oracle is then
reported as unavailable with the reason.

Trap: sidecar rows are aligned to main_l5 rows by ``datetime_ns`` plus the occurrence number within the
day (duplicate stamps exist), per underlying contract of that day.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ghtrader.market.contracts import ContractBook
from ghtrader.schema import to_pandas
from ghtrader.store.lake import ParquetLake

SIDECAR = "sim_latent"


def _with_occ(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(_occ=df.groupby("datetime_ns", sort=False).cumcount())


def day_expected_change(
    lake: ParquetLake, symbol: str, day: dt.date, book: ContractBook
) -> pd.DataFrame | None:
    """main_l5 keys of ``day`` with ``expected_ticks`` (expected mid change / price tick); None if absent."""
    ticks = to_pandas(lake.read_day("main_l5", symbol, day, columns=["datetime_ns", "underlying_contract"]))
    parts = []
    for contract, rows in ticks.groupby("underlying_contract", sort=False):
        side = lake.read_sidecar(SIDECAR, str(contract), day, columns=["datetime_ns", "expected_mid_change"])
        if side is None:
            return None
        joined = _with_occ(rows.reset_index()).merge(
            _with_occ(to_pandas(side)), on=["datetime_ns", "_occ"], how="left", sort=False
        )
        joined["expected_ticks"] = joined["expected_mid_change"] / book.get(str(contract)).price_tick
        parts.append(joined[["index", "datetime_ns", "expected_ticks"]])
    if not parts:
        return None
    out = pd.concat(parts).sort_values("index")
    return _with_occ(out.drop(columns="index").reset_index(drop=True))


def oracle_classes(
    lake: ParquetLake, symbol: str, meta: pd.DataFrame, *, k: float, book: ContractBook
) -> tuple[np.ndarray | None, str | None]:
    """Oracle class per ``meta`` row (trading_day, datetime_ns), or ``(None, reason)`` without a sidecar.

    Rows whose sidecar value is missing get class -1 (not scored).
    """
    out = np.full(len(meta), -1, dtype=np.int64)
    days = meta["trading_day"].to_numpy()
    for day in pd.unique(days):
        exp = day_expected_change(lake, symbol, day, book)
        if exp is None:
            return None, f"no {SIDECAR} sidecar for {symbol} on {day} (real data has no oracle)"
        pos = np.flatnonzero(days == day)
        rows = _with_occ(meta.iloc[pos][["datetime_ns"]].reset_index(drop=True))
        e = rows.merge(exp, on=["datetime_ns", "_occ"], how="left", sort=False)["expected_ticks"].to_numpy()
        cls = np.where(e > k, 2, np.where(e < -k, 0, 1))
        out[pos] = np.where(np.isnan(e), -1, cls)
    return out, None
