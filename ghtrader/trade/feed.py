"""Live feed batches -> the runner's event stream: ``MarketTick`` of the day's main contract, and
``AuxTick`` quotes of the aux streams of a feature set with cross-contract factors: the next contract
(role ``next``) and the partner variety's main contract (role ``pair``: au <-> ag; the feed then
carries both varieties).

Trap (aux alignment): a main tick's cross factors see the aux quotes stamped *strictly before* it, in
batch and online alike, so the order of an aux and a main quote with the same timestamp does not
change a value; ``merge_events`` still puts the aux first, as the research parity tests feed them.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from ghtrader.features.aux import contract_segment, next_after, partner_variety
from ghtrader.features.build import per_row_spec
from ghtrader.features.catalog import CROSS_ROLES
from ghtrader.features.engine import AuxTicks, tick_inputs
from ghtrader.market.clock import SessionClock
from ghtrader.market.contracts import ContractBook, variety_of
from ghtrader.trade.account import AuxTick, MarketTick

Event = MarketTick | AuxTick
ROLES = tuple(CROSS_ROLES)


def merge_events(market: Iterable[MarketTick], *aux: Iterable[AuxTick]) -> Iterator[Event]:
    """The streams (each already in time order) merged lazily by time; at equal ns the aux streams
    come first, in the order given, then the main ticks."""
    return heapq.merge(*aux, market, key=lambda e: e.datetime_ns)


def aux_events(aux: Mapping[str, AuxTicks]) -> list[Iterator[AuxTick]]:
    """Stored aux streams (``features.aux.range_aux``) as runner events: one stream per role."""

    def role_events(role: str, ts: np.ndarray, mid: np.ndarray, seg: np.ndarray) -> Iterator[AuxTick]:
        for i in range(len(ts)):
            yield AuxTick(role, int(ts[i]), float(mid[i]), int(seg[i]))

    return [role_events(role, *ticks) for role, ticks in aux.items()]


def feed_varieties(var: str, roles: Iterable[str]) -> tuple[str, ...]:
    """The varieties the runner's feed must carry: its own, and the partner's for role ``pair``."""
    return (var, partner_variety(var)) if "pair" in roles else (var,)


class MainResolver:
    """The main contract of one variety per trading day, and its segment id (moves on at each roll).

    The lake's roll schedule when it has the day, else the variety's listed contract with the largest
    open interest in the first batch of the day that has any of its rows."""

    def __init__(self, var: str, schedule: dict[str, str]) -> None:
        self.var, self.schedule = var, schedule
        self.day: str | None = None
        self.main: str | None = None
        self.segment = 0

    def update(self, rows: pd.DataFrame, day: str) -> str | None:
        """The day's main contract (None until a batch of the day has rows of the variety)."""
        if day == self.day:
            return self.main
        if day in self.schedule:
            main: str | None = self.schedule[day]
        else:
            mine = rows[rows["symbol"].map(variety_of) == self.var]
            if mine.empty:
                return None
            last = mine.sort_values("datetime_ns").groupby("symbol")["open_interest"].last()
            main = str(last.idxmax())
        if self.main is not None and main != self.main:
            self.segment += 1
        self.day, self.main = day, main
        return main


