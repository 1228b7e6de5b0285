"""The live intake gate: classify rows against per-symbol watermarks, then the batch quality gate.

Traps: a live feed repeats rows (duplicates, to drop and count) but a row *older* than the last
kept one yet newer than what is stored is time going backwards (bad data, to quarantine); and the
gate's sequential rules (strictly increasing time, non-decreasing cumulative volume) must compare
with the last row accepted in an *earlier* batch, so that row is prepended as context and dropped
from the result.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.quality.rules import validate_ticks
from ghtrader.schema import TICK_COLUMNS

KEEP, DUPLICATE, BACKWARDS = 0, 1, 2
ROW_ID = "__row"


def classify_rows(
    codes: np.ndarray,
    names: Sequence[str],
    ns: np.ndarray,
    last_ns: dict[str, int],
    watermark: dict[str, int],
) -> np.ndarray:
    """Class per row: KEEP (newer than every earlier kept row of its symbol), DUPLICATE (equal to the
    last kept time, or not after the stored watermark), BACKWARDS (older than the last kept time but
    after the watermark). ``codes`` index ``names`` (``pd.factorize``). Updates ``last_ns``."""
    out = np.full(len(ns), KEEP, dtype=np.int8)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    lowest = np.iinfo(np.int64).min
    for idx in np.split(order, bounds):
        if not len(idx):
            continue
        sym = names[codes[idx[0]]]
        t = ns[idx]
        prev = last_ns.get(sym, lowest)
        before = np.maximum.accumulate(np.concatenate([[prev], t[:-1]]))
        ok = t > before
        if ok.all():
            last_ns[sym] = int(t[-1]) if t[-1] > prev else prev
            continue
        wm = watermark.get(sym, lowest)
        dup = ~ok & ((t == before) | (t <= wm))
        out[idx[dup]] = DUPLICATE
        out[idx[~ok & ~dup]] = BACKWARDS
        if ok.any():
            last_ns[sym] = int(max(prev, t[ok].max()))
    return out


def gate_rows(
    frame: pd.DataFrame,
    recv: np.ndarray,
    context: pd.DataFrame,
    calendar: TradingCalendar,
    book: ContractBook,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """(clean rows, their receive times, rejected rows with ``reason``) of ``frame``.

    ``context`` holds the last accepted row per symbol; it is validated along (so the sequential
    rules see across batches) but never returned.
    """
    ctx = context[context["symbol"].isin(frame["symbol"].unique())]
    n_ctx = len(ctx)
    full = pd.concat([ctx, frame[TICK_COLUMNS]], ignore_index=True) if n_ctx else frame[TICK_COLUMNS]
    tagged = full.assign(**{ROW_ID: np.arange(len(full))})
    clean, rejected = validate_ticks(tagged, calendar=calendar, book=book)
    ok = np.ones(len(full), dtype=bool)
    ok[rejected[ROW_ID].to_numpy(dtype=np.int64)] = False
    keep_ids = np.flatnonzero(ok)
    if len(keep_ids) != len(clean):
        raise RuntimeError("tick gate returned rows that are neither clean nor rejected")
    sel = keep_ids >= n_ctx
    bad = rejected[rejected[ROW_ID] >= n_ctx].drop(columns=[ROW_ID])
    return clean.loc[sel].reset_index(drop=True), recv[keep_ids[sel] - n_ctx], bad
