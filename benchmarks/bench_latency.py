"""Batch-1 CPU inference latency of every deep model, PyTorch vs onnxruntime, single thread.

Run: ``.venv/bin/python benchmarks/bench_latency.py [N_CALLS]`` -> ``benchmarks/results/latency.json``.
Each model at its default size (T = 100 snapshots; DeepLOB on the 20-column book, the others on the
book plus 42 factors) with fresh weights (latency does not depend on training). One window per call,
``torch.set_num_threads(1)`` and an onnxruntime session with one intra-op thread, sequential
execution. p50/p99 over ``N_CALLS`` calls after 50 warm-up calls; the machine's load average is
recorded because a shared box inflates the tail. Goal (issue 14): DeepLOB p99 <= 0.5 ms with
onnxruntime (the TLOB paper lists 1.31 ms for DeepLOB).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ghtrader.models.deep.export import INPUT_NAME, Proba, WindowNet, export_onnx, onnx_session
from ghtrader.models.deep.nets import InputNorm, build_net
from ghtrader.models.registry import default_params

MODELS = ("deeplob", "tcn", "transformer", "tlob", "ssm")
N_FACTORS = 42
OUT = Path(__file__).resolve().parent / "results" / "latency.json"


def _percentiles(fn, x, n: int) -> dict[str, float]:  # noqa: ANN001
    for _ in range(50):
        fn(x)
    times = np.empty(n)
    for i in range(n):
        t0 = time.perf_counter()
        fn(x)
        times[i] = time.perf_counter() - t0
    return {"p50_ms": float(np.percentile(times, 50) * 1e3), "p99_ms": float(np.percentile(times, 99) * 1e3)}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rows = {}
    tmp = Path(tempfile.mkdtemp(prefix="ghtrader-latency-"))
    for name in MODELS:
        p = default_params(name)
        n_feat = 20 if p["inputs"] == "book" else 20 + N_FACTORS
        t = p["seq_len"]
        module = Proba(WindowNet(InputNorm(n_feat), build_net(name, n_feat, t, p["arch"]))).eval()
        export_onnx(module, tmp / f"{name}.onnx", t, n_feat)
        sess = onnx_session(tmp / f"{name}.onnx", threads=1)
        x = np.random.default_rng(0).normal(size=(1, t, n_feat)).astype(np.float32)
        xt = torch.from_numpy(x)

        def run_torch(v: torch.Tensor, m: torch.nn.Module = module) -> None:
            with torch.no_grad():
                m(v)

        rows[name] = {
            "seq_len": t,
            "n_features": n_feat,
            "params": int(sum(q.numel() for q in module.parameters())),
            "torch": _percentiles(run_torch, xt, n),
            "onnxruntime": _percentiles(lambda v, s=sess: s.run(None, {INPUT_NAME: v}), x, n),
        }
        r = rows[name]
        print(
            f"{name:<12} T={t:<4} F={n_feat:<3} params={r['params']:>7}  torch p50 {r['torch']['p50_ms']:.3f} "
            f"p99 {r['torch']['p99_ms']:.3f} ms | onnxruntime p50 {r['onnxruntime']['p50_ms']:.3f} "
            f"p99 {r['onnxruntime']['p99_ms']:.3f} ms"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "calls": n,
                "threads": 1,
                "machine": {
                    "python": platform.python_version(),
                    "cpu": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count(),
                    "loadavg_1m": os.getloadavg()[0],
                },
                "torch": torch.__version__,
                "models": rows,
                "goal": "deeplob onnxruntime p99 <= 0.5 ms",
                "deeplob_goal_met": rows["deeplob"]["onnxruntime"]["p99_ms"] <= 0.5,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
