"""Load a saved model artifact for inference: ``load_serving_model(artifact_dir).predict_proba(x)``.

This is the one entry point the trade runner uses to serve the promoted champion::

    from ghtrader.models.serving import load_serving_model

    m = load_serving_model(champion_dir)          # sha256 of every file checked against meta.json
    m.input_kind     # "rows": x is (n, n_features) factor rows, columns m.columns (the f_* names)
                     # "windows": x is (n, m.seq_len, n_features) or one (m.seq_len, n_features)
                     #   window of the last seq_len ticks of the *same* segment and trading day,
                     #   oldest first; build rows with ghtrader.models.deep.inputs.book_rows (book
                     #   block) followed by the factor columns named in m.columns
    proba = m.predict_proba(x)                    # (n, 3) float64, DOWN/FLAT/UP, rows sum to 1
    p1 = m.predict_proba_one(row_or_window)        # (3,) for one row / one window (the runner's call;
                                                  #   tabular: the native fast path, the same numbers)
    m.threshold      # signal threshold tuned inside the training folds (None: not recorded)

Deep models are served with onnxruntime on ``model.onnx`` (``backend="onnx"``, single-threaded, CPU)
or with the TorchScript file (``backend="torchscript"``); tabular models are served natively
(``backend`` is ignored for them). A window never holds ticks of another trading day or contract:
the trade runner decides only once ``seq_len`` ticks of the current (segment, day) run are in
(``ghtrader.trade.predict``), exactly the windows training uses; the walk-forward evaluation pads the
first ticks of a run with its first snapshot instead (``SequenceDataset.padded``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ghtrader.models.base import load_artifact, read_meta
from ghtrader.store.files import sha256_file

BACKENDS = ("onnx", "torchscript", "native")


@dataclass(frozen=True)
class ServingModel:
    """A loaded, verified model ready for ``predict_proba``."""

    name: str
    input_kind: str
    seq_len: int | None
    columns: tuple[str, ...]
    threshold: float | None
    backend: str
    meta: dict[str, Any]
    _run: Any
    _one: Any = None  # tabular fast path for one row (same numbers as ``_run``)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probabilities (n, 3) for factor rows or windows (see the module docstring)."""
        arr = np.asarray(x, dtype=np.float32)
        if self.input_kind == "windows":
            if arr.ndim == 2:
                arr = arr[None]
            if arr.ndim != 3 or arr.shape[1:] != (self.seq_len, len(self.columns)):
                raise ValueError(
                    f"{self.name}: expected windows (n, {self.seq_len}, {len(self.columns)}), got {arr.shape}"
                )
        elif arr.ndim != 2 or arr.shape[1] != len(self.columns):
            raise ValueError(f"{self.name}: expected rows (n, {len(self.columns)}), got {arr.shape}")
        p = np.asarray(self._run(np.ascontiguousarray(arr)), dtype=np.float64)
        return p / p.sum(axis=1, keepdims=True)

    def predict_proba_one(self, x: np.ndarray) -> np.ndarray:
        """(3,) probabilities for one factor row or one ``(seq_len, n_features)`` window."""
        if self._one is None:
            return self.predict_proba(x)[0]
        p = np.asarray(self._one(np.asarray(x, dtype=np.float32).reshape(1, -1)), dtype=np.float64)
        p = p.reshape(1, 3)
        return (p / p.sum(axis=1, keepdims=True))[0]


def _verified(directory: Path, meta: dict[str, Any], name: str) -> Path:
    path = directory / name
    if meta["files"].get(name) is None or not path.is_file() or sha256_file(path) != meta["files"][name]:
        raise ValueError(f"{path}: model file missing or changed since it was saved; refusing to load")
    return path


def load_serving_model(artifact_dir: Path, *, backend: str = "onnx", threads: int = 1) -> ServingModel:
    """Load ``artifact_dir`` (a model run directory) for inference with ``backend``; see module docs."""
    import json

    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    directory = Path(artifact_dir)
    meta = read_meta(directory)
    threshold = (meta.get("decision") or {}).get("threshold")
    if "model.onnx" not in meta["files"]:  # tabular: the verified native model
        model, _ = load_artifact(directory)
        columns = tuple(meta.get("feature_names") or ())
        if not columns:  # an artifact saved outside a run directory
            n = int(getattr(getattr(model, "estimator", None), "n_features_in_", 0))
            columns = tuple(f"x{i}" for i in range(n))
        one = getattr(model, "predict_proba_one", None)
        return ServingModel(
            meta["model"], "rows", None, columns, threshold, "native", meta, model.predict_proba, one
        )
    info = json.loads(_verified(directory, meta, "deep.json").read_text())
    seq_len, columns = int(meta["params"]["seq_len"]), tuple(info["columns"])
    if backend == "torchscript":
        import torch

        torch.set_num_threads(threads)
        ts = torch.jit.load(str(_verified(directory, meta, "model.ts")))

        def run(x: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return ts(torch.from_numpy(x)).numpy()

        return ServingModel(meta["model"], "windows", seq_len, columns, threshold, backend, meta, run)
    from ghtrader.models.deep.export import INPUT_NAME, onnx_session

    sess = onnx_session(_verified(directory, meta, "model.onnx"), threads)
    return ServingModel(
        meta["model"],
        "windows",
        seq_len,
        columns,
        threshold,
        "onnx",
        meta,
        lambda x: sess.run(None, {INPUT_NAME: x})[0],
    )
