"""Feed health of the live recorder (mixin of ``Recorder``): symbols silent inside their session.

Trap: "silent" is measured in wall seconds since the symbol's last kept tick, or since its session
opened (mapped to wall time with ``wall_at``, so a virtual sim clock works too), or since the
recorder started, whichever is latest: a symbol is never stale before its session opens or before
the recorder could have seen it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ghtrader.live.clock import SymbolSessions
from ghtrader.live.recorder_config import RecorderConfig


class RecorderHealth:
    """Mixin of ``Recorder``: the attributes below are the recorder's."""

    config: RecorderConfig
    sessions: SymbolSessions
    subscribed: tuple[str, ...]
    last_tick_wall: dict[str, float]
    started_wall: float
    wall: Callable[[], float]
    wall_at: Callable[[int], float]
    market_now: Callable[[], int]

    def stale_symbols(self, symbols: Iterable[str] | None = None) -> dict[str, float]:
        """Subscribed symbols inside their session with no tick for more than ``stale_s`` wall seconds."""
        now_wall = self.wall()
        now_ns = self.market_now()
        out = {}
        for s in symbols if symbols is not None else self.subscribed:
            opened = self.sessions.session_start(s, now_ns)
            if opened is None:
                continue
            since = max(self.last_tick_wall.get(s, self.started_wall), self.wall_at(opened))
            if now_wall - since > self.config.stale_s:
                out[s] = round(now_wall - since, 1)
        return out

    def health_check(self) -> str | None:
        stale = self.stale_symbols()
        if not stale:
            return None
        worst = max(stale, key=lambda k: stale[k])
        return f"{len(stale)} symbols stale in session (worst {worst}: {stale[worst]}s without a tick)"
