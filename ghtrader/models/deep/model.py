"""The deep zoo behind the ``Model`` contract: ``fit(windows, y)``, ``predict_proba(windows)``, save/load.

Unlike the tabular models, ``fit``/``predict_proba`` take windows: a lazy
``ghtrader.datasets.windows.SequenceDataset`` (never materialized whole) or an array
``(n, T, F)`` / ``(T, F)``. ``input_kind = "windows"`` tells the walk-forward to build them, and
``params["inputs"]`` which columns (``"book"``: the 5-level book; ``"book+factors"``: book then every
``f_*`` factor; see ``ghtrader.models.deep.inputs``). The column names are saved with the artifact.

Artifact files: ``net.pt`` (state dict, loaded with ``weights_only=True``), ``model.ts`` (TorchScript),
``model.onnx`` and ``deep.json``; all sha256-pinned by ``meta.json``. Defaults are small enough for a
CPU (a few seconds per epoch on ~20k windows); ``params`` override them, ``arch`` keys merge into the
net's own defaults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ghtrader.datasets.windows import SequenceDataset

NET_FILE, INFO_FILE = "net.pt", "deep.json"

COMMON: dict[str, Any] = {
    "seq_len": 100,
    "inputs": "book+factors",
    "epochs": 8,
    "batch_size": 256,
    "lr": 1e-3,
    "weight_decay": 1e-4,
    "patience": 2,
    "val_frac": 0.2,
    "purge_rows": 200,
    "max_train_windows": 20_000,
    "class_weight": "balanced",
    "seed": 7,
    "num_threads": 1,
    "device": "auto",
    "progress": False,
    "arch": {},
}


def as_windows(X: Any, seq_len: int) -> SequenceDataset:
    """A ``SequenceDataset`` view of ``X`` (a dataset, ``(n, T, F)`` or one ``(T, F)`` window)."""
    if isinstance(X, SequenceDataset):
        return X
    arr = np.asarray(X, dtype=np.float32)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1] != seq_len:
        raise ValueError(f"expected windows of shape (n, {seq_len}, features), got {arr.shape}")
    n = arr.shape[0]  # consecutive windows stacked end to end: window i = rows [i*T, (i+1)*T)
    flat = arr.reshape(n * seq_len, arr.shape[2])
    return SequenceDataset(flat, np.arange(n, dtype=np.int64) * seq_len + seq_len - 1, seq_len)


def thin(n: int, cap: int) -> np.ndarray:
    """At most ``cap`` of ``n`` positions, evenly spread in time order (keeps the validation tail honest)."""
    if n <= cap:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, cap).round().astype(np.int64))


class DeepModel:
    """Shared wrapper; subclasses set ``name`` and the architecture defaults."""

    name: ClassVar[str] = ""
    input_kind: ClassVar[str] = "windows"
    arch_defaults: ClassVar[dict[str, Any]] = {}
    overrides: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls.defaults = {**COMMON, **cls.overrides, "arch": dict(cls.arch_defaults)}

    defaults: ClassVar[dict[str, Any]] = dict(COMMON)

    def __init__(
        self, params: dict[str, Any] | None = None, module: Any = None, info: dict[str, Any] | None = None
    ):
        unknown = set(params or {}) - set(self.defaults)
        if unknown:
            raise ValueError(f"{self.name}: unknown params {sorted(unknown)}; known: {sorted(self.defaults)}")
        p = {**self.defaults, **(params or {})}
        bad_arch = set(p["arch"]) - set(self.arch_defaults)
        if bad_arch:
            raise ValueError(
                f"{self.name}: unknown arch keys {sorted(bad_arch)}; known: {sorted(self.arch_defaults)}"
            )
        p["arch"] = {**self.arch_defaults, **p["arch"]}
        if p["inputs"] not in ("book", "book+factors"):
            raise ValueError(f"{self.name}: inputs must be 'book' or 'book+factors', got {p['inputs']!r}")
        self.params: dict[str, Any] = p
        self.module = module
        self.info: dict[str, Any] = info or {}

    def _train_config(self) -> Any:
        from ghtrader.models.deep.train import TrainConfig

        keys = TrainConfig.__dataclass_fields__
        return TrainConfig(**{k: self.params[k] for k in keys})

    def fit(self, X: Any, y: np.ndarray) -> DeepModel:
        """Train on windows ``X`` with one label per window (classes 0..2), in time order."""
        import torch

        from ghtrader.models.deep.export import WindowNet
        from ghtrader.models.deep.nets import InputNorm, build_net
        from ghtrader.models.deep.train import input_stats, seed_everything, train_net

        data = as_windows(X, self.params["seq_len"])
        y = np.asarray(y, dtype=np.int64)
        if len(y) != len(data) or len(y) == 0 or y.min() < 0 or y.max() > 2:
            raise ValueError("fit needs one label in {0, 1, 2} per window")
        keep = thin(len(data), self.params["max_train_windows"])
        data, y = data.subset(keep), y[keep]
        columns = data.columns or tuple(f"x{i}" for i in range(data.features.shape[1]))
        n_feat = data.features.shape[1]
        demean = np.array([c.endswith("_logv") for c in columns], dtype=np.float32)
        stats = input_stats(data, demean, seed=self.params["seed"])
        seed_everything(self.params["seed"], self.params["num_threads"])
        norm = InputNorm(n_feat)
        for key, val in (
            ("fill", stats["fill"]),
            ("demean", demean),
            ("mean", stats["mean"]),
            ("std", stats["std"]),
        ):
            getattr(norm, key).copy_(torch.as_tensor(np.asarray(val, dtype=np.float32)))
        net = build_net(self.name, n_feat, self.params["seq_len"], self.params["arch"])
        module, report = train_net(WindowNet(norm, net), data, y, self._train_config())
        self.module = module
        self.info = {"columns": list(columns), "n_features": n_feat, "train": report.__dict__}
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities (n, 3) DOWN/FLAT/UP for windows ``X`` (float64, rows sum to 1)."""
        import torch

        if self.module is None:
            raise ValueError(f"{self.name}: model is not fitted")
        data = as_windows(X, self.params["seq_len"])
        if len(data) == 0:
            return np.zeros((0, 3))
        torch.set_num_threads(max(1, self.params["num_threads"]))
        return _proba(self.module, data)

    def save(self, directory: Path) -> list[str]:
        import torch

        from ghtrader.models.deep.export import ONNX_FILE, TS_FILE, Proba, export_onnx, export_torchscript

        if self.module is None:
            raise ValueError(f"{self.name}: model is not fitted")
        directory = Path(directory)
        torch.save(self.module.state_dict(), directory / NET_FILE)
        t, f = self.params["seq_len"], self.info["n_features"]
        export_torchscript(Proba(self.module), directory / TS_FILE, t, f)
        export_onnx(Proba(self.module), directory / ONNX_FILE, t, f)
        (directory / INFO_FILE).write_text(json.dumps(self.info, indent=1, sort_keys=True, default=float))
        return [NET_FILE, TS_FILE, ONNX_FILE, INFO_FILE]

    @classmethod
    def load(cls, directory: Path, params: dict[str, Any]) -> DeepModel:
        """Rebuild the net and load ``net.pt``; call through ``load_artifact`` (it verifies sha256s)."""
        import torch

        from ghtrader.models.deep.export import WindowNet
        from ghtrader.models.deep.nets import InputNorm, build_net

        directory = Path(directory)
        info = json.loads((directory / INFO_FILE).read_text())
        model = cls(params, info=info)
        n = int(info["n_features"])
        module = WindowNet(
            InputNorm(n), build_net(cls.name, n, model.params["seq_len"], model.params["arch"])
        )
        module.load_state_dict(torch.load(directory / NET_FILE, weights_only=True))
        model.module = module.eval()
        return model


