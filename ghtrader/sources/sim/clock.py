"""Snapshot timestamps of one contract-day inside its real sessions.

Traps: the night session belongs to the *next* trading day and is held on the evening returned by
``calendar.night_evening`` (Friday for Monday; none after a holiday); contracts in their delivery
month have no night session; nothing is emitted after the last trading day. Stamps sit on a 2 Hz
grid shifted by 1..jitter ms (real TqSdk stamps are not exactly .000/.500), and illiquid contracts
skip slots with lognormal gaps (real cu1909 in delivery: median gap 3 s, p90 ~15 s).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ghtrader.market.calendar import CST_OFFSET_NS, EPOCH, NS_PER_S, TradingCalendar
from ghtrader.market.contracts import ContractSpec

DAY_NS = 86400 * NS_PER_S


def _midnight_utc_ns(day: dt.date) -> int:
    """Epoch-ns (UTC) of CST midnight starting ``day``."""
    return (day - EPOCH).days * DAY_NS - CST_OFFSET_NS


def session_windows(
    cal: TradingCalendar, spec: ContractSpec, trading_day: dt.date
) -> list[tuple[int, int, bool]]:
    """``(start_ns, end_ns, is_night)`` of every session of ``spec`` on ``trading_day``, in time order."""
    ltd = spec.last_trading_day
    if not cal.is_trading_day(trading_day) or (ltd is not None and trading_day > ltd):
        return []
    out: list[tuple[int, int, bool]] = []
    evening = cal.night_evening(trading_day)
    if evening is not None and trading_day < spec.delivery_month_start:
        base = _midnight_utc_ns(evening)
        out += [(base + a * NS_PER_S, base + b * NS_PER_S, True) for a, b in spec.sessions.night]
    base = _midnight_utc_ns(trading_day)
    out += [(base + a * NS_PER_S, base + b * NS_PER_S, False) for a, b in spec.sessions.day]
    return out


def snapshot_times(
    rng: np.random.Generator,
    windows: list[tuple[int, int, bool]],
    hz: float,
    jitter_ms: int,
    gap_log_median: float,
    gap_log_sd: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (datetime_ns, is_night, session_start) arrays; gaps are counted in grid slots."""
    slot_ns = int(round(NS_PER_S / hz))
    parts_t, parts_n, parts_s = [], [], []
    for start, end, night in windows:
        n_slots = int((end - start) // slot_ns)
        if n_slots <= 0:
            continue
        gaps = np.maximum(1, np.rint(np.exp(gap_log_median + gap_log_sd * rng.standard_normal(n_slots))))
        pos = np.cumsum(gaps.astype(np.int64)) - 1
        pos = pos[pos < n_slots]
        jitter = rng.integers(1, jitter_ms + 1, size=len(pos)) * 1_000_000
        t = start + pos * slot_ns + np.minimum(jitter, slot_ns - 1)
        first = np.zeros(len(t), dtype=bool)
        first[:1] = True
        parts_t.append(t)
        parts_n.append(np.full(len(t), night))
        parts_s.append(first)
    if not parts_t:
        return np.empty(0, np.int64), np.empty(0, bool), np.empty(0, bool)
    return np.concatenate(parts_t).astype(np.int64), np.concatenate(parts_n), np.concatenate(parts_s)
