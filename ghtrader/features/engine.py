"""Batch and incremental factor computation around the one jitted ``step``.

``compute_features`` turns a tick frame (main_l5 or a raw contract frame, sorted by ``datetime_ns``)
into a feature frame; ``OnlineFactorEngine.update`` feeds one tick at a time through the same kernel.
Both continue from a ``FactorState``, which is how the store-backed build resumes day by day.

Traps: ``price_tick`` / ``volume_multiple`` come from the contract spec of each row's underlying
contract (au's tick changed over time), so they may be per-row arrays; a raw frame without
``segment_id`` is one segment; depth volumes arrive as float64 with NaN for null levels.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.features import cross as X
from ghtrader.features import kernels as K
from ghtrader.features.registry import FeatureConfig, feature_columns, selection
from ghtrader.schema import ASK_PRICE, ASK_VOLUME, BID_PRICE, BID_VOLUME

INPUT_COLUMNS: list[str] = [
    *BID_PRICE,
    *ASK_PRICE,
    *BID_VOLUME,
    *ASK_VOLUME,
    "last_price",
    "volume",
    "amount",
    "open_interest",
]
KEY_COLUMNS = ["datetime_ns", "trading_day", "symbol", "underlying_contract", "segment_id"]
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
AuxTicks = tuple[np.ndarray, np.ndarray, np.ndarray]
"""One aux stream's ticks for the cross block: (datetime_ns int64, mid float64, segment int64), time-sorted."""


@dataclass
class FactorState:
    """Mutable kernel state (flat arrays) tied to a config hash; copy before sharing."""

    config_hash: str
    sf: np.ndarray
    si: np.ndarray

    @classmethod
    def fresh(cls, config: FeatureConfig) -> FactorState:
        """Empty windows: the kernel's state, then one cross block per aux role (``config.cross``)."""
        _, _, _, nf, ni, _ = K.sizes(config.params())
        nx = len(config.cross)
        sf = np.concatenate([np.zeros(nf), np.full(nx * X.NF, np.nan)])
        return cls(config.hash, sf, np.zeros(ni + nx * X.NI, dtype=np.int64))

    def cross_views(self, config: FeatureConfig) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(sf, si)`` views of each aux role's cross state (after the kernel's), in ``config.cross`` order."""
        _, _, _, nf, ni, _ = K.sizes(config.params())
        return [
            (self.sf[nf + j * X.NF : nf + (j + 1) * X.NF], self.si[ni + j * X.NI : ni + (j + 1) * X.NI])
            for j in range(len(config.cross))
        ]

    def copy(self) -> FactorState:
        return FactorState(self.config_hash, self.sf.copy(), self.si.copy())

    def to_bytes(self) -> bytes:
        """Deterministic ``.npz`` bytes (fixed zip timestamps, so equal states give equal files)."""
        buf = io.BytesIO()
        arrays = {"config_hash": np.array([self.config_hash]), "sf": self.sf, "si": self.si}
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
            for name, arr in arrays.items():
                part = io.BytesIO()
                np.lib.format.write_array(part, np.ascontiguousarray(arr), allow_pickle=False)
                zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), part.getvalue())
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, config: FeatureConfig) -> FactorState:
        """Load persisted state; refuse a state written under another config or another state layout."""
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            state = cls(str(z["config_hash"][0]), z["sf"].astype(np.float64), z["si"].astype(np.int64))
        fresh = cls.fresh(config)
        if state.config_hash != config.hash:
            raise ValueError(f"factor state is for config {state.config_hash}, not {config.hash}")
        if state.sf.shape != fresh.sf.shape or state.si.shape != fresh.si.shape:
            # same factors, older kernel state layout (e.g. the extended block's rings and deques)
            raise ValueError(
                f"factor state for config {config.hash} has an outdated kernel layout "
                "(factor values are unchanged): rebuild the features from a fresh state (--overwrite)"
            )
        return state


def _per_row(value: float | np.ndarray, n: int, name: str) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
    if n and not (np.isfinite(arr).all() and (arr > 0).all()):
        raise ValueError(f"{name} must be finite and > 0")
    return arr


def day_keys(trading_day: pd.Series | np.ndarray) -> np.ndarray:
    """Trading days (date objects or datetime64) as int64 days since 1970-01-01."""
    codes, uniques = pd.factorize(np.asarray(trading_day), sort=False)  # few distinct days: cheap
    if (codes < 0).any():
        raise ValueError("trading_day has missing values")
    return np.asarray(uniques, dtype="datetime64[D]").astype(np.int64)[codes]


def tick_inputs(
    df: pd.DataFrame, price_tick: float | np.ndarray, volume_multiple: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rows in the kernel input layout, datetime_ns, day keys, segment keys) of a tick frame."""
    n = len(df)
    xs = np.empty((n, K.NX), dtype=np.float64)
    for j, col in enumerate(INPUT_COLUMNS):
        xs[:, j] = df[col].to_numpy(dtype=np.float64, na_value=np.nan)
    xs[:, K.PT] = _per_row(price_tick, n, "price_tick")
    xs[:, K.VM] = _per_row(volume_multiple, n, "volume_multiple")
    ts = df["datetime_ns"].to_numpy(dtype=np.int64)
    seg = (
        df["segment_id"].to_numpy(dtype=np.int64)
        if "segment_id" in df.columns
        else np.zeros(n, dtype=np.int64)
    )
    return xs, ts, day_keys(df["trading_day"]), seg


