"""The trade runner: tick -> online factors -> champion -> signal -> target -> risk -> account.

One ``on_tick`` per tick, the same code for paper, sim, live and replay (``on_event`` also takes the
``AuxTick`` quotes of a cross set's ``next`` contract, which only update the factor state):

1. fills of the working order (the account executes it on this tick), kill checks (loss, drawdown,
   manual request);
2. factors through ``OnlineFactorEngine`` (the research kernel), probabilities from the champion every
   ``infer_every`` ticks (``Predictor``: a factor row, or a window model's rolling window, which
   decides nothing until it is full), target lots from ``OnlineSignal`` (the research signal rule);
3. the target is forced to 0 when killed and at a block end (day close / roll), exactly where the
   research backtest flattens;
4. TargetPosTask routing: a changed target becomes one order (client id ``<run_id>-<n>``) at the
   opposite best, after ``RiskEngine.vet``; an unchanged target leaves the working order alone.

Every decision, order, fill, risk event, roll and model switch goes to the hash-chained event log.
Records that change the account carry its state (``account``), so a restart resumes from the last one
and numbers new orders after the highest id ever logged: no duplicate ids after ``kill -9``; a position
the account holds other than the log says is reconciled (``ghtrader.trade.resume``).

Trap (replay = research): outside a session (or while paused on stale data) nothing is routed, not
even a cancel, so the working order stays as it is; the research backtest mirrors this with
``hold_outside_sessions``. Any other refusal cancels the working order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ghtrader.backtest.signals import OnlineSignal
from ghtrader.features import kernels as K
from ghtrader.features.engine import FactorState, OnlineFactorEngine
from ghtrader.features.registry import feature_columns
from ghtrader.market.clock import SessionClock
from ghtrader.trade.account import Account, AuxTick, MarketTick
from ghtrader.trade.calibration import CalibrationConfig, OnlineCalibrator
from ghtrader.trade.champion import Champion, ChampionWatcher, Expected
from ghtrader.trade.eventlog import EventLog
from ghtrader.trade.feed import Event
from ghtrader.trade.lifecycle import Lifecycle
from ghtrader.trade.predict import Predictor
from ghtrader.trade.risk import RiskEngine
from ghtrader.trade.routing import Router


@dataclass(frozen=True)
class RunnerConfig:
    run_id: str
    var: str
    symbol: str
    mode: str
    monitor_only: bool = False
    infer_every: int = 1
    price_tick: float = 10.0
    volume_multiple: float = 5.0
    calibration: CalibrationConfig | None = None  # optional online calibration (off: research-equal)


class Hooks:
    """Metrics sinks (the daemon wires prometheus here; replay leaves them as no-ops)."""

    def latency(self, seconds: float) -> None: ...

    def event(self, kind: str) -> None: ...


class TradeRunner(Lifecycle, Router):
    def __init__(
        self,
        config: RunnerConfig,
        champion: Champion,
        expected: Expected,
        account: Account,
        risk: RiskEngine,
        log: EventLog,
        sessions: SessionClock,
        *,
        watcher: ChampionWatcher | None = None,
        hooks: Hooks | None = None,
        perf: Callable[[], float] = time.perf_counter,
        factor_state: FactorState | None = None,
    ) -> None:
        self.cfg = config
        self.champion = champion
        self.expected = expected
        self.account = account
        self.risk = risk
        self.log = log
        self.sessions = sessions
        self.watcher = watcher
        self.hooks = hooks or Hooks()
        self.perf = perf
        self.engine = self._new_engine(factor_state)
        self.signal = self._new_signal()
        self.names = tuple(feature_columns(expected.features))
        self.predictor = Predictor(champion, self.names)
        self.underlying: str | None = None
        self.working = 0  # the position the working order aims at
        self.asked: int | None = None  # the target that produced it
        self.order_seq = 0
        self.ticks = 0
        self.aux_ticks: dict[str, int] = dict.fromkeys(expected.features.cross, 0)  # quotes per aux role
        self.aux_last_ns: dict[str, int] = {}  # stamp of each role's last quote
        self.proba = np.full(3, np.nan)
        self.last_reject: str | None = None
        self.kill_request: str | None = None
        self.last_tick: MarketTick | None = None
        self.refused: str | None = None
        self.reconciled: dict[str, Any] | None = None  # the restart's reconciliation, if any
        self.calibrator = self._new_calibrator()

    def _new_calibrator(self) -> OnlineCalibrator | None:
        return OnlineCalibrator(self.cfg.calibration) if self.cfg.calibration is not None else None

    def _new_engine(self, state: FactorState | None = None) -> OnlineFactorEngine:
        return OnlineFactorEngine(
            self.expected.features,
            price_tick=self.cfg.price_tick,
            volume_multiple=self.cfg.volume_multiple,
            state=state.copy() if state is not None else None,
        )

    def _new_signal(self) -> OnlineSignal:
        s = self.champion.signal
        return OnlineSignal(threshold=s.threshold, max_pos=s.max_pos, hold=s.hold)

    # ------------------------------------------------------------------ the tick
    def on_event(self, ev: Event) -> None:
        """One event of the feed: an aux quote updates the cross factors' state only; a tick decides."""
        if isinstance(ev, AuxTick):
            self.on_aux(ev)
        else:
            self.on_tick(ev)

    def on_aux(self, a: AuxTick) -> None:
        """An aux quote (next contract, partner main): no decision, no log record, nothing routed."""
        self.engine.update_aux(a.role, a.datetime_ns, a.mid, a.segment)
        self.aux_ticks[a.role] += 1
        self.aux_last_ns[a.role] = max(a.datetime_ns, self.aux_last_ns.get(a.role, a.datetime_ns))

    def on_tick(self, t: MarketTick) -> int:
        """Process one tick; return the target decided on it."""
        t0 = self.perf()
        self.ticks += 1
        first_of_block = self.last_tick is None or self.last_tick.block_last
        if t.underlying != self.underlying:
            if self.underlying is not None:  # roll: the account closes the old contract, windows reset
                self._event("roll", ts=t.datetime_ns, old=self.underlying, new=t.underlying)
                first_of_block = True
            self.underlying = t.underlying
        if self.risk.on_tick(t.datetime_ns):
            self._event("risk_resume", ts=t.datetime_ns)
        fills = self.account.on_tick(t)
        if first_of_block:  # the account dropped the working order at the block change
            self.working, self.asked = self.account.position, None
        equity = self.account.equity()
        reasons = [self.risk.check_pnl(equity, t.trading_day)]
        if self.kill_request is not None:
            manual = f"manual: {self.kill_request}"
            reasons.append(manual if self.risk.kill(manual) else None)  # None: already latched
            self.kill_request = None
        for reason in filter(None, reasons):
            self._event(
                "kill", ts=t.datetime_ns, reason=reason, position=self.account.position, equity=equity
            )
        feats = self.engine.update_values(t.x, t.datetime_ns, t.day_key, t.segment)
        proba = self.predictor.step(feats, t, (self.ticks - 1) % self.cfg.infer_every == 0)
        if proba is not None:
            self.proba = proba
        warmup = self.predictor.warmup()
        if self.predictor.reset and warmup is not None:
            self._event(  # a new (day, segment) run: no decision before seq_len ticks
                "model_warmup", ts=t.datetime_ns, contract=t.underlying, segment=t.segment, seq_len=warmup[1]
            )
        use = self.proba
        if self.calibrator is not None:
            mid = 0.5 * (t.bid + t.ask)
            use, alert = self.calibrator.step((t.trading_day, t.segment), mid, float(t.x[K.PT]), self.proba)
            if alert:
                self._event("calibration_alert", ts=t.datetime_ns, alert=alert, ece=self.calibrator.ece())
        raw = self.signal.step(use, (t.trading_day, t.segment))
        target = raw
        why = None
        if self.risk.state.killed:
            target, why = 0, "killed"
        elif t.block_last or t.next_block_last:
            target, why = 0, "block_end"
        self.hooks.latency(self.perf() - t0)
        order = self._route(target, t)
        self.account.end_tick(t)
        rec: dict[str, Any] = {
            "ts": t.datetime_ns,
            "day": t.trading_day,
            "contract": t.underlying,
            "p": [float(v) for v in self.proba],
            "signal": raw,
            "target": target,
            "position": self.account.position,
        }
        if why:
            rec["why"] = why
        if warmup is not None:  # a window model without a full window: no decision
            rec["warmup"] = warmup
        if use is not self.proba:
            rec["p_cal"] = [float(v) for v in use]
        if fills:
            self._event("fill", ts=t.datetime_ns, fills=[f.as_dict() for f in fills], **self._state())
        if order is not None:
            self._event("order", **order, **self._state())
        self.log.append("decision", **rec)
        self.last_tick = t
        return target

    def _state(self) -> dict[str, Any]:
        return {"account": self.account.snapshot(), "working": self.working}

    def _event(self, kind: str, **fields: Any) -> None:
        self.hooks.event(kind)
        self.log.append(kind, **fields)

    def _aux_age(self) -> dict[str, float | None]:
        """Seconds from each aux role's last quote to the newest event seen (None: no quote yet). A far
        month quotes sparsely, so this is shown, not alarmed on; ``x*_aux_age_s`` carries it into the model."""
        stamps = [*self.aux_last_ns.values(), *([self.last_tick.datetime_ns] if self.last_tick else [])]
        now = max(stamps, default=0)
        return {
            r: round((now - self.aux_last_ns[r]) / 1e9, 3) if r in self.aux_last_ns else None
            for r in self.aux_ticks
        }

    def health(self) -> str | None:
        """Unhealthy while paused or killed (and say why)."""
        s = self.risk.state
        if s.killed:
            return f"killed: {s.kill_reason}"
        if s.paused:
            return "paused: stale data"
        return None

    def status(self) -> dict[str, Any]:
        return {
            "ticks": self.ticks,
            "aux_ticks": dict(self.aux_ticks),
            "aux_age_s": self._aux_age(),
            "position": self.account.position,
            "equity": self.account.equity(),
            "working": self.working,
            "orders": self.order_seq,
            "model": self.champion.describe(),
            "model_refused": self.refused,
            "reconciled": self.reconciled,
            "risk": self.risk.snapshot(),
        }
