"""Self-contained HTML reports of evaluations (embedded PNG plots)."""

from ghtrader.reports.html import write_report

__all__ = ["write_report"]
