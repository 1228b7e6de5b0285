"""Data quality: the hard ingest gate (``rules``) that quarantines bad ticks with a reason."""

from ghtrader.quality.rules import summarize_rejections, validate_ticks

__all__ = ["summarize_rejections", "validate_ticks"]
