"""Named feature sets: ``core`` (the default build, 42 factors), ``full`` (the research library, 226)
and ``full_x`` / ``full_xp`` (``full`` plus the cross-contract factors against the next contract, and
for au/ag also against the partner variety's main series; they need those streams in the lake).

A set is a frozen ``FeatureConfig``; its hash (config + ``FACTOR_VERSION``) is what the feature lake's
``_build.json`` and a model artifact record, so a model trained on ``full`` refuses ``core`` features.
``full`` is opt-in: it costs about five times the compute and storage of ``core`` per tick.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ghtrader.features.registry import FeatureConfig, factor_specs

_FULL = FeatureConfig(
    ret_windows=(1, 2, 5, 10, 20, 50, 100),
    rv_windows=(10, 20, 50, 100),
    ofi_windows=(5, 10, 20, 50, 100),
    vol_windows=(10, 20, 50, 100),
    signed_vol_windows=(10, 20, 50, 100),
    doi_windows=(10, 50, 100),
    rate_windows=(10, 50, 100),
    extended=True,
    x_tick_windows=(10, 50, 100),
    time_windows_s=(5, 30, 120),
)
FEATURE_SETS: dict[str, FeatureConfig] = {
    "core": FeatureConfig(),
    "full": _FULL,
    # + cross-contract factors against the next contract (any variety) / also the au<->ag partner
    "full_x": dataclasses.replace(_FULL, cross=("next",)),
    "full_xp": dataclasses.replace(_FULL, cross=("next", "pair")),
}
DEFAULT_SET = "core"


def feature_set(name: str) -> FeatureConfig:
    """The config of a named set (``ValueError`` naming the known sets otherwise)."""
    try:
        return FEATURE_SETS[name]
    except KeyError:
        raise ValueError(f"unknown feature set {name!r}; known: {', '.join(FEATURE_SETS)}") from None


def set_name_of(config: FeatureConfig) -> str | None:
    """The name of the set ``config`` equals (by hash), or None for an ad-hoc config."""
    return next((n for n, c in FEATURE_SETS.items() if c.hash == config.hash), None)


def describe_set(name: str) -> dict[str, Any]:
    """``{"set", "hash", "count", "families": {family: n}, "factors": [{name, family, formula, window...}]}``."""
    config = feature_set(name)
    specs = factor_specs(config)
    fams: dict[str, int] = {}
    for s in specs:
        fams[s.family] = fams.get(s.family, 0) + 1
    return {
        "set": name,
        "hash": config.hash,
        "count": len(specs),
        "families": fams,
        "factors": [
            {
                "name": s.column,
                "family": s.family,
                "formula": s.description,
                "window_ticks": s.window,
                "window_s": s.window_s,
            }
            for s in specs
        ],
    }


def artifact_feature_config(meta: dict[str, Any]) -> FeatureConfig:
    """The ``FeatureConfig`` a model artifact was trained on (from ``meta["feature_set"]``), hash-checked.

    The online engine must compute exactly these factors; an artifact of an ad-hoc config (no set name)
    or whose set definition changed since training is refused.
    """
    fs = meta.get("feature_set") or {}
    if not fs.get("name"):
        raise ValueError("model artifact records no named feature set (trained on an ad-hoc feature config)")
    config = feature_set(fs["name"])
    if config.hash != fs.get("hash"):
        raise ValueError(
            f"feature set {fs['name']!r} changed since training (hash {fs.get('hash')} -> {config.hash})"
        )
    return config
