"""Train one deep model with DistributedDataParallel: ``torchrun --nproc_per_node 2 -m ghtrader.models.deep.ddp``.

Backend: gloo on CPU, NCCL when CUDA is present (one GPU per local rank; that path is not exercised
on CPU-only machines). Every rank builds the same windows and the same seeded model; ``train_net``
splits each global batch across ranks, so the result matches a single-process fit up to float
summation order (the test states the tolerance). Rank 0 alone writes the artifact.

Example::

    torchrun --nproc_per_node 2 -m ghtrader.models.deep.ddp --lake data/lake_v2 \\
        --model tcn --out runs/ddp_tcn --days 3 --params '{"seq_len": 32, "epochs": 2}'
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any


def fit_on_lake(
    lake: Path, symbol: str, model: str, params: dict[str, Any], n_days: int, horizon: int
) -> Any:
    """Fit ``model`` on full windows of the first ``n_days`` days of ``symbol`` (every 10th labelled row)."""
    from ghtrader.datasets.windows import SequenceDataset
    from ghtrader.evaluation.data import available_days, load_eval_data
    from ghtrader.models.deep.inputs import load_book, window_inputs
    from ghtrader.models.registry import make_model

    m = make_model(model, params)
    data = load_eval_data(lake, symbol, horizon=horizon, days=available_days(lake, symbol)[:n_days])
    base, cols = window_inputs(
        m.params["inputs"], load_book(lake, symbol, data.xy.meta), data.xy.X, data.xy.feature_names
    )
    meta, y = data.xy.meta, data.xy.y
    ds = SequenceDataset.from_segments(
        base,
        meta["segment_id"].to_numpy(),
        m.params["seq_len"],
        y=y,
        stride=10,
        valid_mask=y >= 0,
        day_codes=meta["trading_day"].to_numpy(),
        columns=cols,
    )
    return m.fit(ds, y[ds.ends])


def main(argv: list[str] | None = None) -> None:
    import torch
    import torch.distributed as dist

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", type=Path, required=True)
    ap.add_argument("--symbol", default="KQ.m@SHFE.cu")
    ap.add_argument("--model", default="tcn")
    ap.add_argument("--params", default="{}", help="JSON model params")
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--horizon", type=int, default=50)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        cuda = torch.cuda.is_available()
        if cuda:  # NCCL path: not exercised on CPU-only machines
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    try:
        model = fit_on_lake(
            args.lake, args.symbol, args.model, json.loads(args.params), args.days, args.horizon
        )
        rank = dist.get_rank() if distributed else 0
        if rank == 0:
            from ghtrader.models.base import save_artifact

            save_artifact(
                args.out,
                model,
                {"created_from": {"command": "ddp", "world_size": model.info["train"]["world_size"]}},
            )
        if distributed:
            dist.barrier()
    finally:
        if distributed:
            dist.destroy_process_group()


if __name__ == "__main__":
    main()
