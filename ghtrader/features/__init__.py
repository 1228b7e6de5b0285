"""Causal microstructure factors: one streaming numba definition for batch and online use (SPEC §5)."""

from ghtrader.features.engine import FactorState, OnlineFactorEngine, compute_features
from ghtrader.features.registry import FactorSpec, FeatureConfig, factor_specs, feature_columns

__all__ = [
    "FactorSpec",
    "FactorState",
    "FeatureConfig",
    "OnlineFactorEngine",
    "compute_features",
    "factor_specs",
    "feature_columns",
]
