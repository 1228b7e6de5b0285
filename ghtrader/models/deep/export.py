"""TorchScript and ONNX export of a trained window net, with softmax folded in (outputs probabilities).

The ONNX file uses the TorchScript-based exporter (``dynamo=False``: no onnxscript dependency) at a
fixed window length ``T`` and a dynamic batch axis. Export traces the net, so the SSM's time loop is
unrolled ``T`` times and LSTM/attention become plain ONNX ops.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

ONNX_FILE = "model.onnx"
TS_FILE = "model.ts"
INPUT_NAME, OUTPUT_NAME = "window", "proba"
OPSET = 17


class WindowNet(nn.Module):
    """``net(norm(x))``: raw window features -> logits (what training optimizes)."""

    def __init__(self, norm: nn.Module, net: nn.Module) -> None:
        super().__init__()
        self.norm, self.net = norm, net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.norm(x))


class Proba(nn.Module):
    """``softmax(WindowNet(x))``: what is exported and served, raw window features -> probabilities."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.inner(x), dim=-1)


def _example(seq_len: int, n_features: int) -> torch.Tensor:
    return torch.zeros(2, seq_len, n_features)


def export_torchscript(module: nn.Module, path: Path, seq_len: int, n_features: int) -> None:
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(module.eval(), _example(seq_len, n_features), check_trace=False)
    traced.save(str(path))


def export_onnx(module: nn.Module, path: Path, seq_len: int, n_features: int) -> None:
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            (_example(seq_len, n_features),),
            str(path),
            dynamo=False,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            opset_version=OPSET,
        )


def onnx_session(path: Path, threads: int = 1):  # noqa: ANN201 - onnxruntime.InferenceSession
    """A CPU onnxruntime session limited to ``threads`` (intra and inter op), sequential execution."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
