"""The OI roll rule on the real cu2001/cu2002/cu2003 minute bars (their close_oi)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ghtrader.market.calendar import TradingCalendar, index_to_date
from ghtrader.schedule.oi_rule import compute_schedule, eod_oi_table
from ghtrader.testing import load_klines

pytestmark = pytest.mark.realdata

SYMBOLS = ["SHFE.cu2001", "SHFE.cu2002", "SHFE.cu2003"]


def _eod(real_data, calendar: TradingCalendar) -> pd.DataFrame:
    frames = []
    for sym in SYMBOLS:
        bars = load_klines(real_data, sym, 60)
        td = calendar.trading_day_index(bars["datetime_nano"].to_numpy(np.int64))
        bars["trading_day"] = [index_to_date(i) for i in td]
        last = bars.sort_values("datetime_nano").groupby("trading_day").tail(1)
        # only days whose closing minute (14:59) is present give a real end-of-day OI
        last = last[pd.to_datetime(last["datetime"]).dt.strftime("%H:%M") == "14:59"]
        frames.append(last[["trading_day", "symbol"]].assign(open_interest=last["close_oi"].astype(float)))
    return pd.concat(frames)


def test_every_switch_obeys_the_rule(real_data, calendar: TradingCalendar, book) -> None:
    """The fixtures are gappy (each contract covers its own window; they share only two closes).

    A contract missing on a day is a data gap, never a roll; a switch needs both contracts' closing
    OI on day T and takes effect on T+1.
    """
    eod = _eod(real_data, calendar)
    expiry = {s: book.get(s).last_trading_day for s in SYMBOLS}
    sched = compute_schedule(eod, expiry=expiry)
    table = eod_oi_table(eod)
    days = list(table.index)
    switches = 0
    for i in range(1, len(sched)):
        prev_day = days[i - 1]
        old, new = sched["main_contract"].iloc[i - 1], sched["main_contract"].iloc[i]
        oi = table.loc[prev_day]
        later = [s for s in SYMBOLS if s > old and not np.isnan(oi.get(s, np.nan))]
        if np.isnan(oi.get(old, np.nan)):
            assert new == old, "a data gap must not roll the main contract"
            continue
        if new != old:
            switches += 1
            # T+1 effect and threshold: decided on prev_day's closing OI
            assert oi[new] > 1.1 * oi[old], (sched.iloc[i].to_dict(), oi.to_dict())
            assert new > old  # never back to an earlier delivery month
            assert sched["segment_id"].iloc[i] == sched["segment_id"].iloc[i - 1] + 1
        else:
            assert all(oi[s] <= 1.1 * oi[old] for s in later), (prev_day, oi.to_dict())
            assert sched["segment_id"].iloc[i] == sched["segment_id"].iloc[i - 1]
    assert switches >= 1
    # cu2001 on its last day (2020-01-15) closed at 5,980 lots vs cu2003's 141,576: roll on 01-16
    row = sched[sched["trading_day"] == pd.Timestamp("2020-01-16").date()].iloc[0]
    assert row["main_contract"] == "SHFE.cu2003" and "> 1.1 x SHFE.cu2001" in row["reason"]
    assert (
        sched[sched["trading_day"] == pd.Timestamp("2020-01-15").date()]["main_contract"].iloc[0]
        == "SHFE.cu2001"
    )


def test_one_main_per_day_and_rule_uses_previous_close(calendar: TradingCalendar) -> None:
    import datetime as dt

    d = [dt.date(2025, 3, 3), dt.date(2025, 3, 4), dt.date(2025, 3, 5), dt.date(2025, 3, 6)]
    eod = pd.DataFrame(
        {
            "trading_day": [d[0], d[0], d[1], d[1], d[2], d[2], d[3], d[3]],
            "symbol": ["SHFE.cu2504", "SHFE.cu2505"] * 4,
            "open_interest": [100, 90, 100, 109, 100, 111, 50, 200],
        }
    )
    sched = compute_schedule(eod)
    # 109 is not > 1.1 x 100: hold; 111 on d2 is: switch effective d3, not d2
    assert sched["main_contract"].tolist() == ["SHFE.cu2504", "SHFE.cu2504", "SHFE.cu2504", "SHFE.cu2505"]
    assert sched["segment_id"].tolist() == [0, 0, 0, 1]
    assert sched["trading_day"].is_unique
