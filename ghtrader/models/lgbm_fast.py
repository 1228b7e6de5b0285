"""One-row LightGBM prediction through the C API's fast single-row path (the trade runner's hot path).

``Booster.predict`` on one row spends most of its time in Python (argument checks, array conversion,
a fresh prediction config per call): ~130 us per row for 100 rounds x 3 classes on the bench box, of
which the tree walk is about half. ``LGBM_BoosterPredictForMatSingleRowFastInit`` prepares the
config once; each ``LGBM_BoosterPredictForMatSingleRowFast`` call then only walks the trees. It runs
the same predictor code as the batch path, so the numbers are bit-identical to ``Booster.predict``
(tested). Only float32 rows take this path (the dtype is fixed at init, and research predicts float32).

Trap: this uses LightGBM's ctypes handles (``lightgbm.basic._LIB``, ``Booster._handle``), which are not
a public API; ``fast_single_row`` returns None when they are missing, and callers fall back to
``Booster.predict``. The config is freed when the predictor is garbage-collected.
"""

from __future__ import annotations

import ctypes
import weakref
from typing import Any

import numpy as np

C_API_PREDICT_NORMAL = 0
C_API_DTYPE_FLOAT32 = 0


class SingleRowPredictor:
    """``predict(row)``: ``Booster.predict`` of one float32 row ((1,) binary, (1, n_class) multiclass)."""

    def __init__(self, booster: Any, num_threads: int) -> None:
        from lightgbm.basic import _LIB, _safe_call

        self.ncol = int(booster.num_feature())
        self.n_out = int(booster.num_model_per_iteration())  # one output per class
        self._call = _LIB.LGBM_BoosterPredictForMatSingleRowFast
        self._safe = _safe_call
        handle = ctypes.c_void_p()
        params = f"num_threads={int(num_threads)}".encode()
        _safe_call(
            _LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
                booster._handle,  # noqa: SLF001
                ctypes.c_int(C_API_PREDICT_NORMAL),
                ctypes.c_int(0),  # start iteration
                ctypes.c_int(-1),  # every iteration (the batch path's default for a fitted model)
                ctypes.c_int(C_API_DTYPE_FLOAT32),
                ctypes.c_int32(self.ncol),
                ctypes.c_char_p(params),
                ctypes.byref(handle),
            )
        )
        self._handle = handle
        self._booster = booster  # the config points into the booster: keep it alive
        self._out = np.empty(self.n_out, dtype=np.float64)
        self._out_ptr = self._out.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
        self._len = ctypes.c_int64()
        self._len_ref = ctypes.byref(self._len)
        weakref.finalize(self, _LIB.LGBM_FastConfigFree, handle)

    def predict(self, row: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(row, dtype=np.float32).reshape(-1)
        if x.shape[0] != self.ncol:
            raise ValueError(f"expected {self.ncol} features, got {x.shape[0]}")
        self._safe(self._call(self._handle, x.ctypes.data_as(ctypes.c_void_p), self._len_ref, self._out_ptr))
        out = self._out.copy()  # shaped like Booster.predict on one row: (1,) binary, (1, k) multiclass
        return out if self.n_out == 1 else out.reshape(1, -1)


def fast_single_row(booster: Any, num_threads: int) -> SingleRowPredictor | None:
    """A ``SingleRowPredictor`` for ``booster``, or None where this LightGBM lacks the C entry points."""
    try:
        return SingleRowPredictor(booster, num_threads)
    except Exception:  # noqa: BLE001 - any failure here (LightGBMError, a missing symbol): the slow path
        return None
