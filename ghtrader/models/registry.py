"""Model name -> implementing class, resolved lazily so listing models never imports torch or lightgbm.

The deep zoo (DeepLOB, Transformer, TCN, TLOB, SSM) registers here with the same contract
(``ghtrader.models.base.Model``: ``predict_proba(X) -> (n, 3)``, ``save``/``load``).
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import Any

MODELS: MappingProxyType[str, str] = MappingProxyType(
    {
        "logistic": "ghtrader.models.tabular:LogisticModel",
        "lgbm": "ghtrader.models.tabular:LgbmModel",
        "xgboost": "ghtrader.models.tabular:XgbModel",
        "deeplob": "ghtrader.models.deep.model:DeepLobModel",
        "tcn": "ghtrader.models.deep.model:TcnModel",
        "transformer": "ghtrader.models.deep.model:TransformerModel",
        "tlob": "ghtrader.models.deep.model:TlobModel",
        "ssm": "ghtrader.models.deep.model:SsmModel",
    }
)


def model_names() -> list[str]:
    return sorted(MODELS)


def model_class(name: str) -> Any:
    """The class registered as ``name`` (``ValueError`` listing the known names otherwise)."""
    try:
        target = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(model_names())}") from None
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)


def make_model(name: str, params: dict[str, Any] | None = None) -> Any:
    """A fresh, unfitted model ``name`` with ``params`` over its defaults."""
    return model_class(name)(params)


def default_params(name: str) -> dict[str, Any]:
    return dict(model_class(name).defaults)