def check_aux(config: FeatureConfig, aux: Mapping[str, AuxTicks] | None) -> Mapping[str, AuxTicks]:
    """``aux`` (or ``{}``) when it holds every cross role of ``config``; else one line naming the missing ones."""
    missing = [r for r in config.cross if aux is None or r not in aux]
    if missing:
        raise ValueError(
            f"feature config {config.hash} has cross-contract factors: pass the aux stream(s) "
            f"{', '.join(missing)} (ghtrader.features.aux reads them from the lake)"
        )
    return aux or {}


def compute_matrix(
    xs: np.ndarray,
    ts: np.ndarray,
    day: np.ndarray,
    seg: np.ndarray,
    config: FeatureConfig,
    state: FactorState,
    aux: Mapping[str, AuxTicks] | None = None,
) -> np.ndarray:
    """Run the kernel over all rows (mutating ``state``); return the selected factors (n, k) float64.

    ``aux``: the aux streams of ``config.cross`` (role -> ticks of the same span), for the cross block.
    """
    if state.config_hash != config.hash:
        raise ValueError(f"factor state is for config {state.config_hash}, not {config.hash}")
    aux = check_aux(config, aux)
    p = config.params()
    nk = K.sizes(p)[5]
    out = np.empty((xs.shape[0], nk + len(config.cross) * len(X.NAMES)), dtype=np.float64)
    # one array type per argument, so numba compiles (and caches) one specialization: a column of a
    # frame read from Parquet is read-only, one built in memory is not, and numba types them apart
    xs, ts, day, seg = (
        np.require(xs, np.float64, ["C", "W"]),
        *(np.require(a, np.int64, ["C", "W"]) for a in (ts, day, seg)),
    )
    K.kernels_for(config.extended)[1](xs, ts, day, seg, p, state.sf, state.si, out)
    if config.cross:
        mid = 0.5 * (xs[:, K.AP] + xs[:, K.BP])  # the kernel's mid, same bits
        for j, (role, (sf, si)) in enumerate(zip(config.cross, state.cross_views(config), strict=True)):
            o = nk + j * len(X.NAMES)
            out[:, o : o + len(X.NAMES)] = X.cross_matrix(ts, mid, xs[:, K.PT], seg, aux[role], sf, si)
    sel = selection(config)
    return out if len(sel) == out.shape[1] else np.ascontiguousarray(out[:, sel])


