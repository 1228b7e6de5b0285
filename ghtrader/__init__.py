"""ghTrader: research-only tick-level micro-alpha platform for SHFE cu/au/ag."""

__version__ = "0.1.0"
