"""The model the runner trades: the promotion registry's champion, verified before it is used.

``load_champion`` reads ``runs/promotion/<var>/champion.json``, loads the artifact for serving through
``ghtrader.models.serving.load_serving_model`` (tabular models natively, window models such as the TCN
with onnxruntime on one thread; every file it uses is sha256-checked against meta.json) and refuses a
model trained on other features or labels than the runner computes: the feature config hash, the
feature column list and the label config hash in the model's meta must equal the runner's, and a
window model's input columns must be the ones ``ghtrader.models.deep.inputs.window_inputs`` builds.
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
from ghtrader.models.base import read_meta
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
    model: Any  # a ``ServingModel`` (tests may script any object with ``predict_proba``)
    meta: dict[str, Any]
    signal: SignalRule
    horizon: int
    pointer_key: str

    def describe(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "model": self.meta.get("model"), "path": str(self.path)}

    @property
    def input_kind(self) -> str:
        """``rows`` (one factor row per tick) or ``windows`` (the last ``seq_len`` input rows)."""
        return str(getattr(self.model, "input_kind", "rows"))

    def proba_one(self, x: np.ndarray) -> np.ndarray:
        """(3,) DOWN/FLAT/UP for one feature row or one window (float32, as research predicted)."""
        arr = np.asarray(x, dtype=np.float32)
        windows = self.input_kind == "windows"
        fast = getattr(self.model, "predict_proba_one", None)
        if fast is not None:
            return np.asarray(fast(arr if windows else arr.reshape(1, -1)))
        return np.asarray(self.model.predict_proba(arr[None] if windows else arr.reshape(1, -1))[0])


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

    def check_inputs(self, model: Any, meta: dict[str, Any]) -> None:
        """A window model must read the input columns the runner builds (book block, then factors)."""
        if getattr(model, "input_kind", "rows") != "windows":
            return
        from ghtrader.models.deep.inputs import BOOK_COLUMNS, window_inputs

        names = tuple(feature_columns(self.features))
        empty = np.zeros((0, len(BOOK_COLUMNS)), dtype=np.float32)
        try:
            _, cols = window_inputs(
                (meta.get("params") or {}).get("inputs", ""), empty, np.zeros((0, len(names))), names
            )
        except ValueError as exc:
            raise ChampionRefused(str(exc)) from None
        if tuple(model.columns) != cols:
            raise ChampionRefused("window input columns differ from the runner's book + feature set")


def pointer_path(runs_dir: Path, var: str) -> Path:
    return registry_dir(runs_dir, var) / "champion.json"


def _pointer_key(pointer: dict[str, Any]) -> str:
    return f"{pointer.get('run_id')}@{pointer.get('promoted_at')}"


def load_from_pointer(pointer: dict[str, Any], expected: Expected) -> Champion:
    """Load and verify the artifact a champion pointer names."""
    from ghtrader.models.serving import load_serving_model

    path = Path(pointer["path"])
    try:
        expected.check(read_meta(path))  # cheap refusals before any model file is read
        model = load_serving_model(path, backend="onnx", threads=1)
    except ChampionRefused:
        raise
    except Exception as exc:  # unreadable/tampered files, a broken ONNX graph, onnxruntime missing
        raise ChampionRefused(f"champion {pointer.get('run_id')} does not load: {exc}") from None
    meta = model.meta
    expected.check_inputs(model, meta)
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
