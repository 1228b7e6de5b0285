"""The sim source: determinism, schema, book invariants, sessions, OI roll, predictability."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from ghtrader.market.calendar import CST_OFFSET_NS, NS_PER_S, TradingCalendar, date_to_index, session_mask
from ghtrader.market.contracts import ContractBook, ContractSpec
from ghtrader.schema import ASK_PRICE, ASK_VOLUME, BID_PRICE, BID_VOLUME, TICK_COLUMNS, TICK_SCHEMA, to_arrow
from ghtrader.sources.sim import LATENT_SIDECAR, SimConfig, SimSource
from ghtrader.sources.sim.calibration import oi_rule_mains
from ghtrader.sources.sim.day import LATENT_COLUMNS

DAY = dt.date(2025, 3, 10)  # a Monday: its night session is Friday 2025-03-07 evening
MAIN = "SHFE.cu2504"


@pytest.fixture(scope="module")
def src(calendar: TradingCalendar, book: ContractBook) -> SimSource:
    return SimSource(calendar, book)


@pytest.fixture(scope="module")
def cu_day(src: SimSource):
    return src.fetch_day(src.list_symbols("cu", DAY), DAY)


def local_hour(ts: np.ndarray) -> np.ndarray:
    return ((ts + CST_OFFSET_NS) // (3600 * NS_PER_S)) % 24


def assert_valid_ticks(df: pd.DataFrame, spec: ContractSpec, cal: TradingCalendar, day: dt.date) -> None:
    """Schema, book, cumulative-field, session and trading-day invariants of one contract-day."""
    assert list(df.columns) == TICK_COLUMNS
    to_arrow(df, TICK_SCHEMA)
    ts = df["datetime_ns"].to_numpy()
    assert df["datetime_ns"].dtype == np.int64 and (np.diff(ts) > 0).all()
    assert set(df["trading_day"]) == {day} and set(df["symbol"]) == {spec.symbol}
    bids, asks = df[BID_PRICE].to_numpy(), df[ASK_PRICE].to_numpy()
    assert (np.diff(bids, axis=1) < 0).all() and (np.diff(asks, axis=1) > 0).all()
    assert (asks[:, 0] > bids[:, 0]).all() and (bids > 0).all()
    assert (df[BID_VOLUME + ASK_VOLUME].to_numpy() > 0).all()
    prices = df[["last_price", "highest", "lowest", *BID_PRICE, *ASK_PRICE]].to_numpy() / spec.price_tick
    assert np.allclose(prices, np.rint(prices), atol=1e-6)
    last, hi, lo, avg = (df[c].to_numpy() for c in ("last_price", "highest", "lowest", "average"))
    assert (lo <= last).all() and (last <= hi).all() and (lo <= avg).all() and (avg <= hi).all()
    assert (np.diff(hi) >= 0).all() and (np.diff(lo) <= 0).all()
    vol, amount = df["volume"].to_numpy(), df["amount"].to_numpy()
    assert (np.diff(vol) >= 0).all() and vol[0] > 0
    traded, dvol = np.diff(amount, prepend=0.0), np.diff(vol, prepend=0)
    assert np.allclose(traded[dvol == 0], 0.0, atol=1e-3)
    # trades print inside the pre-trade book (previous snapshot's L5), not at the new quote
    vwap = traded[1:] / np.maximum(dvol[1:], 1) / spec.volume_multiple
    ok = (dvol[1:] > 0) & (np.diff(ts) < 600 * NS_PER_S)  # a session start rebuilds the book
    tol = 1e-6 * spec.price_tick
    for px in (vwap, last[1:]):
        assert (px[ok] >= bids[:-1, 4][ok] - tol).all() and (px[ok] <= asks[:-1, 4][ok] + tol).all()
    assert np.allclose(amount / (vol * spec.volume_multiple), avg, rtol=1e-9)
    oi_step = np.abs(np.diff(df["open_interest"].to_numpy()))
    assert (oi_step <= np.diff(vol)).all()
    mask = session_mask(cal, spec.sessions, ts, no_night_from=spec.delivery_month_start)
    assert mask.all()
    assert (cal.trading_day_index(ts) == date_to_index(day)).all()
    assert (ts % (NS_PER_S // 2) != 0).all()  # stamps jitter off the .000/.500 grid


def test_every_listed_contract_is_valid(cu_day, src: SimSource, calendar: TradingCalendar) -> None:
    assert sorted(cu_day.ticks) == sorted(src.list_symbols("cu", DAY)) and len(cu_day.ticks) == 12
    for symbol, df in cu_day.ticks.items():
        assert_valid_ticks(df, src.book.get(symbol), calendar, DAY)


def test_same_seed_same_frames_and_subset_range_independence(cu_day, calendar, book) -> None:
    fresh = SimSource(calendar, book, SimConfig())
    for d in calendar.trading_days("2025-03-03", "2025-03-07"):
        fresh.fetch_day(["SHFE.cu2506", MAIN], d)
    alone = fresh.fetch_day([MAIN], DAY)
    pd.testing.assert_frame_equal(alone.ticks[MAIN], cu_day.ticks[MAIN])
    pd.testing.assert_frame_equal(alone.sidecars[LATENT_SIDECAR][MAIN], cu_day.sidecars[LATENT_SIDECAR][MAIN])


def test_other_seed_gives_other_market(cu_day, calendar, book) -> None:
    other = SimSource(calendar, book, SimConfig(seed=7)).fetch_day([MAIN], DAY).ticks[MAIN]
    base = cu_day.ticks[MAIN]
    assert len(other) != len(base) or not np.array_equal(other["last_price"], base["last_price"])


def test_main_contract_rate_and_book_shape(cu_day) -> None:
    df = cu_day.ticks[MAIN]
    gaps = np.diff(df["datetime_ns"].to_numpy()) / NS_PER_S
    assert 0.45 < np.median(gaps[gaps < 60]) < 0.6  # ~2 Hz
    spread = np.rint((df["ask_price1"] - df["bid_price1"]) / 10.0)
    assert (spread == 1).mean() > 0.9
    assert 45_000 < len(df) < 60_000  # 3.75 h day + 4 h night at ~2 Hz
    assert 70_000 < df["last_price"].median() < 80_000


def test_friday_night_ticks_belong_to_monday(cu_day) -> None:
    ts = cu_day.ticks[MAIN]["datetime_ns"].to_numpy()
    local_date = ((ts + CST_OFFSET_NS) // (86400 * NS_PER_S)).astype("datetime64[D]")
    friday_evening = (local_date == np.datetime64("2025-03-07")) & (local_hour(ts) >= 21)
    assert friday_evening.sum() > 20_000
    saturday = local_date == np.datetime64("2025-03-08")
    assert (local_hour(ts)[saturday] < 1).all()  # only the tail of Friday's night session (to 01:00)
    assert not (local_date == np.datetime64("2025-03-09")).any()
    assert set(cu_day.ticks[MAIN].loc[friday_evening, "trading_day"]) == {DAY}


def test_no_night_after_holiday_nor_in_delivery_month(src: SimSource, calendar, cu_day) -> None:
    after_holiday = dt.date(2025, 2, 5)  # first day after Spring Festival: no night session
    assert not calendar.has_night_session(after_holiday)
    ts = src.fetch_day(["SHFE.cu2504"], after_holiday).ticks["SHFE.cu2504"]["datetime_ns"].to_numpy()
    assert ((local_hour(ts) >= 9) & (local_hour(ts) < 15)).all()
    delivery = cu_day.ticks["SHFE.cu2503"]  # in its delivery month on 2025-03-10
    hours = local_hour(delivery["datetime_ns"].to_numpy())
    assert ((hours >= 9) & (hours < 15)).all()
    assert np.median(np.diff(delivery["datetime_ns"].to_numpy())) / NS_PER_S > 2.0  # thin book


def test_nothing_after_last_trading_day(src: SimSource) -> None:
    last = src.book.get("SHFE.cu2503").last_trading_day
    assert last is not None
    after = src.calendar.next_trading_day(last)
    assert src.contract_day("SHFE.cu2503", last) is not None
    assert "SHFE.cu2503" not in src.list_symbols("cu", after)
    batch = src.fetch_day(["SHFE.cu2503"], after)
    assert batch.ticks == {} and batch.requested == ("SHFE.cu2503",)
    assert src.eod_open_interest("SHFE.cu2503", after) == 0


def test_cumulative_fields_reset_and_oi_chain(src: SimSource, cu_day) -> None:
    nxt = src.fetch_day([MAIN], dt.date(2025, 3, 11)).ticks[MAIN]
    today = cu_day.ticks[MAIN]
    assert nxt["volume"].iloc[0] < 0.05 * today["volume"].iloc[-1]
    assert today["open_interest"].iloc[-1] == src.eod_open_interest(MAIN, DAY)
    assert abs(nxt["open_interest"].iloc[0] - today["open_interest"].iloc[-1]) <= nxt["volume"].iloc[0]


def test_cu_main_rolls_in_march_2025_by_oi_rule(src: SimSource, calendar) -> None:
    days = calendar.trading_days("2025-02-28", "2025-03-28")
    mains = oi_rule_mains(src.eod_oi_table("cu", days))
    assert len(set(mains.values())) >= 2
    for day, main in mains.items():
        listed = src.list_symbols("cu", day)
        assert main in listed[1:3]  # 2nd or 3rd nearest month


def test_au_main_is_long_lived(src: SimSource, calendar) -> None:
    days = calendar.trading_days("2019-01-02", "2019-12-31")
    mains = pd.Series(oi_rule_mains(src.eod_oi_table("au", days)))
    assert mains[dt.date(2019, 9, 10)] == "SHFE.au1912"
    assert mains.value_counts().max() > 80  # one contract is main for 4+ months
    assert set(mains) <= {f"SHFE.au{y}{m}" for y in ("19", "20") for m in ("06", "12")}


def test_latent_sidecar_aligned_and_hidden(cu_day) -> None:
    latent = cu_day.sidecars[LATENT_SIDECAR]
    assert sorted(latent) == sorted(cu_day.ticks)
    for symbol, frame in latent.items():
        assert np.array_equal(frame["datetime_ns"].to_numpy(), cu_day.ticks[symbol]["datetime_ns"].to_numpy())
        assert set(LATENT_COLUMNS) <= set(frame.columns)
        assert not set(LATENT_COLUMNS) & set(cu_day.ticks[symbol].columns)


def _direction_data(
    src: SimSource, day: dt.date, horizon: int = 50
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    out = src.contract_day(MAIN, day)
    assert out is not None
    ticks, latent = out
    mid = ((ticks["bid_price1"] + ticks["ask_price1"]) / 2).to_numpy()
    move = mid[horizon:] - mid[:-horizon]
    label = np.where(move >= 10, 1, np.where(move <= -10, -1, 0))
    bid, ask = ticks[BID_VOLUME].to_numpy(), ticks[ASK_VOLUME].to_numpy()
    imb1 = (bid[:, 0] - ask[:, 0]) / (bid[:, 0] + ask[:, 0])
    imb5 = (bid.sum(1) - ask.sum(1)) / (bid.sum(1) + ask.sum(1))
    book = np.c_[imb1, imb5][:-horizon]
    oracle = latent[["expected_mid_change"]].to_numpy()[:-horizon]
    return book, oracle, label


def test_book_imbalance_predicts_direction_but_oracle_does_better(src: SimSource) -> None:
    x_tr, o_tr, y_tr = _direction_data(src, dt.date(2025, 3, 10))
    x_te, o_te, y_te = _direction_data(src, dt.date(2025, 3, 11))
    majority = np.bincount(y_te + 1).max() / len(y_te)
    book_acc = LogisticRegression().fit(x_tr, y_tr).score(x_te, y_te)
    oracle_acc = LogisticRegression().fit(o_tr, y_tr).score(o_te, y_te)
    assert book_acc > majority + 0.03
    assert oracle_acc > book_acc + 0.01
    assert oracle_acc < 0.9  # not a perfectly predictable market


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**31 - 1),
    offset=st.integers(0, 3600),
    var=st.sampled_from(["cu", "au", "ag"]),
    rank=st.integers(0, 11),
)
def test_invariants_hold_for_random_seeds_days_contracts(calendar, book, seed, offset, var, rank) -> None:
    day = calendar.next_trading_day(dt.date(2016, 2, 1) + dt.timedelta(days=offset))
    src = SimSource(calendar, book, SimConfig(seed=seed))
    symbol = src.list_symbols(var, day)[rank]
    out = src.contract_day(symbol, day)
    assert out is not None
    assert_valid_ticks(out[0], book.get(symbol), calendar, day)
