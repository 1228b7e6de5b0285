"""Time-ordered datasets: walk-forward splits, feature/label joins and segment-safe sequence windows."""

from ghtrader.datasets.splits import Split, days_needed, purge_rows, walk_forward_splits
from ghtrader.datasets.windows import SequenceDataset, run_starts, sequence_windows
from ghtrader.datasets.xy import XY, load_xy, read_partition

__all__ = [
    "XY",
    "SequenceDataset",
    "Split",
    "days_needed",
    "load_xy",
    "purge_rows",
    "read_partition",
    "run_starts",
    "sequence_windows",
    "walk_forward_splits",
]
