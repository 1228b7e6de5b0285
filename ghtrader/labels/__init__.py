"""Event-time DOWN/FLAT/UP labels over tick horizons, computed per trading day and stored in the lake."""

from ghtrader.labels.build import LabelBuildSummary, build_labels, read_build_record
from ghtrader.labels.core import (
    CLASS_NAMES,
    DOWN,
    FLAT,
    UP,
    LabelConfig,
    class_balance,
    compute_labels,
    label_schema,
    labels_to_arrow,
)

__all__ = [
    "CLASS_NAMES",
    "DOWN",
    "FLAT",
    "UP",
    "LabelBuildSummary",
    "LabelConfig",
    "build_labels",
    "class_balance",
    "compute_labels",
    "label_schema",
    "labels_to_arrow",
    "read_build_record",
]
