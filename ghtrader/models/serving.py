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
    m.threshold      # signal threshold tuned inside the training folds (None: not recorded)

Deep models are served with onnxruntime on ``model.onnx`` (``backend="onnx"``, single-threaded, CPU)
or with the TorchScript file (``backend="torchscript"``); tabular models are served natively
(``backend`` is ignored for them). Before the first tick of a day or after a roll, pad the window
by repeating the first snapshot of the run (what training and evaluation do), never with ticks of
the previous day or contract.
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
        return ServingModel(
            meta["model"], "rows", None, columns, threshold, "native", meta, model.predict_proba
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
