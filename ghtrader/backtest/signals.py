"""Turn class probabilities into target positions."""

from __future__ import annotations

import numpy as np
import pandas as pd


def signal_from_proba(
    proba: np.ndarray,
    *,
    threshold: float | np.ndarray,
    max_pos: int = 1,
    hold: bool = False,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Target lots from ``proba`` (n, 3) ordered DOWN/FLAT/UP.

    Score ``p_up - p_down``: ``+max_pos`` above ``threshold``, ``-max_pos`` below ``-threshold``
    (a scalar, or one threshold per row, e.g. tuned per walk-forward split; NaN: no signal).
    In between (and for rows without a prediction, NaN): 0, or with ``hold`` the previous target,
    never carried across a change of ``groups`` (e.g. segment ids), where it restarts flat.
    """
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3:
        raise ValueError(f"proba must have shape (n, 3) DOWN/FLAT/UP, got {p.shape}")
    threshold = np.asarray(threshold, dtype=np.float64)
    if np.any(threshold < 0) or max_pos < 1:
        raise ValueError("threshold must be >= 0 and max_pos >= 1")
    score = p[:, 2] - p[:, 0]
    sig = np.where(score > threshold, 1.0, np.where(score < -threshold, -1.0, np.nan))
    sig[np.isnan(score)] = np.nan
    if hold:
        s = pd.Series(sig)
        sig = (s.groupby(groups).ffill() if groups is not None else s.ffill()).to_numpy()
    return (np.nan_to_num(sig, nan=0.0) * max_pos).astype(np.int64)
