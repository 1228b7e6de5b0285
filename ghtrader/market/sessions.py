"""Trading sessions per variety, in TqSdk's ``trading_time`` convention.

Times are seconds after midnight of the calendar day the session *starts* on; night sessions may
run past 24:00 (``"25:00:00"`` is 01:00 the next calendar day), exactly as ``quote.trading_time``
reports them. Night sessions belong to the *next* trading day (see ``calendar``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

VARIETIES = ("cu", "au", "ag")

Range = tuple[int, int]


def hms_to_seconds(text: str) -> int:
    """Parse ``HH:MM:SS`` (hours may exceed 23) to seconds."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"bad session time {text!r}")
    h, m = int(parts[0]), int(parts[1])
    s = int(float(parts[2])) if len(parts) == 3 else 0
    return h * 3600 + m * 60 + s


def seconds_to_hms(sec: int) -> str:
    return f"{sec // 3600:02d}:{sec % 3600 // 60:02d}:{sec % 60:02d}"


@dataclass(frozen=True)
class Sessions:
    """Day and night trading ranges ``(start_s, end_s)`` of one variety or contract."""

    day: tuple[Range, ...]
    night: tuple[Range, ...] = ()

    @classmethod
    def from_trading_time(cls, trading_time: Mapping[str, Sequence[Sequence[str]]]) -> Sessions:
        """Build from TqSdk's ``quote.trading_time`` (``{"day": [[a, b], ...], "night": [...]}``)."""

        def conv(key: str) -> tuple[Range, ...]:
            out = []
            for pair in trading_time.get(key) or []:
                a, b = hms_to_seconds(pair[0]), hms_to_seconds(pair[1])
                if b <= a:
                    raise ValueError(f"session {pair!r} ends before it starts")
                out.append((a, b))
            return tuple(sorted(out))

        return cls(day=conv("day"), night=conv("night"))

    def to_trading_time(self) -> dict[str, list[list[str]]]:
        return {
            "day": [[seconds_to_hms(a), seconds_to_hms(b)] for a, b in self.day],
            "night": [[seconds_to_hms(a), seconds_to_hms(b)] for a, b in self.night],
        }

    @property
    def day_seconds(self) -> int:
        return sum(b - a for a, b in self.day)

    @property
    def night_seconds(self) -> int:
        return sum(b - a for a, b in self.night)

    def without_night(self) -> Sessions:
        return Sessions(day=self.day, night=())


_DAY: tuple[Range, ...] = (
    (9 * 3600, 10 * 3600 + 900),
    (10 * 3600 + 1800, 11 * 3600 + 1800),
    (13 * 3600 + 1800, 15 * 3600),
)
_NIGHT_CU: tuple[Range, ...] = ((21 * 3600, 25 * 3600),)
_NIGHT_AU_AG: tuple[Range, ...] = ((21 * 3600, 26 * 3600 + 1800),)

DEFAULT_SESSIONS: dict[str, Sessions] = {
    "cu": Sessions(day=_DAY, night=_NIGHT_CU),
    "au": Sessions(day=_DAY, night=_NIGHT_AU_AG),
    "ag": Sessions(day=_DAY, night=_NIGHT_AU_AG),
}


def variety_sessions(var: str) -> Sessions:
    """Return the built-in session table of a variety (SPEC §4.2)."""
    try:
        return DEFAULT_SESSIONS[var]
    except KeyError:
        raise ValueError(f"unknown variety {var!r}; expected one of {', '.join(VARIETIES)}") from None
