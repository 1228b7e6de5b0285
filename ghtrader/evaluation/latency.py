"""Batch-1 inference latency of a fitted model, the way the live side would call it (one tick at a time).

Deep (window) models are timed with onnxruntime on their exported ONNX graph (``model.onnx``, the file
``load_serving_model`` serves; one intra-op thread, sequential execution); tabular models natively,
through ``predict_proba_one`` when the model has it (the trade runner's fast path) and
``predict_proba`` on one row otherwise. Inputs are real rows / windows of the evaluation (``sample``),
cycled over ``calls`` timed calls after ``warmup`` untimed ones. The figures are machine- and
load-dependent: they are kept out of ``metrics.json`` (see ``TIMING_KEYS`` in ``benchmark``).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

KEYS = ("latency_b1_p50_us", "latency_b1_p99_us", "latency_b1_backend")


def _runner(model: Any, threads: int) -> tuple[Callable[[np.ndarray], Any], str, Any]:
    """(one-input callable, backend name, a temp dir to keep alive) for ``model``."""
    if getattr(model, "input_kind", "rows") != "windows":
        fast = getattr(model, "predict_proba_one", None)
        if fast is not None:
            return fast, "native (predict_proba_one)", None
        return model.predict_proba, "native (predict_proba)", None
    from ghtrader.models.deep.export import INPUT_NAME, Proba, export_onnx, onnx_session

    tmp = tempfile.TemporaryDirectory(prefix="ghtrader-latency-")
    path = Path(tmp.name) / "model.onnx"
    export_onnx(Proba(model.module), path, int(model.params["seq_len"]), int(model.info["n_features"]))
    sess = onnx_session(path, threads)
    return (lambda x: sess.run(None, {INPUT_NAME: x})[0]), "onnxruntime", tmp


def batch1_latency(
    model: Any, sample: np.ndarray | None, *, calls: int = 300, warmup: int = 20, threads: int = 1
) -> dict[str, Any]:
    """p50 / p99 of single-input ``predict`` calls in microseconds, and the backend used.

    ``sample``: rows ``(n, F)`` or windows ``(n, T, F)`` (float); ``None``/empty gives NaN figures.
    """
    if sample is None or len(sample) == 0 or calls < 1:
        return {
            "latency_b1_p50_us": float("nan"),
            "latency_b1_p99_us": float("nan"),
            "latency_b1_backend": None,
        }
    run, backend, keep = _runner(model, threads)
    xs = [np.ascontiguousarray(sample[i : i + 1], dtype=np.float32) for i in range(len(sample))]
    for i in range(warmup):
        run(xs[i % len(xs)])
    times = np.empty(calls)
    for i in range(calls):
        x = xs[i % len(xs)]
        t0 = time.perf_counter()
        run(x)
        times[i] = time.perf_counter() - t0
    if keep is not None:
        keep.cleanup()
    return {
        "latency_b1_p50_us": float(np.percentile(times, 50) * 1e6),
        "latency_b1_p99_us": float(np.percentile(times, 99) * 1e6),
        "latency_b1_backend": backend,
    }


def latency_sample(inputs: Any, rows: np.ndarray, n: int = 64) -> np.ndarray | None:
    """Up to ``n`` inputs (rows or windows) at evenly spread ``rows`` of the evaluation, as an array."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size == 0:
        return None
    pick = rows[np.unique(np.linspace(0, rows.size - 1, min(n, rows.size)).round().astype(np.int64))]
    x = inputs.predict(pick)
    if hasattr(x, "batch"):  # a lazy SequenceDataset of windows
        arr, _ = x.batch(np.arange(len(x)))
        return np.asarray(arr, dtype=np.float32)
    return np.asarray(x, dtype=np.float32)
