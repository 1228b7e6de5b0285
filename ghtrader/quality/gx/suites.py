"""Great Expectations suites for raw ticks, main_l5, features and labels (SPEC §4.6).

A suite is static per dataset (and per feature/label config); everything partition-specific (the
expected symbol and trading day, sessions from the contract spec, the roll schedule, warm-up rows)
is computed in pandas first into ``gx_*`` helper columns that a named expectation then checks, so
every rule appears as one expectation in the GX result and in Data Docs. Every expectation carries
``meta={"rule": ...}``: the stable name the readable summary reports. Suites validate a batch of
many partitions at once, so order and duplicate rules read per-partition helper columns (steps,
rates) and per-partition aggregates live in the one-row-per-partition ``*_stats`` suites.

Traps: GX column-map expectations skip nulls, which is exactly "ask1 >= bid1 when both present"
and "non-negative when present", and also "a step of at least 0" where the step is NaN on a partition's
first row. Steps rely on rows being in stored (time) order. GX is imported lazily.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ghtrader.schema import DEPTH_VOLUME_COLUMNS, PRICE_COLUMNS

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

TIME_HELPERS = ("gx_symbol_ok", "gx_trading_day_ok", "gx_time_step_ns", "gx_duplicate_ts_rate")
TICK_HELPERS = (*TIME_HELPERS, "gx_volume_step", "gx_in_session")
MAIN_L5_HELPERS = (*TICK_HELPERS, "gx_underlying_ok", "gx_segment_ok")
FEATURE_HELPERS = (*TIME_HELPERS, "gx_finite")
LABEL_HELPERS = TIME_HELPERS
COVERAGE_COLUMNS = ("symbol", "trading_day", "status", "is_trading_day")
PRESENT = ("committed", "no_data")
NON_NEGATIVE = [*PRICE_COLUMNS, *DEPTH_VOLUME_COLUMNS, "volume", "amount", "open_interest"]
REQUIRED = ("symbol", "datetime_ns", "trading_day", "last_price", "volume", "amount", "open_interest")


@dataclass(frozen=True)
class QualityParams:
    """Tolerances of the readiness suites (all bounds are inclusive).

    Defaults fit the sim and real cu data: at a 10-tick horizon about 99% of labels are FLAT, so the
    class-share bounds are loose; ``f_vwap_mid_ticks``/``f_oi_vol_ratio`` are undefined (NaN) on
    every snapshot without a trade, so their NaN bound is raised.
    """

    dup_ts_max_rate: float = 0.001
    class_min_share: float = 0.001
    class_max_share: float = 0.999
    class_bounds: tuple[tuple[int, float, float], ...] = ()  # (horizon, min, max) overrides
    feature_max_nan: float = 0.05
    feature_nan_overrides: tuple[tuple[str, float], ...] = (
        ("f_vwap_mid_ticks", 0.9),
        ("f_oi_vol_ratio", 0.9),
    )
    warmup_rows: int = 256  # rows at the start of each feature partition exempt from the NaN bound
    min_coverage: float = 1.0  # share of expected trading days that must be committed or no-data

    def class_range(self, horizon: int) -> tuple[float, float]:
        for h, lo, hi in self.class_bounds:
            if h == horizon:
                return lo, hi
        return self.class_min_share, self.class_max_share

    def max_nan(self, column: str) -> float:
        return dict(self.feature_nan_overrides).get(column, self.feature_max_nan)


def _e(kind: str, rule: str, meta_extra: dict[str, str] | None = None, **kwargs: Any) -> Any:
    import great_expectations as gx

    cls = getattr(gx.expectations, kind)
    return cls(meta={"rule": rule, **(meta_extra or {})}, **kwargs)


def _is_true(column: str, rule: str) -> Any:
    """Every value of a boolean helper column is True, as its minimum >= 1 (an aggregate, see ``_at_least``).

    Not the mean: GX's pandas mean first scans every value in Python for ``Decimal`` (seconds per
    million rows). ``meta["row_form"]`` tells ``runner`` to re-check a failure as "values in {True}".
    """
    return _e("ExpectColumnMinToBeBetween", rule, column=column, min_value=1, meta_extra={"row_form": "true"})


def _at_least(column: str, rule: str, low: float = 0) -> Any:
    """Every present value >= ``low``, as the column *minimum* (an aggregate, NaN skipped).

    Why not ``ExpectColumnValuesToBeBetween``: GX's pandas column-map path copies the whole (wide,
    ~1M-row) batch per expectation to drop nulls and builds unexpected-index lists, ~7x slower on a
    stacked tick batch. A failing aggregate is re-run per partition (``runner._recheck``), so the
    partition is still named, with the observed minimum instead of example rows. An all-null column
    (a contract locked limit-up all day has no asks) has no minimum: ``runner`` passes it vacuously,
    as the map form would.
    """
    return _e("ExpectColumnMinToBeBetween", rule, column=column, min_value=low)


def _suite(name: str, expectations: Sequence[Any]) -> ExpectationSuite:
    import great_expectations as gx

    return gx.ExpectationSuite(name=name, expectations=list(expectations))


def _time_rules(params: QualityParams) -> list[Any]:
    return [
        _at_least("gx_time_step_ns", "non_decreasing_time"),
        _e(
            "ExpectColumnMaxToBeBetween",
            "duplicate_timestamp_rate",
            column="gx_duplicate_ts_rate",
            max_value=params.dup_ts_max_rate,
        ),
        _is_true("gx_symbol_ok", "symbol_matches_partition"),
        _is_true("gx_trading_day_ok", "trading_day_matches_partition"),
    ]


def tick_suite(columns: Sequence[str], params: QualityParams, *, name: str = "ticks") -> ExpectationSuite:
    """Raw ticks (``columns`` = TICK_COLUMNS) or main_l5 (MAIN_L5_COLUMNS, ``name="main_l5"``)."""
    helpers = MAIN_L5_HELPERS if name == "main_l5" else TICK_HELPERS
    exps = [_e("ExpectTableColumnsToMatchOrderedList", "schema", column_list=[*columns, *helpers])]
    exps += [_e("ExpectColumnValuesToNotBeNull", f"not_null: {c}", column=c) for c in REQUIRED]
    exps += _time_rules(params)
    exps.append(
        _e(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            "ask1_ge_bid1",
            column_A="ask_price1",
            column_B="bid_price1",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )
    )
    exps += [_at_least(c, f"non_negative: {c}") for c in NON_NEGATIVE]
    exps.append(_at_least("gx_volume_step", "cumulative_volume_non_decreasing"))
    exps.append(_is_true("gx_in_session", "inside_sessions"))
    if name == "main_l5":
        exps.append(_is_true("gx_underlying_ok", "underlying_matches_schedule"))
        exps.append(_is_true("gx_segment_ok", "segment_matches_schedule"))
        exps.append(_e("ExpectColumnValuesToNotBeNull", "not_null: schedule_hash", column="schedule_hash"))
    return _suite(name, exps)


def feature_suite(columns: Sequence[str], params: QualityParams) -> ExpectationSuite:
    """Features: ``columns`` as recorded in ``_build.json``, time rules, no infinities."""
    exps = [_e("ExpectTableColumnsToMatchOrderedList", "schema", column_list=[*columns, *FEATURE_HELPERS])]
    exps += _time_rules(params)
    exps.append(_is_true("gx_finite", "features_finite"))
    return _suite("features", exps)


def feature_nan_suite(columns: Sequence[str], params: QualityParams) -> ExpectationSuite:
    """NaN-rate bound per ``f_*`` column, on the one-row-per-partition stats (rates after warm-up)."""
    exps = [
        _e("ExpectColumnValuesToBeBetween", f"nan_rate: {c}", column=c, max_value=params.max_nan(c))
        for c in columns
        if c.startswith("f_")
    ]
    return _suite("features_nan", exps)


def label_suite(columns: Sequence[str], horizons: Sequence[int], params: QualityParams) -> ExpectationSuite:
    """Labels: schema of the recorded config, time rules and classes in {0,1,2} per horizon."""
    exps = [_e("ExpectTableColumnsToMatchOrderedList", "schema", column_list=[*columns, *LABEL_HELPERS])]
    exps += _time_rules(params)
    for h in horizons:
        exps.append(
            _e("ExpectColumnValuesToBeInSet", f"classes: y_{h}", column=f"y_{h}", value_set=[0, 1, 2])
        )
    return _suite("labels", exps)


def label_share_suite(horizons: Sequence[int], params: QualityParams) -> ExpectationSuite:
    """Every class's share of a partition's labelled rows within bounds, per horizon (stats rows)."""
    from ghtrader.labels.core import CLASS_NAMES

    exps = []
    for h in horizons:
        lo, hi = params.class_range(h)
        for name in CLASS_NAMES:
            exps.append(
                _e(
                    "ExpectColumnValuesToBeBetween",
                    f"class_share: y_{h} {name}",
                    column=f"share_y_{h}_{name}",
                    min_value=lo,
                    max_value=hi,
                )
            )
    return _suite("labels_shares", exps)


def coverage_suite(params: QualityParams) -> ExpectationSuite:
    """Expected trading days: each is committed or marked no-data; no partition on a non-trading day."""
    return _suite(
        "coverage",
        [
            _e("ExpectTableColumnsToMatchOrderedList", "schema", column_list=list(COVERAGE_COLUMNS)),
            _e(
                "ExpectColumnValuesToBeInSet",
                "trading_day_coverage",
                column="status",
                value_set=list(PRESENT),
                mostly=params.min_coverage,
            ),
            _is_true("is_trading_day", "partition_on_trading_day"),
        ],
    )
