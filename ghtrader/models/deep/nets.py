"""Network definitions: each ``forward(x: (B, T, F)) -> logits (B, 3)``, predicting from the window's end.

Kept small for CPU (see each model's ``defaults``) and export-friendly: no fused kernels, no
data-dependent control flow, attention written out so TorchScript tracing and ONNX export see plain
matmuls. A window lies entirely at or before its end tick, so nothing here can look ahead; causal
masks/pads only matter for the intermediate time steps.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class InputNorm(nn.Module):
    """NaN -> training mean, per-window de-meaning of log volumes, then train-set standardization.

    Per-window de-meaning is the causal "rolling" normalization of volumes (it uses only the window's own
    ticks); the affine statistics come from training windows only and are exported with the net.
    """

    fill: torch.Tensor
    demean: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.register_buffer("fill", torch.zeros(n_features))
        self.register_buffer("demean", torch.zeros(n_features))
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.where(torch.isnan(x), self.fill, x)
        x = x - self.demean * x.mean(dim=1, keepdim=True)
        return torch.clamp((x - self.mean) / self.std, -10.0, 10.0)


class DeepLob(nn.Module):
    """Zhang, Zohren & Roberts (2019): conv stack over (price, volume) pairs, inception, LSTM.

    Expects the book block first: per level ``ask_p, ask_v, bid_p, bid_v`` for ``levels`` levels.
    Extra columns (factors) are ignored by the conv stack. BatchNorm is left out so that DDP ranks
    compute exactly what one process would (no per-rank batch statistics).
    """

    def __init__(self, n_features: int, levels: int = 5, conv: int = 16, inception: int = 16, lstm: int = 32):
        super().__init__()
        self.book = 4 * levels
        act = nn.LeakyReLU(0.01)
        self.block1 = nn.Sequential(
            nn.Conv2d(1, conv, (1, 2), stride=(1, 2)), act, nn.Conv2d(conv, conv, (4, 1), padding=(3, 0)), act
        )
        self.block2 = nn.Sequential(
            nn.Conv2d(conv, conv, (1, 2), stride=(1, 2)),
            act,
            nn.Conv2d(conv, conv, (4, 1), padding=(3, 0)),
            act,
        )
        self.block3 = nn.Sequential(nn.Conv2d(conv, conv, (1, levels)), act)
        self.inc1 = nn.Sequential(
            nn.Conv2d(conv, inception, 1), act, nn.Conv2d(inception, inception, (3, 1), padding=(1, 0)), act
        )
        self.inc2 = nn.Sequential(
            nn.Conv2d(conv, inception, 1), act, nn.Conv2d(inception, inception, (5, 1), padding=(2, 0)), act
        )
        self.inc3 = nn.Sequential(
            nn.MaxPool2d((3, 1), stride=1, padding=(1, 0)), nn.Conv2d(conv, inception, 1), act
        )
        self.lstm = nn.LSTM(3 * inception, lstm, batch_first=True)
        self.head = nn.Linear(lstm, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        h = x[:, :, : self.book].unsqueeze(1)  # (B, 1, T, 4L)
        # the (4, 1) convs pad both ends; keep the first T steps so step t sees only steps <= t
        h = self.block1(h)[:, :, :t]
        h = self.block2(h)[:, :, :t]
        h = self.block3(h)
        h = torch.cat([self.inc1(h), self.inc2(h), self.inc3(h)], dim=1)  # (B, 3I, T, 1)
        out, _ = self.lstm(h.squeeze(3).transpose(1, 2))
        return self.head(out[:, -1])


class Tcn(nn.Module):
    """Dilated causal temporal convolutions with residual blocks (Bai, Kolter & Koltun 2018)."""

    def __init__(
        self, n_features: int, channels: int = 32, levels: int = 4, kernel: int = 3, dropout: float = 0.1
    ):
        super().__init__()
        self.inp = nn.Conv1d(n_features, channels, 1)
        self.kernel = kernel
        self.dils = [2**i for i in range(levels)]
        self.c1 = nn.ModuleList(nn.Conv1d(channels, channels, kernel, dilation=d) for d in self.dils)
        self.c2 = nn.ModuleList(nn.Conv1d(channels, channels, kernel, dilation=d) for d in self.dils)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x.transpose(1, 2))
        for d, c1, c2 in zip(self.dils, self.c1, self.c2, strict=True):
            pad = (self.kernel - 1) * d  # left pad only: step t sees steps <= t
            y = self.drop(F.relu(c1(F.pad(h, (pad, 0)))))
            y = self.drop(F.relu(c2(F.pad(y, (pad, 0)))))
            h = F.relu(h + y)
        return self.head(h[:, :, -1])


class Attention(nn.Module):
    """Multi-head self-attention over dim 1 of (B, N, D), written out for export; optional causal mask."""

    def __init__(self, dim: int, heads: int, causal: bool = False):
        super().__init__()
        if dim % heads:
            raise ValueError(f"attention dim {dim} must be divisible by heads {heads}")
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)
        if self.causal:
            mask = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1)
            att = att.masked_fill(mask, float("-inf"))
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, n, d)
        return self.out(y)


class Block(nn.Module):
    """Pre-norm transformer block: attention + MLP, both residual."""

    def __init__(self, dim: int, heads: int, causal: bool, dropout: float):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.att = Attention(dim, heads, causal)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.att(self.n1(x)))
        return x + self.drop(self.mlp(self.n2(x)))


class Transformer(nn.Module):
    """Encoder over the window: linear embedding + learned positions, causal self-attention, last token."""

    def __init__(
        self,
        n_features: int,
        seq_len: int,
        dim: int = 32,
        heads: int = 4,
        layers: int = 2,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.emb = nn.Linear(n_features, dim)
        self.pos = nn.Parameter(torch.zeros(1, seq_len, dim))
        nn.init.normal_(self.pos, std=0.02)
        self.blocks = nn.Sequential(*(Block(dim, heads, True, dropout) for _ in range(layers)))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.emb(x) + self.pos[:, : x.shape[1]])
        return self.head(self.norm(h[:, -1]))


class Tlob(nn.Module):
    """Berti & Kasneci (2025) TLOB: alternating temporal attention (tokens = time steps) and spatial
    attention (tokens = embedded features, each a length-T series), then an MLP over the flattened map."""

    def __init__(
        self,
        n_features: int,
        seq_len: int,
        dim: int = 32,
        heads: int = 1,
        layers: int = 2,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.emb = nn.Linear(n_features, dim)
        self.pos = nn.Parameter(torch.zeros(1, seq_len, dim))
        nn.init.normal_(self.pos, std=0.02)
        self.temporal = nn.ModuleList(Block(dim, heads, True, dropout) for _ in range(layers))
        self.spatial = nn.ModuleList(Block(seq_len, 1, False, dropout) for _ in range(layers))
        self.reduce = nn.Linear(dim, 4)
        self.head = nn.Sequential(nn.Linear(4 * seq_len, 64), nn.GELU(), nn.Linear(64, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x) + self.pos
        for temporal, spatial in zip(self.temporal, self.spatial, strict=True):
            h = temporal(h)
            h = spatial(h.transpose(1, 2)).transpose(1, 2)
        return self.head(self.reduce(h).flatten(1))


class Ssm(nn.Module):
    """A selective state-space (Mamba-style) block in plain PyTorch, scanned sequentially over time.

    ``h_t = exp(Δ_t A) h_{t-1} + Δ_t B_t x_t``, ``y_t = C_t h_t + D x_t``, gated by SiLU(z); Δ, B, C depend
    on the input (the "selective" part). The scan is a loop over T (no CUDA-only kernels): at batch 1
    that sequential recurrence is the inference path, and it traces/exports as an unrolled graph.
    """

    def __init__(
        self, n_features: int, dim: int = 32, state: int = 8, expand: int = 2, conv: int = 4, layers: int = 1
    ):
        super().__init__()
        self.emb = nn.Linear(n_features, dim)
        e = expand * dim
        self.layers = nn.ModuleList(_SsmLayer(dim, e, state, conv) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x)
        for layer in self.layers:
            h = h + layer(h)
        return self.head(self.norm(h[:, -1]))


class _SsmLayer(nn.Module):
    def __init__(self, dim: int, e: int, state: int, conv: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.inp = nn.Linear(dim, 2 * e)
        self.conv = nn.Conv1d(e, e, conv, groups=e)
        self.k = conv
        self.dt = nn.Linear(e, e)
        self.bc = nn.Linear(e, 2 * state)
        self.a_log = nn.Parameter(torch.log(torch.arange(1, state + 1, dtype=torch.float32)).repeat(e, 1))
        self.d = nn.Parameter(torch.ones(e))
        self.out = nn.Linear(e, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u, z = self.inp(self.norm(x)).chunk(2, dim=-1)
        u = F.silu(self.conv(F.pad(u.transpose(1, 2), (self.k - 1, 0))).transpose(1, 2))  # causal
        delta = F.softplus(self.dt(u))  # (B, T, E)
        b_t, c_t = self.bc(u).chunk(2, dim=-1)  # (B, T, N) each
        a = -torch.exp(self.a_log)  # (E, N)
        d_a = torch.exp(delta.unsqueeze(-1) * a)  # (B, T, E, N): all input-dependent terms at once,
        d_bu = (delta * u).unsqueeze(-1) * b_t.unsqueeze(2)  # so the sequential loop is 2 ops a step
        h = torch.zeros_like(d_a[:, 0])
        hs = []
        for t in range(x.shape[1]):
            h = d_a[:, t] * h + d_bu[:, t]
            hs.append(h)
        y = (torch.stack(hs, dim=1) * c_t.unsqueeze(2)).sum(-1) + self.d * u
        return self.out(y * F.silu(z))


def build_net(name: str, n_features: int, seq_len: int, arch: dict[str, Any]) -> nn.Module:
    """The net ``name`` for ``n_features`` inputs over ``seq_len`` steps with architecture kwargs ``arch``."""
    if name == "deeplob":
        return DeepLob(n_features, **arch)
    if name == "tcn":
        return Tcn(n_features, **arch)
    if name == "transformer":
        return Transformer(n_features, seq_len, **arch)
    if name == "tlob":
        return Tlob(n_features, seq_len, **arch)
    if name == "ssm":
        return Ssm(n_features, **arch)
    raise ValueError(f"unknown net {name!r}")
