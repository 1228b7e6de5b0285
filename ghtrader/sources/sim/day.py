"""Generate one contract-day: L5 snapshots in the tick schema plus the latent sidecar frame.

Model: a latent pressure ``a`` (OU, ~20 s memory) drives the fair value ``x`` and tilts the
visible book (L1 and L5 volume imbalance, trade direction); ``x``'s position inside the tick
(microprice) shapes the L1 queues. The best prices follow ``x``; the queues evolve by events
between snapshots (``book.py``: trades against the pre-trade book, adds, cancels), so sizes
persist like a real SHFE book. Book features therefore predict mid moves partially; the
sidecar's ``expected_mid_change`` (oracle) predicts them better. Cumulative volume/amount/OI
restart each trading day; OI moves from the previous day's close to today's end-of-day value.
Before 2020 volume/amount/OI are reported double-counted, as SHFE did (``market.reporting``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ghtrader.market.calendar import NS_PER_S, TradingCalendar
from ghtrader.market.contracts import ContractSpec
from ghtrader.market.reporting import volume_divisor
from ghtrader.schema import TICK_COLUMNS
from ghtrader.sources.sim.book import evolve_book
from ghtrader.sources.sim.clock import session_windows, snapshot_times
from ghtrader.sources.sim.config import SimConfig
from ghtrader.sources.sim.kernels import best_prices, latent_path
from ghtrader.sources.sim.market import Liquidity, contract_code, stream

LATENT_COLUMNS = ["fair_value", "pressure", "drift_per_s", "expected_mid_change"]
IMB_FRAC = 3.0  # L1 log-imbalance per unit of microprice position (queue depletion)
IMB_PRESSURE = 1.2  # L1 log-imbalance per unit of pressure
IMB_DEEP = 0.35  # L2-L5 log-imbalance per unit of pressure
IMB_NOISE = 0.3
BOOK_RATE_MAIN = 1.4  # L1 add/cancel events per second of a main contract (2 Hz, busy book)
BOOK_RATE_GAP_POWER = 1.4  # slower books churn less: real cu1909 in delivery (3 s gaps) ~0.12/s
MAX_BREAK_S = 60.0  # variance credited across a session break
MIN_PULL_S = 600.0  # the close-target pull never acts faster than this (no end-of-day sprint)
DEPTH_SHAPE = np.array([1.0, 1.3, 1.5, 1.6, 1.7])  # median queue of levels 1-5 relative to L1
OPEN_VOLUME_BOOST = 20.0  # the first snapshot of a session carries the opening auction


@dataclass(frozen=True)
class DayInputs:
    """Day-level state handed to the generator (all deterministic functions of the date)."""

    open_price: float
    close_target: float  # next trading day's opening fair value: the day's path ends near it
    share: float  # this contract's OI / the variety's largest OI
    delivery: bool
    prev_oi: int
    eod_oi: int
    liquidity: Liquidity


def _dynamics(cfg: SimConfig, vol_per_min: float, price: float, tick: float) -> tuple[float, float]:
    """(kappa ticks/s per unit pressure, sigma ticks/sqrt s) matching the 1-minute volatility."""
    var_s = (vol_per_min * price / tick) ** 2 / 60.0
    tau, horizon = cfg.alpha_tau_s, 60.0
    ou_var = 2.0 * tau * tau * (horizon / tau - 1.0 + np.exp(-horizon / tau))
    kappa = float(np.sqrt(cfg.alpha_share * var_s * horizon / ou_var))
    sigma = float(np.sqrt((1.0 - cfg.alpha_share) * var_s))
    return kappa, sigma


def generate_contract_day(
    cfg: SimConfig, cal: TradingCalendar, spec: ContractSpec, day: dt.date, inp: DayInputs
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Ticks and latent frames of ``spec`` on trading day ``day``; None when it has no session."""
    windows = session_windows(cal, spec, day)
    if not windows:
        return None
    liq, p = inp.liquidity, cfg.params(spec.variety)
    rng = stream(cfg.seed, "day", spec.variety, contract_code(spec.symbol), day.toordinal())
    ts, night, restart = snapshot_times(
        rng, windows, cfg.hz, cfg.jitter_ms, liq.gap_log_median, liq.gap_log_sd
    )
    n = len(ts)
    if n == 0:
        return None
    tick = spec.price_tick
    t_s = (ts - ts[0]) / NS_PER_S
    dt_s = np.diff(t_s, prepend=t_s[0])
    dt_s[restart] = 1.0 / cfg.hz
    kappa, sigma = _dynamics(cfg, p.vol_per_min, inp.open_price, tick)
    x0 = inp.open_price / tick + rng.random()
    a, x = latent_path(
        t_s,
        restart,
        rng.standard_normal(n),
        rng.standard_normal(n),
        x0,
        inp.close_target / tick,
        cfg.alpha_tau_s,
        kappa,
        sigma,
        MAX_BREAK_S,
        MIN_PULL_S,
    )
    bid1, ask1 = best_prices(
        x,
        dt_s,
        rng.random(n),
        rng.random(n),
        rng.geometric(1.0 / liq.wide_extra, n),
        rng.random(n),
        liq.wide_prob,
        liq.spread_tau_s,
    )
    frac = x - np.floor(x)
    tilt_l1 = IMB_FRAC * (frac - 0.5) + IMB_PRESSURE * a + IMB_NOISE * rng.standard_normal(n)
    step = liq.lot_step
    div = volume_divisor(spec.symbol, day)  # pre-2020 SHFE reports both sides of each trade
    dvol = _trade_volume(rng, dt_s, night, restart, liq, p.night_volume_factor, inp, div)
    buy_prob = 1.0 / (1.0 + np.exp(-(1.5 * a + 2.0 * (frac - 0.5))))
    bid, bid_lots, ask, ask_lots, last, high, low, notional = evolve_book(
        bid1,
        ask1,
        dt_s,
        restart,
        dvol // step,
        buy_prob,
        tilt_l1,
        IMB_DEEP * a,
        DEPTH_SHAPE * liq.depth / step,
        rng.random(n),
        liq.wide_prob,
        book_rate(liq),
        int(rng.integers(2**31)),
    )
    mult = spec.volume_multiple
    volume = np.cumsum(dvol)
    amount = np.cumsum(np.round(notional * tick, 8) * step * mult)
    average = np.clip(amount / (volume * mult), _px(low, tick), _px(high, tick))
    oi = _open_interest(volume, inp.prev_oi, inp.eod_oi)
    volume, amount, oi = volume * div, amount * div, oi * div
    cols: dict[str, object] = {
        "symbol": np.full(n, spec.symbol, dtype=object),
        "datetime_ns": ts,
        "trading_day": np.full(n, day, dtype=object),
        "last_price": _px(last, tick),
        "average": average,
        "highest": _px(high, tick),
        "lowest": _px(low, tick),
    }
    for k in range(5):
        cols[f"bid_price{k + 1}"] = _px(bid[:, k], tick)
    for k in range(5):
        cols[f"bid_volume{k + 1}"] = bid_lots[:, k] * step
    for k in range(5):
        cols[f"ask_price{k + 1}"] = _px(ask[:, k], tick)
    for k in range(5):
        cols[f"ask_volume{k + 1}"] = ask_lots[:, k] * step
    cols.update(volume=volume, amount=amount, open_interest=oi)
    ticks = pd.DataFrame(cols)[TICK_COLUMNS]
    mid = (bid1 + ask1) / 2.0
    ahead = np.minimum(np.arange(n) + cfg.horizon, n - 1)
    decay = 1.0 - np.exp(-(t_s[ahead] - t_s) / cfg.alpha_tau_s)
    latent = pd.DataFrame(
        {
            "symbol": cols["symbol"],
            "datetime_ns": ts,
            "trading_day": cols["trading_day"],
            "fair_value": x * tick,
            "pressure": a,
            "drift_per_s": kappa * a * tick,
            "expected_mid_change": ((x - mid) + kappa * a * cfg.alpha_tau_s * decay) * tick,
        }
    )
    return ticks, latent


