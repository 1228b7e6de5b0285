"""Factor names, metadata and the frozen ``FeatureConfig`` with its stable hash.

The order of ``factor_specs(config)`` is the order in which the numba kernel
(``ghtrader.features.kernels.step``) writes its output row: the fixed per-tick factors first, then the
windowed families in config order. Changing what a factor means requires bumping ``FACTOR_VERSION`` so
that stored feature lakes refuse to mix old and new definitions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np

from ghtrader.features import catalog as C

FACTOR_VERSION = 1
PREFIX = "f_"


@dataclass(frozen=True)
class FactorSpec:
    """One output column: ``name`` (without ``f_``), its window (ticks; 0 = per tick), formula, family.

    Time-window factors (``..._30s``) report their window in seconds via ``window_s``.
    """

    name: str
    window: int
    description: str
    family: str = ""
    window_s: int = 0

    @property
    def column(self) -> str:
        return PREFIX + self.name


# Per-tick factors, in kernel output order. "prev" = the previous tick of the same segment.
INSTANT: tuple[tuple[str, str], ...] = (
    ("spread_ticks", "best ask - best bid, in price ticks"),
    ("rel_spread", "(ask1 - bid1) / mid"),
    ("microprice_dev_ticks", "size-weighted micro-price minus mid, in ticks (>0: bid queue heavier)"),
    ("imb_l1", "depth imbalance (bv1 - av1) / (bv1 + av1)"),
    ("imb_l3", "depth imbalance over levels 1-3 (NaN when a level is missing)"),
    ("imb_l5", "depth imbalance over levels 1-5 (NaN when a level is missing)"),
    ("imb_w5", "level-weighted (1/level) depth imbalance over levels 1-5"),
    ("ofi", "Cont-Kukanov-Stoikov order-flow imbalance at L1 vs prev tick (lots) = dq_bid - dq_ask"),
    ("dq_bid", "best-bid queue change: dv if price same, +v if bid rose, -v_prev if bid fell (lots)"),
    ("dq_ask", "best-ask queue change: dv if price same, +v if ask fell, -v_prev if ask rose (lots)"),
    ("dvol", "traded volume since prev tick (lots; NaN at the first tick of a trading day)"),
    ("damount", "traded amount since prev tick (NaN at the first tick of a trading day)"),
    ("vwap_mid_ticks", "snapshot trade VWAP (damount / dvol / volume_multiple) minus prev mid, in ticks"),
    ("signed_vol", "dvol signed by the side of the snapshot VWAP relative to prev mid (0 when no trade)"),
    ("oi_vol_ratio", "open-interest change / traded volume (+1 all opening, -1 all closing)"),
    ("dt_s", "seconds since prev snapshot"),
    ("doi", "open-interest change since prev tick (NaN at the first tick of a trading day)"),
    ("last_mid_ticks", "last price minus mid, in ticks"),
    ("log_depth_bid", "log(1 + total bid depth over levels 1-5)"),
    ("log_depth_ask", "log(1 + total ask depth over levels 1-5)"),
    ("log_depth_ratio", "log(1 + bid depth) - log(1 + ask depth), levels 1-5"),
    ("depth_slope_bid", "bid depth 1-5 per tick of price range: depth / ((bid1 - bid5) / tick + 1)"),
    ("depth_slope_ask", "ask depth 1-5 per tick of price range: depth / ((ask5 - ask1) / tick + 1)"),
    ("gap2_bid", "bid1 - bid2 in ticks"),
    ("gap2_ask", "ask2 - ask1 in ticks"),
    ("log_q_bid1", "log(1 + best bid queue)"),
    ("log_q_ask1", "log(1 + best ask queue)"),
    ("mid_chg_ticks", "mid minus prev mid, in ticks"),
)


@dataclass(frozen=True)
class FeatureConfig:
    """Windows (in ticks) of each windowed family and an optional subset of factor names to output.

    Windows never cross a segment (roll) boundary: after a segment change a window of ``w`` ticks is
    NaN until ``w`` more ticks (``w + 1`` for returns of lag ``w``) arrived.
    """

    ret_windows: tuple[int, ...] = (1, 5, 20, 100)
    rv_windows: tuple[int, ...] = (20, 100)
    ofi_windows: tuple[int, ...] = (10, 50)
    vol_windows: tuple[int, ...] = (20, 100)
    signed_vol_windows: tuple[int, ...] = (20, 100)
    doi_windows: tuple[int, ...] = (50,)
    rate_windows: tuple[int, ...] = (50,)
    factors: tuple[str, ...] | None = None
    extended: bool = False
    x_tick_windows: tuple[int, ...] = ()
    time_windows_s: tuple[int, ...] = ()
    cross: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for fam, ws in {
            **self.families(),
            "x_tick": self.x_tick_windows,
            "time": self.time_windows_s,
        }.items():
            if any(int(w) < 1 for w in ws) or len(set(ws)) != len(ws):
                raise ValueError(f"{fam} windows must be distinct positive ints, got {ws}")
        if not self.extended and (self.x_tick_windows or self.time_windows_s):
            raise ValueError("x_tick_windows / time_windows_s need extended=True")
        bad = [r for r in self.cross if r not in C.CROSS_ROLES]
        if bad or len(set(self.cross)) != len(self.cross):
            raise ValueError(f"cross roles must be distinct, of {', '.join(C.CROSS_ROLES)}; got {self.cross}")
        if self.factors is not None:
            known = {s.name for s in all_specs(self)}
            unknown = [f for f in self.factors if f not in known]
            if unknown:
                raise ValueError(f"unknown factors: {', '.join(unknown)}")

    def families(self) -> dict[str, tuple[int, ...]]:
        """Windowed families in kernel order."""
        return {
            "ret": self.ret_windows,
            "rv": self.rv_windows,
            "ofi": self.ofi_windows,
            "vol": self.vol_windows,
            "signed_vol": self.signed_vol_windows,
            "doi": self.doi_windows,
            "tick_rate": self.rate_windows,
        }

    @property
    def hash(self) -> str:
        """Stable 16-hex hash of the config and ``FACTOR_VERSION``."""
        d = asdict(self)
        for k in _EXT_FIELDS:  # absent when unused: the core set's hash predates the extended block
            if not d[k]:
                del d[k]
        d["version"] = FACTOR_VERSION
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, object]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> FeatureConfig:
        """Inverse of ``to_dict`` (as stored in ``_build.json``)."""
        kw = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}  # type: ignore[call-overload]
        return cls(**kw)  # type: ignore[arg-type]

    @property
    def ext_ring_length(self) -> int:
        """Rows of the extended ring: >= the longest tick window + 1 and 4 ticks/s of time window + 2."""
        t = max(self.x_tick_windows, default=0) + 1
        s = 4 * max(self.time_windows_s, default=0) + 2
        return max(t, s, 2)

    @property
    def ring_length(self) -> int:
        """History kept per series: the longest window plus the current tick."""
        return max((max(ws) for ws in self.families().values() if ws), default=1) + 1

    def params(self) -> np.ndarray:
        """Int64 parameter vector for the kernel: [ring, n per family..., windows...]."""
        fams = list(self.families().values())
        flat = [int(w) for ws in fams for w in ws]
        ext = [int(self.extended), self.ext_ring_length, len(self.x_tick_windows), len(self.time_windows_s)]
        ext += [int(w) for w in self.x_tick_windows] + [int(w) * 1_000_000_000 for w in self.time_windows_s]
        return np.array([self.ring_length, *[len(ws) for ws in fams], *flat, *ext], dtype=np.int64)


_EXT_FIELDS = ("extended", "x_tick_windows", "time_windows_s", "cross")


_WINDOWED: dict[str, str] = {
    "ret": "mid log-return over the last {w} ticks",
    "rv": "realized volatility: sqrt of the sum of squared 1-tick mid log-returns over {w} ticks",
    "ofi": "L1 order-flow imbalance summed over the last {w} ticks (lots)",
    "vol": "trade intensity: traded volume over the last {w} ticks (lots)",
    "signed_vol": "signed volume (see signed_vol) summed over the last {w} ticks",
    "doi": "open-interest change over the last {w} ticks",
    "tick_rate": "snapshot arrival rate over the last {w} ticks (ticks per second)",
}


def all_specs(config: FeatureConfig) -> tuple[FactorSpec, ...]:
    """Every factor ``config`` computes: the kernel's in its output order, then the cross block's."""
    return kernel_specs(config) + tuple(
        FactorSpec(f"x{role}_{n}", w, f"{d} [aux: {C.CROSS_ROLES[role]}]", "cross")
        for role in config.cross
        for n, w, d in C.CROSS
    )


def kernel_specs(config: FeatureConfig) -> tuple[FactorSpec, ...]:
    """The factors the numba kernel computes for ``config``, in its output order."""
    specs = [FactorSpec(n, 0, d, C.CORE_FAMILY[n]) for n, d in INSTANT]
    for fam, ws in config.families().items():
        specs += [
            FactorSpec(f"{fam}_{w}", int(w), _WINDOWED[fam].format(w=w), C.CORE_WINDOWED_FAMILY[fam])
            for w in ws
        ]
    if not config.extended:
        return tuple(specs)
    specs += [FactorSpec(n, 0, d, f) for n, f, d in C.EXT_INSTANT]
    for w in config.x_tick_windows:
        specs += [
            FactorSpec(f"{n}_{w}", int(w), d + C.TICK_TRAP.format(w=w), f) for n, f, d in C.NEW_WINDOWED
        ]
    for w in config.time_windows_s:
        specs += [
            FactorSpec(f"{n}_{w}s", 0, d.format(w=w) + C.TIME_TRAP.format(w=w), f, int(w))
            for n, f, d in (*C.TIME_CORE, *C.NEW_WINDOWED)
        ]
    return tuple(specs)


def factor_specs(config: FeatureConfig) -> tuple[FactorSpec, ...]:
    """The factors ``config`` outputs (its ``factors`` subset, in kernel order)."""
    specs = all_specs(config)
    if config.factors is None:
        return specs
    wanted = set(config.factors)
    return tuple(s for s in specs if s.name in wanted)


def selection(config: FeatureConfig) -> np.ndarray:
    """Indices of the output factors within the kernel's full output row."""
    specs = all_specs(config)
    if config.factors is None:
        return np.arange(len(specs), dtype=np.int64)
    wanted = set(config.factors)
    return np.array([i for i, s in enumerate(specs) if s.name in wanted], dtype=np.int64)


def feature_columns(config: FeatureConfig) -> list[str]:
    return [s.column for s in factor_specs(config)]
