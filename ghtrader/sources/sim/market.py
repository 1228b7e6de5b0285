"""Day-level state of the sim market: price level, open interest life cycle, liquidity.

Everything here is a pure function of (seed, variety/contract, date) so a day generated alone
equals the same day generated inside a range. The price level is an AR(1) walk in log price around
era anchors, run once from the fixed epoch and cached by the caller (a few thousand days).
Open interest follows a hump in days-to-delivery-month: contracts build OI from listing, peak about
a month before delivery (cu) and bleed out in the delivery month, so the largest-OI rule rolls cu
monthly (main = 2nd nearest month, switching mid-month) and au/ag between June and December.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import numpy as np

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractSpec, last_trading_day, parse_symbol
from ghtrader.sources.sim.config import SimConfig, VarietyParams

LEVEL_END = dt.date(2027, 12, 31)
OI_OFFSET_DAYS = 20.0  # softens the hump near delivery: expiring contracts keep some OI
DELIVERY_DECAY_DAYS = 25.0  # OI half-life scale inside the delivery month
OI_NOISE = 0.03  # day-to-day multiplicative OI noise (well under the 1.1x switch threshold)


def stream(seed: int, *parts: str | int) -> np.random.Generator:
    """An independent RNG for (seed, parts...): strings hash with crc32, so streams are stable."""
    ints = [int(seed) & 0xFFFFFFFF] + [
        zlib.crc32(p.encode()) if isinstance(p, str) else int(p) for p in parts
    ]
    return np.random.default_rng(np.random.SeedSequence(ints))


def level_path(cfg: SimConfig, var: str) -> np.ndarray:
    """Daily price level of ``var`` for every calendar day from ``cfg.epoch`` to ``LEVEL_END``."""
    p = cfg.params(var)
    n = (LEVEL_END - cfg.epoch).days + 1
    knots = np.array([(dt.date.fromisoformat(d) - cfg.epoch).days for d, _ in p.anchors], dtype=float)
    anchor = np.interp(np.arange(n), knots, np.log([v for _, v in p.anchors]))
    z = stream(cfg.seed, "level", var).standard_normal(n)
    dev = np.empty(n)
    d = 0.0
    keep = 1.0 - p.level_reversion
    for i in range(n):  # once per variety and instance, ~4.4k steps
        d = keep * d + p.level_daily_vol * z[i]
        dev[i] = d
    return np.exp(anchor + dev)


def days_to_delivery(spec: ContractSpec, day: dt.date) -> int:
    """Calendar days from ``day`` to the first day of the delivery month (<= 0 inside it)."""
    return (spec.delivery_month_start - day).days


def is_listed(cal: TradingCalendar, spec: ContractSpec, day: dt.date) -> bool:
    """Whether ``spec`` is one of the 12 listed months on ``day`` (same rule as ``ContractBook.listed``)."""
    ltd = spec.last_trading_day or last_trading_day(cal, spec.delivery_year, spec.delivery_month)
    if day > ltd:
        return False
    y, m = day.year, day.month
    if day > last_trading_day(cal, y, m):
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    ahead = (spec.delivery_year - y) * 12 + spec.delivery_month - m
    return 0 <= ahead < 12


def oi_profile(p: VarietyParams, days_to_delivery: float) -> float:
    """Relative open interest (0..1) by days to the delivery month, before month weights."""
    d = max(days_to_delivery, 0.0)
    x = np.log(d + OI_OFFSET_DAYS) - np.log(p.oi_peak_days + OI_OFFSET_DAYS)
    f = float(np.exp(-0.5 * (x / p.oi_width) ** 2))
    if days_to_delivery < 0:
        f *= float(np.exp(days_to_delivery / DELIVERY_DECAY_DAYS))
    return f


def eod_open_interest(cfg: SimConfig, cal: TradingCalendar, spec: ContractSpec, day: dt.date) -> int:
    """End-of-day open interest (one-sided lots) of a contract on a trading day (0 when not listed).

    Snapshots report twice this before 2020 (``ghtrader.market.reporting``)."""
    if not is_listed(cal, spec, day):
        return 0
    p = cfg.params(spec.variety)
    base = p.oi_scale * p.month_weights[spec.delivery_month - 1] * oi_profile(p, days_to_delivery(spec, day))
    z = stream(cfg.seed, "oi", spec.symbol, day.toordinal()).standard_normal()
    return max(int(round(base * np.exp(OI_NOISE * z))), 1)


def contract_open_price(cfg: SimConfig, levels: np.ndarray, spec: ContractSpec, day: dt.date) -> float:
    """Opening fair value of a contract: variety level plus carry to its delivery month."""
    i = (day - cfg.epoch).days
    if not 0 <= i < len(levels):
        raise ValueError(f"sim covers {cfg.epoch}..{LEVEL_END}; {day} is outside")
    carry = cfg.params(spec.variety).carry * max(days_to_delivery(spec, day), 0) / 365.0
    return float(levels[i] * (1.0 + carry))


@dataclass(frozen=True)
class Liquidity:
    """How busy one contract-day is: snapshot gaps, spread widening, depth and trade volume."""

    gap_log_median: float  # log of the median gap between snapshots, in 2 Hz slots
    gap_log_sd: float
    wide_prob: float  # share of spreads wider than one tick
    wide_extra: float  # mean extra ticks of a wide spread
    depth: float  # median L1 queue (lots)
    volume_per_min: float  # day-session trade volume per minute
    lot_step: int  # order size granularity (cu delivery month trades in multiples of 5)
    spread_tau_s: float = 3.0  # how long a widened spread persists (thin books stay wide longer)


def liquidity(cfg: SimConfig, spec: ContractSpec, share: float, delivery: bool) -> Liquidity:
    """Liquidity from the contract's OI share of the variety's largest OI (1.0 = main)."""
    p = cfg.params(spec.variety)
    s = float(np.clip(share, 1e-3, 1.0))
    thin = float(np.clip(np.log(0.6 / s) / np.log(12.0), 0.0, 1.0))  # 0 main .. 1 far month
    if delivery:
        slot = 1.0 / cfg.hz
        med = cfg.delivery_gap_median_s / slot
        sd = np.log(cfg.delivery_gap_p90_s / cfg.delivery_gap_median_s) / 1.2816
        return Liquidity(
            gap_log_median=float(np.log(med)),
            gap_log_sd=float(sd),
            wide_prob=cfg.delivery_wide_prob,
            wide_extra=cfg.delivery_wide_extra,
            depth=p.l1_depth * 1.2,
            volume_per_min=p.volume_per_min * cfg.delivery_volume_share,
            lot_step=5 if spec.variety == "cu" else 1,
            spread_tau_s=cfg.delivery_spread_tau_s,
        )
    return Liquidity(
        gap_log_median=1.6 * thin,
        gap_log_sd=0.25 + 0.6 * thin,
        wide_prob=0.03 + 0.2 * thin,
        wide_extra=1.0 + 1.5 * thin,
        depth=p.l1_depth * (0.3 + 0.7 * (1.0 - thin)),
        volume_per_min=p.volume_per_min * s**1.3,
        lot_step=1,
    )


def contract_code(symbol: str) -> int:
    """YYYYMM of a contract symbol (used to derive its RNG stream)."""
    _, _, year, month = parse_symbol(symbol)
    return year * 100 + month
