"""Tier-1 backtest: probabilities -> target positions -> TqSim-like fills on main_l5 ticks."""

from ghtrader.backtest.engine import BacktestConfig, BacktestResult, downsample, run_backtest
from ghtrader.backtest.signals import signal_from_proba

__all__ = ["BacktestConfig", "BacktestResult", "downsample", "run_backtest", "signal_from_proba"]
