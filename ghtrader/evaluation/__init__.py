"""Walk-forward evaluation, baselines (majority, sim oracle), benchmark / compare of saved runs."""

from ghtrader.evaluation.backtest import SignalConfig
from ghtrader.evaluation.benchmark import BenchmarkResult, TrainResult, benchmark, compare, train
from ghtrader.evaluation.walkforward import EvalConfig

__all__ = ["BenchmarkResult", "EvalConfig", "SignalConfig", "TrainResult", "benchmark", "compare", "train"]
