"""Great Expectations readiness suites (GX is imported lazily, only when a suite runs)."""

from ghtrader.quality.gx.failures import format_summary
from ghtrader.quality.gx.runner import Batch, DataQualityError, Problem, run_suites
from ghtrader.quality.gx.suites import QualityParams

__all__ = ["Batch", "DataQualityError", "Problem", "QualityParams", "format_summary", "run_suites"]
