"""Models behind one artifact contract (``base``) and a name registry (``registry``)."""

from ghtrader.models.base import Model, code_commit, load_artifact, read_meta, save_artifact
from ghtrader.models.registry import default_params, make_model, model_class, model_names

__all__ = [
    "Model",
    "code_commit",
    "default_params",
    "load_artifact",
    "make_model",
    "model_class",
    "model_names",
    "read_meta",
    "save_artifact",
]
