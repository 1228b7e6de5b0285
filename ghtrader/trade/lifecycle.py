"""Lifecycle of the trade runner (mixin of ``TradeRunner``): start or resume, kill requests, champion
hot reload, the stale-data timer.

Restart: records that change the account carry its state, so ``start`` resumes from the last one and
numbers new orders after the highest id ever logged (no duplicate ids after ``kill -9``); a position
the account holds other than the log says is reconciled (``ghtrader.trade.resume``): the account is
the truth, the working order is cancelled and the next tick re-decides through the risk checks.
"""

from __future__ import annotations

from typing import Any

from ghtrader.backtest.signals import OnlineSignal
from ghtrader.market.clock import SessionClock
from ghtrader.trade.account import Account
from ghtrader.trade.champion import Champion, ChampionRefused, ChampionWatcher, Expected
from ghtrader.trade.eventlog import EventLog, read_records
from ghtrader.trade.predict import Predictor
from ghtrader.trade.resume import last_logged, mismatch
from ghtrader.trade.risk import RiskEngine


class Lifecycle:
    """Mixin of ``TradeRunner``: the attributes below are the runner's."""

    cfg: Any
    champion: Champion
    expected: Expected
    account: Account
    risk: RiskEngine
    log: EventLog
    sessions: SessionClock
    watcher: ChampionWatcher | None
    signal: OnlineSignal
    predictor: Predictor
    names: tuple[str, ...]
    working: int
    asked: int | None
    order_seq: int
    kill_request: str | None
    refused: str | None
    reconciled: dict[str, Any] | None

    def _event(self, kind: str, **fields: Any) -> None: ...

    def _state(self) -> dict[str, Any]:
        raise NotImplementedError  # the runner's

    def start(self, **fields: Any) -> None:
        """Log the run start, or resume a run: the account as it is, reconciled with the log."""
        records = read_records(self.log.path)
        logged = last_logged(records, self.cfg.run_id, getattr(self.account, "order_ids", list)())
        self.order_seq = logged.next_order
        if records:
            self.account.resume(logged.account, logged.contract)
            own = self.account.working_target()
            self.working = own if own is not None else self.account.position
            diff = mismatch(logged, self.account.position) if self.account.kind != "paper" else None
            if diff is not None:  # the account is the truth; the next tick re-decides through the risk checks
                self.account.cancel_working()
                self.working, self.asked = self.account.position, None
                self.reconciled = diff
                self._event("reconcile", **diff, **self._state())
        self.log.append(
            "run_start" if not records else "run_resume",
            run_id=self.cfg.run_id,
            mode=self.cfg.mode,
            monitor_only=self.cfg.monitor_only,
            var=self.cfg.var,
            symbol=self.cfg.symbol,
            model=self.champion.describe(),
            features_hash=self.expected.features.hash,
            labels_hash=self.expected.labels.hash,
            limits=self.risk.limits.as_dict(),
            next_order=self.order_seq,
            position=self.account.position,
            killed=self.risk.state.killed,
            **fields,
        )

    def request_kill(self, reason: str = "manual") -> None:
        """Signal-safe: only sets a flag; the next tick flattens."""
        self.kill_request = reason

    def reset_kill(self) -> None:
        if self.risk.state.killed:
            self.risk.reset()
            self._event("kill_reset")

    def poll_champion(self) -> None:
        """Between ticks: adopt a new champion, or log its refusal and keep the old one."""
        if self.watcher is None:
            return
        res = self.watcher.poll()
        if isinstance(res, ChampionRefused):
            self.refused = str(res)
            self._event("model_refused", reason=str(res), keeps=self.champion.describe())
        elif isinstance(res, Champion):
            old = self.champion.describe()
            self.champion, self.refused = res, None
            self.predictor = Predictor(res, self.names)  # a window model starts with an empty window
            sig = res.signal
            self.signal.threshold, self.signal.max_pos, self.signal.hold = (
                sig.threshold,
                sig.max_pos,
                sig.hold,
            )
            self._event("model_switch", old=old, new=res.describe())

    def on_timer(self, now_ns: int) -> None:
        """No tick for a while: the stale-data pause."""
        in_session = self.sessions.in_session(now_ns)
        if self.risk.check_stale(now_ns, in_session):
            self._event(
                "risk_pause", now_ns=now_ns, reason="stale data", last_tick_ns=self.risk.state.last_tick_ns
            )
