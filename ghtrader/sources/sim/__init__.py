"""The ``sim`` tick source: a deterministic, seeded synthetic SHFE market (SPEC §4.3)."""

from ghtrader.sources.sim.config import SimConfig, VarietyParams
from ghtrader.sources.sim.source import LATENT_SIDECAR, SimSource

__all__ = ["LATENT_SIDECAR", "SimConfig", "SimSource", "VarietyParams"]
