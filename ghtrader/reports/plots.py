"""Report figures as base64 PNG strings (matplotlib, Agg backend: no display, thread-safe enough for tasks).

Each function takes plain data (dicts of lists / DataFrames) and returns the PNG bytes, base64-encoded,
so the HTML stays a single self-contained file.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pandas as pd

CLASSES = ("DOWN", "FLAT", "UP")


def _figure(width: float = 8.0, height: float = 4.0, ncols: int = 1) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt.subplots(1, ncols, figsize=(width, height), squeeze=False)


def _encode(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def equity_png(curves: dict[str, pd.DataFrame], max_points: int = 4000) -> str:
    """Net PnL (CNY) per model over the concatenated test ticks; day boundaries as faint lines."""
    fig, axes = _figure(9, 4)
    ax = axes[0][0]
    bounds: np.ndarray | None = None
    for name, eq in curves.items():
        n = len(eq)
        step = max(1, -(-n // max_points))
        idx = np.unique(np.append(np.arange(0, n, step), n - 1)) if n else np.zeros(0, dtype=int)
        ax.plot(idx, eq["equity"].to_numpy()[idx], label=name, lw=1.2, ls="--" if name == "oracle" else "-")
        if bounds is None and n:
            day = pd.factorize(eq["trading_day"])[0]
            bounds = np.flatnonzero(np.diff(day) != 0)
    for b in bounds if bounds is not None else []:
        ax.axvline(b, color="0.85", lw=0.5, zorder=0)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xlabel("test tick (concatenated test days)")
    ax.set_ylabel("net PnL (CNY)")
    ax.set_title("Equity curve (tier-1 backtest, fees included)")
    if curves:
        ax.legend(loc="best", fontsize=8)
    return _encode(fig)


def calibration_png(bins: dict[str, list[dict[str, Any]] | None]) -> str:
    """Reliability diagram: accuracy vs mean confidence (max probability) per bin, pooled test rows."""
    fig, axes = _figure(5.5, 5)
    ax = axes[0][0]
    ax.plot([0, 1], [0, 1], color="0.6", ls=":", label="perfect")
    for name, rows in bins.items():
        if not rows:
            continue
        pts = [(b["confidence"], b["accuracy"]) for b in rows if b["count"]]
        if pts:
            x, y = zip(*pts, strict=True)
            ax.plot(x, y, marker="o", ms=4, label=name)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean confidence (max probability)")
    ax.set_ylabel("accuracy")
    ax.set_title("Calibration")
    ax.legend(loc="upper left", fontsize=8)
    return _encode(fig)


def confusion_png(matrices: dict[str, list[list[int]]]) -> str:
    """Row-normalized confusion matrices (true class per row), counts annotated."""
    n = max(1, len(matrices))
    fig, axes = _figure(3.6 * n, 3.6, ncols=n)
    for ax, (name, m) in zip(axes[0], matrices.items(), strict=False):
        counts = np.asarray(m, dtype=np.float64)
        rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        ax.imshow(rates, vmin=0, vmax=1, cmap="Blues")
        for i in range(3):
            for j in range(3):
                color = "white" if rates[i, j] > 0.6 else "black"
                ax.text(
                    j,
                    i,
                    f"{rates[i, j]:.2f}\n{int(counts[i, j])}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color=color,
                )
        ax.set_xticks(range(3), CLASSES)
        ax.set_yticks(range(3), CLASSES)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(name, fontsize=9)
    return _encode(fig)


def per_split_png(per_split: dict[str, list[float | None]], metric: str = "macro-F1") -> str:
    """Grouped bars: one group per walk-forward split, one bar per predictor."""
    fig, axes = _figure(9, 4)
    ax = axes[0][0]
    names = list(per_split)
    n_splits = max((len(v) for v in per_split.values()), default=0)
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        vals = [np.nan if v is None else v for v in per_split[name]]
        ax.bar(np.arange(len(vals)) + i * width, vals, width, label=name)
    ax.set_xticks(np.arange(n_splits) + 0.4 - width / 2, [f"split {s}" for s in range(n_splits)])
    vals_all = [v for vals in per_split.values() for v in vals if v is not None and v == v]
    top, bottom = max(vals_all, default=1.0), min(vals_all, default=0.0)
    span = max(top - min(bottom, 0.0), 1e-9)
    ax.set_ylim(min(bottom, 0.0) - (0.1 * span if bottom < 0 else 0.0), max(top, 0.0) + 0.2 * span)
    if bottom < 0:
        ax.axhline(0, color="0.5", lw=0.8)
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} per walk-forward split")
    ax.legend(loc="upper center", ncol=max(1, len(names)), fontsize=8)
    return _encode(fig)