def _px(ticks: np.ndarray, tick: float) -> np.ndarray:
    """Tick indices to prices exactly on the decimal grid (0.02 * 34001 -> 680.02, not 680.0200001)."""
    return np.round(ticks * tick, 8)


def book_rate(liq: Liquidity) -> float:
    """Add/cancel events per second at L1, falling with the contract's typical snapshot gap."""
    return BOOK_RATE_MAIN * float(np.exp(-BOOK_RATE_GAP_POWER * liq.gap_log_median))


def _trade_volume(
    rng: np.random.Generator,
    dt_s: np.ndarray,
    night: np.ndarray,
    restart: np.ndarray,
    liq: Liquidity,
    night_factor: float,
    inp: DayInputs,
    div: int,
) -> np.ndarray:
    """Lots traded since the previous snapshot (lumpy: Poisson with a gamma-mixed rate).

    ``volume_per_min`` is the *reported* figure of the calibration era; where the exchange
    double-counts (``div`` 2) only half of it are real one-sided lots."""
    n = len(dt_s)
    rate = liq.volume_per_min / div / 60.0 * np.where(night, night_factor, 1.0)
    lam = rate * dt_s * rng.gamma(0.5, 2.0, n) * np.where(restart, OPEN_VOLUME_BOOST, 1.0)
    step = liq.lot_step
    dvol = rng.poisson(lam / step).astype(np.int64) * step
    dvol[0] = max(dvol[0], step)
    short = abs(inp.eod_oi - inp.prev_oi) - int(dvol.sum())
    if short > 0:  # a thin day must still trade enough to move OI to its closing value
        dvol[-1] += -(-short // step) * step
    return dvol


def _open_interest(volume: np.ndarray, prev_oi: int, eod_oi: int) -> np.ndarray:
    """OI path from yesterday's close to today's close, moving in proportion to traded volume."""
    return (prev_oi + np.rint((eod_oi - prev_oi) * volume / volume[-1])).astype(np.int64)
