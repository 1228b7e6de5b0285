"""ghTrader tier-2 vs hftbacktest 2.4.4: the same market maker, latency and risk-averse queue model.

Run: ``.venv/bin/python benchmarks/bench_tier2_hftbacktest.py`` -> ``benchmarks/results/tier2_hftbacktest.json``.

Data: 5 sim days of SHFE.cu2505 (event-driven sim book) and the real cu1909 fixture (200 snapshots,
pre-2020 double-counted volume halved by ``prepare``). Each trading day is one block, converted to
hftbacktest events by ``ghtrader.backtest.tier2.hftconvert`` (same trade prints as our kernel).
Strategy (both engines): join the best bid and ask with 1 lot while ``|position| + 1 <= 3``; cancel
an acknowledged quote when its best moves; GTC limit; constant latency (feed 20 ms, entry 10 ms,
response 10 ms); no partial fills (hftbacktest's ``NoPartialFillExchange``); no fees. Compared:
maker fills, average fill price, and throughput (snapshots per CPU second of the replay, warm,
best of N interleaved runs, N chosen so each engine runs >= ~0.3 CPU s in all: CPU time, because the
shared cores are busy with other work; both engines are single-threaded; conversion to either
engine's input is excluded for both). ``speed_ratio`` sets ghTrader's whole ``run_tier2`` call plus
its fill read-out (``Tier2Result.fill_stats``) against hftbacktest's replay loop alone;
``..._end_to_end`` adds hftbacktest's engine construction (loading its events) and result read-out.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
from numba import njit

from ghtrader.backtest.tier2.engine import MarketMaker, Tier2Config, run_tier2
from ghtrader.backtest.tier2.hftconvert import block_ranges, to_hftbacktest
from ghtrader.backtest.tier2.snapshots import Snapshots, prepare
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.sources.sim import SimSource
from ghtrader.testing import real_data_dir, real_tick_csv

SIM_SYMBOL = "SHFE.cu2505"
SIM_DAYS = [dt.date(2025, 3, d) for d in (3, 4, 5, 6, 7)]
FEED_MS, ENTRY_MS, RESP_MS = 20.0, 10.0, 10.0
SIZE, MAX_POS = 1.0, 3.0
OUT = Path(__file__).resolve().parent / "results" / "tier2_hftbacktest.json"
# agreement tolerances (stated up front): fills within 10 %, average fill price within 1 tick
FILL_TOL, PRICE_TOL_TICKS = 0.10, 1.0


def hft_strategy():  # noqa: ANN201 - returns a numba dispatcher
    from hftbacktest import BUY, GTC, LIMIT, SELL

    @njit
    def run(hbt, local_ts, size, max_pos):  # noqa: ANN001, ANN202
        oid = 0
        hbt.elapse(1)  # the clock starts at the first event
        for i in range(len(local_ts)):
            now = hbt.current_timestamp
            if local_ts[i] > now and hbt.elapse(local_ts[i] - now) == 1:
                break  # end of data
            if i == len(local_ts) - 1:
                break  # block end: ghTrader flattens here (forced fills are not compared)
            hbt.clear_inactive_orders(0)
            depth = hbt.depth(0)
            bb, ba = depth.best_bid, depth.best_ask
            if not (np.isfinite(bb) and np.isfinite(ba)) or bb >= ba:
                continue
            pos = hbt.position(0)
            has_buy, has_sell = False, False
            values = hbt.orders(0).values()
            while values.has_next():
                o = values.get()
                if o.side == BUY:
                    has_buy = True
                    if o.cancellable and (o.price != bb or pos + size > max_pos):
                        hbt.cancel(0, o.order_id, False)
                elif o.side == SELL:
                    has_sell = True
                    if o.cancellable and (o.price != ba or -pos + size > max_pos):
                        hbt.cancel(0, o.order_id, False)
            if not has_buy and pos + size <= max_pos:
                oid += 1
                hbt.submit_buy_order(0, oid, bb, size, GTC, LIMIT, False)
            if not has_sell and -pos + size <= max_pos:
                oid += 1
                hbt.submit_sell_order(0, oid, ba, size, GTC, LIMIT, False)
        return oid

    return run


def run_hftbacktest(snap: Snapshots, strategy) -> tuple[dict[str, float], float, float]:  # noqa: ANN001
    """Per-block sums: maker fills, lots, value; replay CPU seconds; end-to-end CPU seconds (engine
    construction with its data, replay, results; event conversion excluded)."""
    from hftbacktest import BacktestAsset, HashMapMarketDepthBacktest

    fills = lots = value = events_n = 0.0
    secs = total = 0.0
    for lo, hi in block_ranges(snap):
        c = snap.contract[lo]
        events = to_hftbacktest(snap, lo, hi, int(FEED_MS * 1e6))
        events_n += len(events)
        t_build = time.process_time()
        asset = (
            BacktestAsset()
            .data(events)
            .linear_asset(1.0)
            .constant_order_latency(int(ENTRY_MS * 1e6), int(RESP_MS * 1e6))
            .risk_adverse_queue_model()
            .no_partial_fill_exchange()
            .trading_value_fee_model(0.0, 0.0)
            .tick_size(float(snap.tick[c]))
            .lot_size(1.0)
        )
        hbt = HashMapMarketDepthBacktest([asset])
        local_ts = snap.ts[lo:hi] + int(FEED_MS * 1e6)
        t0 = time.process_time()
        strategy(hbt, local_ts, SIZE, MAX_POS)
        secs += time.process_time() - t0
        sv = hbt.state_values(0)
        fills += sv.num_trades
        lots += sv.trading_volume
        value += sv.trading_value
        hbt.close()
        total += time.process_time() - t_build
    out = {
        "fills": fills,
        "lots": lots,
        "avg_price": value / lots if lots else float("nan"),
        "events": events_n,
    }
    return out, secs, total


def run_ghtrader(snap: Snapshots, book: ContractBook) -> tuple[dict[str, float], float, float]:
    cfg = Tier2Config(md_latency_ms=FEED_MS, entry_latency_ms=ENTRY_MS, response_latency_ms=RESP_MS,
                      queue_model="risk_averse", partial_fills=False)  # fmt: skip
    t0 = time.process_time()
    res = run_tier2(snap, book=book, maker=MarketMaker(int(SIZE), int(MAX_POS)), config=cfg, analytics=False)
    stats = res.fill_stats()
    secs = time.process_time() - t0
    return stats, secs, secs


def compare(name: str, snap: Snapshots, book: ContractBook, strategy) -> dict[str, object]:  # noqa: ANN001
    _, g_warm, _ = run_ghtrader(snap, book)  # warm (JIT)
    _, h_warm, _ = run_hftbacktest(snap, strategy)
    repeats = int(min(200, max(3, 0.3 / max(g_warm, h_warm, 1e-6))))
    g_best = h_best = h_total = float("inf")
    for _ in range(repeats):
        g, gs, _ = run_ghtrader(snap, book)
        h, hs, ht = run_hftbacktest(snap, strategy)
        g_best, h_best, h_total = min(g_best, gs), min(h_best, hs), min(h_total, ht)
    n = len(snap.ts)
    tick = float(snap.tick[0])
    fill_diff = abs(g["fills"] - h["fills"]) / max(h["fills"], 1.0)
    price_diff = abs(g["avg_price"] - h["avg_price"]) / tick
    return {
        "case": name,
        "snapshots": n,
        "repeats": repeats,
        "ghtrader": g,
        "hftbacktest": h,
        "fill_diff_rel": fill_diff,
        "avg_price_diff_ticks": price_diff,
        "agree": bool(fill_diff <= FILL_TOL and price_diff <= PRICE_TOL_TICKS),
        "ghtrader_snapshots_per_s": n / g_best,
        "hftbacktest_snapshots_per_s": n / h_best,
        "hftbacktest_events_per_s": h["events"] / h_best,
        "speed_ratio": h_best / g_best,
        "hftbacktest_end_to_end_snapshots_per_s": n / h_total,
        "speed_ratio_end_to_end": h_total / g_best,
    }


def main() -> dict[str, object]:
    cal = TradingCalendar.bundled()
    book = ContractBook.load(cal)
    src = SimSource(cal, book)
    frames = [src.contract_day(SIM_SYMBOL, d)[0] for d in SIM_DAYS]  # type: ignore[index]
    sim = prepare(pd.concat(frames, ignore_index=True), book)
    strategy = hft_strategy()
    cases = [compare(f"sim {SIM_SYMBOL} x{len(SIM_DAYS)} days", sim, book, strategy)]
    root = real_data_dir()
    if root is not None:
        real = pd.read_csv(real_tick_csv(root)).rename(columns={"datetime_nano": "datetime_ns"})
        real["trading_day"] = dt.date(2019, 9, 12)
        cases.append(compare("real SHFE.cu1909 2019-09-12", prepare(real, book), book, strategy))
    result = {
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "latency_ms": {"feed": FEED_MS, "entry": ENTRY_MS, "response": RESP_MS},
        "tolerance": {"fills_rel": FILL_TOL, "avg_price_ticks": PRICE_TOL_TICKS},
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2, default=float) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2, default=float))