def compute_features(
    df: pd.DataFrame,
    config: FeatureConfig,
    *,
    price_tick: float | np.ndarray,
    volume_multiple: float | np.ndarray,
    state: FactorState | None = None,
    aux: Mapping[str, AuxTicks] | None = None,
) -> pd.DataFrame:
    """Feature frame of ``df`` (keys + one float64 ``f_*`` column per factor), continuing ``state``.

    ``state`` (mutated in place) carries windows over from the previous call; None starts fresh.
    ``aux``: the aux streams of a config with cross factors (see ``compute_matrix``).
    """
    state = state if state is not None else FactorState.fresh(config)
    values = compute_matrix(*tick_inputs(df, price_tick, volume_multiple), config, state, aux)
    out = pd.DataFrame(values, columns=feature_columns(config), copy=False)  # one float64 block
    src = df.reset_index(drop=True)
    has_seg = "segment_id" in src.columns
    keys = {
        "datetime_ns": src["datetime_ns"].astype(np.int64),
        "trading_day": src["trading_day"],
        "symbol": src["symbol"],
        "underlying_contract": src[
            "underlying_contract" if "underlying_contract" in src.columns else "symbol"
        ],
        "segment_id": src["segment_id"].astype(np.int32) if has_seg else np.zeros(len(src), dtype=np.int32),
    }
    for i, (name, col) in enumerate(keys.items()):
        out.insert(i, name, col)
    return out


class OnlineFactorEngine:
    """Tick-by-tick factors through the same jitted ``step`` as the batch build.

    A config with cross factors also needs each aux stream's ticks as they arrive (``update_aux``): a
    main tick sees the latest aux quote stamped strictly before it (``cross``).
    """

    def __init__(
        self,
        config: FeatureConfig,
        *,
        price_tick: float,
        volume_multiple: float,
        state: FactorState | None = None,
    ) -> None:
        self.config = config
        self.state = state if state is not None else FactorState.fresh(config)
        if self.state.config_hash != config.hash:
            raise ValueError(f"factor state is for config {self.state.config_hash}, not {config.hash}")
        self.price_tick = price_tick
        self.volume_multiple = volume_multiple
        self.columns = feature_columns(config)
        self._p = config.params()
        self._sel = selection(config)
        nk = K.sizes(self._p)[5]
        width = nk + len(config.cross) * len(X.NAMES)
        self._full = len(self._sel) == width
        self._out = np.empty(width, dtype=np.float64)
        self._x = np.empty(K.NX, dtype=np.float64)
        self._step = K.kernels_for(config.extended)[0]
        self._cross = [
            (role, sf, si, self._out[nk + j * len(X.NAMES) : nk + (j + 1) * len(X.NAMES)])
            for j, (role, (sf, si)) in enumerate(
                zip(config.cross, self.state.cross_views(config), strict=True)
            )
        ]

    def update_aux(self, role: str, ts: int, mid: float, seg: int = 0) -> None:
        """An aux tick of ``role`` (mid of its best quotes; ``seg`` changes when its contract changes)."""
        for r, sf, si, _ in self._cross:
            if r == role:
                X.cross_aux(int(ts), float(mid), int(seg), sf, si)
                return
        raise ValueError(f"no cross role {role!r} in this feature config (roles: {self.config.cross})")

    def update_values(self, x: np.ndarray, ts: int, day: int, seg: int) -> np.ndarray:
        """Consume one tick already in the kernel input layout; return its selected factors (a copy)."""
        self._step(x, ts, day, seg, self._p, self.state.sf, self.state.si, self._out)
        if self._cross:
            mid = 0.5 * (x[K.AP] + x[K.BP])
            for _, sf, si, o in self._cross:
                X.cross_main(ts, mid, x[K.PT], seg, sf, si, o)
        return self._out.copy() if self._full else self._out[self._sel]

    def update(
        self, row: Mapping[str, Any], *, price_tick: float | None = None, volume_multiple: float | None = None
    ) -> np.ndarray:
        """Consume one tick given as a mapping of tick fields (dict, pandas row); return its factors.

        ``segment_id`` is optional (0 when absent); ``trading_day`` may be a date or ISO string.
        """
        x = self._x
        for j, col in enumerate(INPUT_COLUMNS):
            v = row[col]
            x[j] = np.nan if v is None else v
        x[K.PT] = self.price_tick if price_tick is None else price_tick
        x[K.VM] = self.volume_multiple if volume_multiple is None else volume_multiple
        day = row["trading_day"]
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        seg = row.get("segment_id", 0)
        return self.update_values(x, int(row["datetime_ns"]), day.toordinal() - _EPOCH_ORDINAL, int(seg))
