"""The model the runner trades: the promotion registry's champion, verified before it is used.

``load_champion`` reads ``runs/promotion/<var>/champion.json``, loads the artifact through
``ghtrader.models.base.load_artifact`` (every model file's sha256 checked against its meta.json) and
refuses a model trained on other features or labels than the runner computes: the feature config
hash, the feature column list and the label config hash in the model's meta must equal the runner's.
``ChampionWatcher.poll`` is called between ticks; it re-reads the pointer only when the file changed
(stat), and returns the new champion or the refusal, so the old model keeps trading on a refusal.

Trap: a pointer can change while the model it names is being copied or pruned; a failed load is a
refusal (logged, shown in health) and is retried only when the pointer changes again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ghtrader.features.registry import FeatureConfig, feature_columns
from ghtrader.labels.core import LabelConfig
from ghtrader.models.base import load_artifact, read_meta
from ghtrader.promotion.registry import registry_dir


class ChampionRefused(ValueError):
    """The champion cannot be used (missing, unreadable, tampered, or trained on other inputs)."""


@dataclass(frozen=True)
class SignalRule:
    """Probabilities -> target lots, as research scored it (``ghtrader.backtest.signal_from_proba``)."""

    threshold: float = 0.8
    max_pos: int = 1
    hold: bool = True

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> SignalRule:
        sig = meta.get("signal") or {}
        return cls(float(sig.get("threshold", 0.8)), int(sig.get("max_pos", 1)), bool(sig.get("hold", True)))


@dataclass(frozen=True)
class Champion:
    """A loaded, verified champion."""

    run_id: str
    path: Path
    model: Any
    meta: dict[str, Any]
    signal: SignalRule
    horizon: int
    pointer_key: str

    def describe(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "model": self.meta.get("model"), "path": str(self.path)}

    def proba_one(self, x: np.ndarray) -> np.ndarray:
        """(3,) DOWN/FLAT/UP for one feature row (float32, as research trained and predicted)."""
        row = np.asarray(x, dtype=np.float32).reshape(1, -1)
        fast = getattr(self.model, "predict_proba_one", None)
        return np.asarray(fast(row) if fast is not None else self.model.predict_proba(row)[0])


@dataclass(frozen=True)
class Expected:
    """What the runner computes: the model must have been trained on exactly this."""

    features: FeatureConfig
    labels: LabelConfig

    def check(self, meta: dict[str, Any]) -> None:
        data = meta.get("data") or {}
        f_hash = (data.get("features") or {}).get("config_hash")
        l_hash = (data.get("labels") or {}).get("config_hash")
        problems = []
        if f_hash != self.features.hash:
            problems.append(f"feature config hash {f_hash} != runner's {self.features.hash}")
        if list(meta.get("feature_names") or []) != feature_columns(self.features):
            problems.append("feature columns differ from the runner's feature set")
        if l_hash != self.labels.hash:
            problems.append(f"label config hash {l_hash} != runner's {self.labels.hash}")
        if problems:
            raise ChampionRefused("; ".join(problems))


def pointer_path(runs_dir: Path, var: str) -> Path:
    return registry_dir(runs_dir, var) / "champion.json"


def _pointer_key(pointer: dict[str, Any]) -> str:
    return f"{pointer.get('run_id')}@{pointer.get('promoted_at')}"


def load_from_pointer(pointer: dict[str, Any], expected: Expected) -> Champion:
    """Load and verify the artifact a champion pointer names."""
    path = Path(pointer["path"])
    try:
        meta0 = read_meta(path)
    except (OSError, ValueError) as exc:
        raise ChampionRefused(f"champion {pointer.get('run_id')} does not load: {exc}") from None
    if "model.onnx" in (meta0.get("files") or {}):
        raise ChampionRefused(
            f"champion {pointer.get('run_id')} is a sequence model ({meta0.get('model')}): the runner serves "
            "factor-row models only (lgbm, logistic, xgboost)"
        )
    try:
        model, meta = load_artifact(path)
    except (OSError, ValueError, KeyError) as exc:
        raise ChampionRefused(f"champion {pointer.get('run_id')} does not load: {exc}") from None
    expected.check(meta)
    return Champion(
        run_id=str(meta.get("run_id", pointer.get("run_id"))),
        path=path,
        model=model,
        meta=meta,
        signal=SignalRule.from_meta(meta),
        horizon=int(meta.get("horizon", 0)),
        pointer_key=_pointer_key(pointer),
    )


def read_pointer(runs_dir: Path, var: str) -> dict[str, Any]:
    path = pointer_path(runs_dir, var)
    try:
        pointer: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise ChampionRefused(f"no champion for {var}: {path} is missing (ghtrader promote first)") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ChampionRefused(f"unreadable champion pointer {path}: {exc}") from None
    return pointer


def load_champion(runs_dir: Path, var: str, expected: Expected) -> Champion:
    return load_from_pointer(read_pointer(runs_dir, var), expected)


class ChampionWatcher:
    """Detect pointer changes (promotion, rollback) cheaply; load the new champion or refuse it."""

    def __init__(self, runs_dir: Path, var: str, expected: Expected, current: Champion) -> None:
        self.path = pointer_path(runs_dir, var)
        self.runs_dir, self.var, self.expected = runs_dir, var, expected
        self.current_key = current.pointer_key
        self._stat = self._sig()
        self.refused: str | None = None

    def _sig(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def poll(self) -> Champion | ChampionRefused | None:
        """None when nothing changed; the new ``Champion``; or the ``ChampionRefused`` to log."""
        sig = self._sig()
        if sig == self._stat:
            return None
        self._stat = sig
        try:
            pointer = read_pointer(self.runs_dir, self.var)
            if _pointer_key(pointer) == self.current_key:
                self.refused = None
                return None
            champ = load_from_pointer(pointer, self.expected)
        except ChampionRefused as exc:
            self.refused = str(exc)
            return exc
        self.current_key = champ.pointer_key
        self.refused = None
        return champ
