"""The model artifact contract shared by every model family (tabular now, the deep zoo later).

A model is anything with ``name``, ``params``, ``fit(X, y)``, ``predict_proba(X) -> (n, 3)`` (columns
DOWN/FLAT/UP, always three, even when a class was absent from training), ``save(dir) -> files`` and a
``load(dir, params)`` classmethod. An artifact directory holds the model's files plus ``meta.json``,
written last and atomically: a directory without it is an unfinished write and does not load.

``meta.json`` records what is needed to reproduce and compare a run (SPEC §6): model name and params,
the run config, the code commit (``git rev-parse HEAD``; ``"unknown"`` outside a git checkout), data
provenance (manifest sha256s, config and schema hashes), metrics, what created it, and the sha256 of
every model file, verified before loading (model files may be pickles: never load one that changed).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ghtrader.store.files import atomic_write, sha256_file
from ghtrader.store.manifest import encode_json

META_NAME = "meta.json"
ARTIFACT_FORMAT = "ghtrader.model.v1"
N_CLASSES = 3


@runtime_checkable
class Model(Protocol):
    """What evaluation, promotion and the trade runner rely on."""

    name: str
    params: dict[str, Any]

    def fit(self, X: np.ndarray, y: np.ndarray) -> Model: ...

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...

    def save(self, directory: Path) -> list[str]: ...


def code_commit(repo: Path | None = None) -> str:
    """The git HEAD of ``repo`` (default: this package's checkout), or ``"unknown"``; never raises."""
    cwd = repo if repo is not None else Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else "unknown"


def save_artifact(directory: Path, model: Model, meta: dict[str, Any]) -> Path:
    """Write ``model``'s files then ``meta.json`` (with file hashes) into ``directory``; return its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / META_NAME).unlink(missing_ok=True)  # the artifact is incomplete until meta is back
    files = model.save(directory)
    full = {
        "format": ARTIFACT_FORMAT,
        "model": model.name,
        "params": model.params,
        **meta,
        "files": {f: sha256_file(directory / f) for f in sorted(files)},
    }
    atomic_write(directory / META_NAME, encode_json(full), durable=False)
    return directory / META_NAME


def read_meta(directory: Path) -> dict[str, Any]:
    """The artifact's ``meta.json`` (``FileNotFoundError`` when the artifact is absent or unfinished)."""
    import json

    path = Path(directory) / META_NAME
    if not path.is_file():
        raise FileNotFoundError(f"no model artifact at {directory} (missing {META_NAME})")
    meta: dict[str, Any] = json.loads(path.read_bytes())
    if meta.get("format") != ARTIFACT_FORMAT:
        raise ValueError(f"{path}: unknown artifact format {meta.get('format')!r}")
    return meta


def load_artifact(directory: Path) -> tuple[Model, dict[str, Any]]:
    """Load ``(model, meta)``; every model file's sha256 must match ``meta.json`` first."""
    from ghtrader.models.registry import model_class

    directory = Path(directory)
    meta = read_meta(directory)
    for name, digest in meta["files"].items():
        path = directory / name
        if not path.is_file() or sha256_file(path) != digest:
            raise ValueError(f"{path}: model file missing or changed since it was saved; refusing to load")
    return model_class(meta["model"]).load(directory, meta["params"]), meta


def as_three_columns(proba: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Place an estimator's probability columns (for its seen ``classes``) into DOWN/FLAT/UP columns."""
    out = np.zeros((proba.shape[0], N_CLASSES), dtype=np.float64)
    out[:, np.asarray(classes, dtype=np.int64)] = proba
    return out