class TickAdapter:
    """Feed rows -> ``MarketTick`` of the day's main contract (research input conversion, runner segments)
    and ``AuxTick`` of the aux streams of ``roles``.

    A change of main contract is a roll: the segment id moves on, which resets the factor windows, as
    in research. ``next`` follows the research rule (``features.aux.next_after``: the first later
    delivery month with ticks that day), asked again of the contracts the feed has delivered so far that
    day whenever a batch brings one not seen before; its segment is the contract's ``yymm``. ``pair`` is
    the partner variety's main contract (resolved like the own one, from ``partner_schedule``), with its
    own roll segments. Trap: research sees the whole day, so if a farther month ticks before the nearer
    one does (a feed that delivers only the quotes that changed, an odd au/ag month that trades late),
    live follows the farther one until the nearer one's first quote and then switches to it (a new aux
    segment, as research has from the open): from then on the current-quote factors agree with research,
    the windowed ones once their window no longer reaches back before the switch.
    """

    def __init__(
        self,
        var: str,
        book: ContractBook,
        clock: SessionClock,
        schedule: dict[str, str],
        lead_s: float,
        roles: tuple[str, ...] = (),
        partner_schedule: dict[str, str] | None = None,
    ):
        bad = [r for r in roles if r not in ROLES]
        if bad:
            raise ValueError(f"unknown cross role(s) {', '.join(bad)} (known: {', '.join(ROLES)})")
        self.var, self.book, self.clock, self.lead_s = var, book, clock, lead_s
        self.roles = roles
        self.own = MainResolver(var, schedule)
        self.partner = MainResolver(partner_variety(var), partner_schedule or {}) if "pair" in roles else None
        self.day: str | None = None
        self.next: str | None = None
        self.seen: set[str] = set()
        self.index = 0

    @property
    def main(self) -> str | None:
        return self.own.main

    def convert(self, batch: pd.DataFrame) -> list[Event]:
        out: list[Event] = []
        for day, rows in batch.groupby("trading_day", sort=True):
            iso = day.isoformat() if hasattr(day, "isoformat") else str(day)
            if iso != self.day:
                self.day, self.next, self.seen = iso, None, set()
            fresh = False
            if self.roles:
                before = len(self.seen)
                self.seen.update(rows["symbol"].astype(str).unique())
                fresh = len(self.seen) > before
            pair: list[AuxTick] = []
            if self.partner is not None and (pmain := self.partner.update(rows, iso)) is not None:
                pair = self._aux("pair", rows[rows["symbol"] == pmain], self.partner.segment)
            nxt: list[AuxTick] = []
            main = self.own.update(rows, iso)
            if main is not None and "next" in self.roles:
                # a nearer month may have just shown up: ask the research rule again
                if self.next is None or fresh:
                    self.next = next_after(
                        self.book, main, dt.date.fromisoformat(iso), self.seen.__contains__
                    )
                if self.next is not None:
                    nxt = self._aux("next", rows[rows["symbol"] == self.next], contract_segment(self.next))
            market = self._market(rows[rows["symbol"] == main], iso, main) if main is not None else []
            out += merge_events(market, pair, nxt)
        return out

    @staticmethod
    def _aux(role: str, rows: pd.DataFrame, seg: int) -> list[AuxTick]:
        rows = rows.sort_values("datetime_ns", kind="stable")
        ts = rows["datetime_ns"].to_numpy(np.int64)
        mid = 0.5 * (rows["bid_price1"].to_numpy(np.float64) + rows["ask_price1"].to_numpy(np.float64))
        return [AuxTick(role, int(ts[i]), float(mid[i]), seg) for i in range(len(ts))]

    def _market(self, mine: pd.DataFrame, iso: str, main: str) -> list[MarketTick]:
        if mine.empty:
            return []
        mine = mine.sort_values("datetime_ns", kind="stable")
        mine = mine.assign(underlying_contract=main, segment_id=self.own.segment)
        pt, vm = per_row_spec(mine, self.book)
        xs, ts, dk, seg = tick_inputs(mine, pt, vm)
        bid, ask = mine["bid_price1"].to_numpy(np.float64), mine["ask_price1"].to_numpy(np.float64)
        lp = mine["last_price"].to_numpy(np.float64)
        out = []
        for i in range(len(mine)):
            close = self.clock.day_close_ns(int(ts[i]))
            closing = close is not None and close - int(ts[i]) <= self.lead_s * 1e9
            out.append(
                MarketTick(
                    self.index,
                    int(ts[i]),
                    iso,
                    int(dk[i]),
                    main,
                    int(seg[i]),
                    float(bid[i]),
                    float(ask[i]),
                    float(lp[i]),
                    xs[i],
                    False,
                    closing,
                )  # fmt: skip
            )
            self.index += 1
        return out
