"""Seeded, deterministic training of a window net: class weights, early stopping, optional DDP.

Traps handled here:

- Early stopping must not peek at the evaluation split: the validation set is the *time-ordered tail*
  of the training windows handed to ``fit`` (inside each walk-forward training fold), with the last
  ``purge_rows`` rows before it dropped from training so no training label looks into it.
- Determinism: seeds for torch and the shuffling generator, ``torch.use_deterministic_algorithms``,
  and a fixed ``torch.set_num_threads``; same seed + same threads -> identical weights and metrics.
- DDP (``torchrun``, gloo on CPU, NCCL on GPU): each step's global batch is the same as in one
  process, split by rank; the loss is normalized by the *global* batch count (not a per-rank weighted
  mean), so the averaged gradient equals the single-process gradient up to float summation order.
  Every rank evaluates the full validation set, so all ranks stop at the same epoch. Dropout draws
  per-rank masks, so with dropout > 0 DDP is equivalent in distribution only, not to 1e-4.
- AMP (bfloat16 autocast) and NCCL only run when CUDA is present; on CPU boxes they are not exercised.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ghtrader.datasets.windows import SequenceDataset


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 2
    val_frac: float = 0.2
    purge_rows: int = 200
    seed: int = 7
    num_threads: int = 1
    class_weight: str | None = "balanced"
    progress: bool = False
    device: str = "auto"


@dataclass
class TrainReport:
    best_epoch: int = -1
    best_val_loss: float = float("inf")
    epochs_run: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    n_train: int = 0
    n_val: int = 0
    world_size: int = 1
    device: str = "cpu"


def resolve_device(choice: str) -> torch.device:
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(choice)


def seed_everything(seed: int, num_threads: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    torch.set_num_threads(max(1, num_threads))
    torch.use_deterministic_algorithms(True, warn_only=True)


def class_weights(y: np.ndarray, mode: str | None) -> torch.Tensor:
    """``balanced``: n / (k * count) over the classes present (absent classes weigh 0)."""
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=3).astype(np.float64)
    if mode != "balanced":
        return torch.ones(3)
    present = counts > 0
    w = np.zeros(3)
    w[present] = counts.sum() / (present.sum() * counts[present])
    return torch.tensor(w, dtype=torch.float32)


def split_tail(ends: np.ndarray, val_frac: float, purge_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of train and validation windows: validation = last ``val_frac`` in time order, and
    training windows ending within ``purge_rows`` rows of the first validation end are dropped."""
    n = len(ends)
    n_val = int(round(n * val_frac)) if n >= 10 else 0
    if n_val == 0:
        return np.arange(n), np.zeros(0, dtype=np.int64)
    order = np.argsort(ends, kind="stable")
    val = order[n - n_val :]
    first_val = ends[val].min()
    train = order[: n - n_val]
    return train[ends[train] < first_val - purge_rows], val


def _dist() -> tuple[int, int]:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _weighted_ce(logits: torch.Tensor, y: torch.Tensor, w: torch.Tensor, denom: float) -> torch.Tensor:
    return (F.cross_entropy(logits, y, reduction="none") * w[y]).sum() / denom


def _to_tensor(x: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(device)


@torch.no_grad()
def predict_logits(net: nn.Module, data: SequenceDataset, batch_size: int = 1024) -> np.ndarray:
    """Logits for every window of ``data`` (batched, eval mode, float32)."""
    net.eval()
    device = next(net.parameters()).device
    out = [np.zeros((0, 3), dtype=np.float32)]
    for i in range(0, len(data), batch_size):
        xb, _ = data.batch(np.arange(i, min(i + batch_size, len(data))))
        out.append(net(_to_tensor(xb, device)).float().cpu().numpy())
    return np.concatenate(out)


def _val_loss(
    net: nn.Module, data: SequenceDataset, pos: np.ndarray, y: np.ndarray, w: torch.Tensor
) -> float:
    if len(pos) == 0:
        return float("nan")
    logits = torch.from_numpy(predict_logits(net, _subset(data, pos)))
    yt = torch.from_numpy(y[pos])
    return float(_weighted_ce(logits, yt, w.cpu(), float(w.cpu()[yt].sum())))


def _subset(data: SequenceDataset, pos: np.ndarray) -> SequenceDataset:
    return data.subset(pos)


def train_net(
    net: nn.Module, data: SequenceDataset, y: np.ndarray, cfg: TrainConfig
) -> tuple[nn.Module, TrainReport]:
    """Train ``net`` on windows ``data`` with labels ``y`` (one per window); return the best-val-loss net."""
    seed_everything(cfg.seed, cfg.num_threads)
    device = resolve_device(cfg.device)
    rank, world = _dist()
    y = np.asarray(y, dtype=np.int64)
    tr, va = split_tail(data.ends, cfg.val_frac, cfg.purge_rows)
    if len(tr) == 0:
        raise ValueError("no training windows left after the validation tail and purge")
    w = class_weights(y[tr], cfg.class_weight).to(device)
    net = net.to(device)
    model: nn.Module = net
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    use_amp = device.type == "cuda"  # bfloat16 autocast on GPU only; never exercised on CPU
    gen = torch.Generator().manual_seed(cfg.seed)
    report = TrainReport(n_train=len(tr), n_val=len(va), world_size=world, device=str(device))
    best_state = copy.deepcopy(net.state_dict())
    bad = 0
    from tqdm import tqdm

    bar = tqdm(range(cfg.epochs), desc="train", disable=not cfg.progress or rank != 0, file=sys.stderr)
    for epoch in bar:
        net.train()
        perm = tr[torch.randperm(len(tr), generator=gen).numpy()]
        total = 0.0
        for i in range(0, len(perm), cfg.batch_size):
            chunk = perm[i : i + cfg.batch_size]
            if len(chunk) < world:
                break
            mine = chunk[rank::world]
            xb, _ = data.batch(mine)
            xt, yt = _to_tensor(xb, device), torch.from_numpy(y[mine]).to(device)
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_amp):
                logits = model(xt)
            loss = _weighted_ce(logits.float(), yt, w, float(len(chunk))) * world  # DDP averages grads
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) / world
        vloss = _val_loss(net, data, va, y, w)
        report.history.append({"epoch": epoch, "train_loss": total, "val_loss": vloss})
        report.epochs_run = epoch + 1
        bar.set_postfix(val_loss=f"{vloss:.4f}")
        if not np.isfinite(vloss) or vloss < report.best_val_loss - 1e-6:
            report.best_val_loss, report.best_epoch = vloss, epoch
            best_state = copy.deepcopy(net.state_dict())
            bad = 0
        else:
            bad += 1
            if bad >= cfg.patience:
                break
    net.load_state_dict(best_state)
    return net.cpu().eval(), report


def input_stats(
    data: SequenceDataset, demean: np.ndarray, n_sample: int = 2048, seed: int = 0
) -> dict[str, Any]:
    """Fill values, means and stds of the normalized inputs, from a sample of the *training* windows."""
    rng = np.random.default_rng(seed)
    pos = np.sort(rng.choice(len(data), size=min(n_sample, len(data)), replace=False))
    xb, _ = data.batch(pos)
    fill = np.nan_to_num(np.nanmean(xb.reshape(-1, xb.shape[-1]), axis=0), nan=0.0)
    x = np.where(np.isnan(xb), fill, xb)
    x = x - demean * x.mean(axis=1, keepdims=True)
    flat = x.reshape(-1, x.shape[-1])
    std = flat.std(axis=0)
    return {"fill": fill, "mean": flat.mean(axis=0), "std": np.where(std > 1e-8, std, 1.0)}