def _proba(module: Any, data: SequenceDataset, batch_size: int = 1024) -> np.ndarray:
    import torch

    module.eval()
    out = [np.zeros((0, 3))]
    with torch.no_grad():
        for i in range(0, len(data), batch_size):
            xb, _ = data.batch(np.arange(i, min(i + batch_size, len(data))))
            logits = module(torch.from_numpy(np.ascontiguousarray(xb, dtype=np.float32)))
            p = torch.softmax(logits.double(), dim=-1).numpy()
            out.append(p / p.sum(axis=1, keepdims=True))
    return np.concatenate(out)


class DeepLobModel(DeepModel):
    """DeepLOB on the raw 5-level book (factors are not part of its conv stack)."""

    name: ClassVar[str] = "deeplob"
    overrides: ClassVar[dict[str, Any]] = {"inputs": "book"}
    arch_defaults: ClassVar[dict[str, Any]] = {"levels": 5, "conv": 16, "inception": 16, "lstm": 32}


class TcnModel(DeepModel):
    name: ClassVar[str] = "tcn"
    arch_defaults: ClassVar[dict[str, Any]] = {"channels": 32, "levels": 4, "kernel": 3, "dropout": 0.1}


class TransformerModel(DeepModel):
    name: ClassVar[str] = "transformer"
    arch_defaults: ClassVar[dict[str, Any]] = {"dim": 32, "heads": 4, "layers": 2, "dropout": 0.1}


class TlobModel(DeepModel):
    name: ClassVar[str] = "tlob"
    arch_defaults: ClassVar[dict[str, Any]] = {"dim": 32, "heads": 1, "layers": 2, "dropout": 0.1}


class SsmModel(DeepModel):
    name: ClassVar[str] = "ssm"
    arch_defaults: ClassVar[dict[str, Any]] = {"dim": 32, "state": 8, "expand": 2, "conv": 4, "layers": 1}
