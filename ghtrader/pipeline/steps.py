"""The steps of the per-variety pipeline (ingest -> schedule -> main_l5 -> build -> train -> evaluate
-> promote), callable from Airflow tasks, the CLI or tests: the run spec and the data steps here, the
Great Expectations gates in ``gx_steps``, train / evaluate / promote in ``model_steps``.

Every step is idempotent and partition-addressed (variety, contract, trading-day range); inputs and
outputs are small JSON-able dicts naming paths, never data. Nothing here reads the clock: the
trading-day range comes from DAG params or the run's logical date, resolved at the entry point.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.promotion.gates import NIGHTLY_MIN_TIER2_NET_PNL

SOURCES = ("sim", "tqsdk")
# The DAG's default model ladder: quick enough for the demo (the deep model's epochs and windows are
# capped); DAG params ``models`` / ``model_params`` override both (any registered model).
DEFAULT_MODELS: tuple[str, ...] = ("lgbm", "logistic", "tcn", "xgboost")  # sorted, like the param
QUICK_MODEL_PARAMS: dict[str, dict[str, Any]] = {
    "xgboost": {"n_estimators": 30, "max_depth": 4},
    "logistic": {"max_iter": 50},  # lbfgs converges slowly on heavy-tailed factors; 50 scores as well as 200
    "tcn": {"seq_len": 16, "epochs": 2, "max_train_windows": 2000, "arch": {"channels": 8, "levels": 2}},
}


@dataclass(frozen=True)
class RunSpec:
    """What one pipeline run works on: a variety over a trading-day range, from one source."""

    var: str
    start: dt.date
    end: dt.date
    data_dir: Path
    runs_dir: Path
    source: str = "sim"
    seed: int = 20250303
    horizon: int = 50
    n_splits: int = 5
    min_train_days: int = 5
    symbols: tuple[str, ...] = ()  # restrict ingest to these contracts (empty: every listed one)
    models: tuple[str, ...] = DEFAULT_MODELS
    model_params: dict[str, dict[str, Any]] = field(default_factory=lambda: dict(QUICK_MODEL_PARAMS))
    min_tier2_net_pnl: float | None = NIGHTLY_MIN_TIER2_NET_PNL  # promotion gate (None: off)
    feature_set: str = "core"  # named factor set the run builds and trains on (features.sets)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> RunSpec:
        """Build from a params dict (Airflow params / CLI); dates as ISO strings."""
        source = str(params.get("source", "sim"))
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
        start, end = dt.date.fromisoformat(str(params["start"])), dt.date.fromisoformat(str(params["end"]))
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        return cls(
            var=str(params["var"]),
            start=start,
            end=end,
            data_dir=Path(params["data_dir"]),
            runs_dir=Path(params["runs_dir"]),
            source=source,
            seed=int(params.get("seed", 20250303)),
            horizon=int(params.get("horizon", 50)),
            n_splits=int(params.get("n_splits", 5)),
            min_train_days=int(params.get("min_train_days", 5)),
            symbols=_symbols(params.get("symbols")),
            models=_symbols(params.get("models")) or DEFAULT_MODELS,
            model_params=_model_params(params.get("model_params")),
            min_tier2_net_pnl=_gate(params.get("min_tier2_net_pnl", NIGHTLY_MIN_TIER2_NET_PNL)),
            feature_set=str(params.get("feature_set") or "core"),
        )

    def to_params(self) -> dict[str, Any]:
        d = asdict(self)
        d["symbols"] = ",".join(self.symbols)
        d["models"] = ",".join(self.models)
        return {k: (str(v) if isinstance(v, (Path, dt.date)) else v) for k, v in d.items()}

    @property
    def lake_root(self) -> Path:
        return self.data_dir / "lake_v2"


def _symbols(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(sorted({str(x).strip() for x in items if str(x).strip()}))


def _gate(value: Any) -> float | None:
    """A gate threshold param: a number, or None / "" / "off" to switch the gate off."""
    return None if value is None or str(value).strip().lower() in ("", "off", "none") else float(value)


def _model_params(value: Any) -> dict[str, dict[str, Any]]:
    """``model_params`` param: a dict or JSON object string ``{model: {param: value}}``; empty: quick defaults."""
    if value in (None, "", {}):
        return dict(QUICK_MODEL_PARAMS)
    parsed = json.loads(value) if isinstance(value, str) else dict(value)
    if not isinstance(parsed, dict) or not all(isinstance(v, dict) for v in parsed.values()):
        raise ValueError("model_params must map model names to param objects")
    return {str(k): dict(v) for k, v in parsed.items()}


def jsonable(obj: Any) -> Any:
    """Round-trip through JSON so XCom carries plain strings/numbers (dates become ISO strings)."""
    return json.loads(json.dumps(obj, default=str))


def market() -> tuple[TradingCalendar, ContractBook]:
    cal = TradingCalendar.bundled()
    return cal, ContractBook.load(cal)


def _source(spec: RunSpec, cal: TradingCalendar, book: ContractBook) -> Any:
    if spec.source == "sim":
        from ghtrader.sources.sim import SimConfig, SimSource

        return SimSource(cal, book, SimConfig(seed=spec.seed))
    raise ValueError(f"source {spec.source!r} is not available in the pipeline yet")


def trading_days(spec: RunSpec) -> list[dt.date]:
    cal, _ = market()
    days = cal.trading_days(spec.start, spec.end)
    if not days:
        raise ValueError(f"no trading days between {spec.start} and {spec.end}")
    return days


def plan_contracts(spec: RunSpec) -> list[str]:
    """Contracts of the variety listed on any trading day of the range (one mapped ingest each)."""
    cal, book = market()
    src = _source(spec, cal, book)
    listed = sorted({s for d in trading_days(spec) for s in src.list_symbols(spec.var, d)})
    unknown = set(spec.symbols) - set(listed)
    if unknown:
        raise ValueError(f"contracts not listed in {spec.start}..{spec.end}: {', '.join(sorted(unknown))}")
    return [s for s in listed if not spec.symbols or s in spec.symbols]


def ingest_contract(spec: RunSpec, symbol: str) -> dict[str, Any]:
    """Ingest one contract over the range (days it is listed); resumable and idempotent."""
    from ghtrader.live.backfill import backfill_plan
    from ghtrader.store.ingest import ingest_source_days, plan_symbols
    from ghtrader.store.lake import ParquetLake

    cal, book = market()
    src = _source(spec, cal, book)
    plan = plan_symbols(src, spec.var, trading_days(spec), only=symbol)
    lake = ParquetLake(spec.lake_root)
    quarantine = spec.data_dir / "quarantine"
    # the live recorder's partial days (open gaps) first: the resumable ingest would skip them
    filled = backfill_plan(
        lake, src, plan, data_dir=spec.data_dir, calendar=cal, book=book, quarantine_dir=quarantine
    )
    summary = filled + ingest_source_days(lake, src, plan, calendar=cal, book=book, quarantine_dir=quarantine)
    return jsonable({"symbol": symbol, **summary.to_dict()})


def schedule(spec: RunSpec) -> dict[str, Any]:
    """Recompute and persist the OI roll schedule from everything stored for the variety."""
    from ghtrader.schedule.build import build_schedule
    from ghtrader.store.lake import ParquetLake

    _, book = market()
    summary = build_schedule(ParquetLake(spec.lake_root), spec.var, book).summary()
    return jsonable(summary | {"switches": len(summary["switches"])})


def main_l5(spec: RunSpec) -> dict[str, Any]:
    """Materialize main_l5 for every scheduled day (unchanged partitions are not rewritten)."""
    from ghtrader.schedule.main_l5 import build_main_l5
    from ghtrader.store.lake import ParquetLake

    return jsonable(build_main_l5(ParquetLake(spec.lake_root), spec.var))


def resolve_spec(var: str, params: Mapping[str, Any], logical_day: dt.date) -> dict[str, Any]:
    """Turn DAG params into a RunSpec dict; empty dates come from the run's logical date.

    This is the pipeline's entry point, so it reads the environment (GHTRADER_DATA_DIR etc.) once.
    ``end`` defaults to the last trading day on or before the logical date, ``start`` to
    ``window_days - 1`` (default 19) trading days before ``end``, so a backfill run for a logical
    date processes that date's window.
    """
    from ghtrader.config import load_settings

    settings = load_settings()
    cal, _ = market()
    end = dt.date.fromisoformat(params["end"]) if params.get("end") else _last_trading_day(cal, logical_day)
    if params.get("start"):
        start = dt.date.fromisoformat(params["start"])
    else:
        start = end
        for _ in range(int(params.get("window_days") or 20) - 1):
            start = cal.prev_trading_day(start)
    spec = RunSpec(
        var=var,
        start=start,
        end=end,
        data_dir=Path(params.get("data_dir") or settings.data_dir).resolve(),
        runs_dir=Path(params.get("runs_dir") or settings.runs_dir).resolve(),
        source=str(params.get("source") or "sim"),
        seed=int(params.get("seed") or settings.sim_seed),
        horizon=int(params.get("horizon") or 50),
        n_splits=int(params.get("n_splits") or 5),
        min_train_days=int(params.get("min_train_days") or 5),
        symbols=_symbols(params.get("symbols")),
        models=_symbols(params.get("models")) or DEFAULT_MODELS,
        model_params=_model_params(params.get("model_params")),
        min_tier2_net_pnl=_gate(params.get("min_tier2_net_pnl", NIGHTLY_MIN_TIER2_NET_PNL)),
        feature_set=str(params.get("feature_set") or "core"),
    )
    validate_spec(RunSpec.from_params(spec.to_params()))
    return spec.to_params()


def validate_spec(spec: RunSpec) -> None:
    """Fail fast on a run that cannot succeed: unknown source/contracts or a range too short.

    Trap: the walk-forward needs ``min_train_days + purge + n_splits`` trading days at least; a short
    range used to fail only at ``train``, after ingest and every gate had run (and then was retried).
    Raises ``ValueError`` with one line saying what is wrong and what would fix it.
    """
    from ghtrader.datasets.splits import days_needed
    from ghtrader.features.aux import partner_variety
    from ghtrader.features.sets import feature_set

    if "pair" in feature_set(spec.feature_set).cross:  # feature_set: ValueError naming the known sets
        partner_variety(spec.var)  # ValueError when the variety has no partner
    days = trading_days(spec)
    cfg = eval_config(spec)
    need = days_needed(
        n_splits=spec.n_splits, min_train_days=spec.min_train_days, test_days=1, purge_days=cfg.purge_days
    )
    if spec.n_splits < 1 or spec.min_train_days < 1 or spec.horizon < 1:
        raise ValueError(
            f"n_splits, min_train_days and horizon must be >= 1, got {spec.n_splits}, "
            f"{spec.min_train_days}, {spec.horizon}"
        )
    if len(days) < need:
        raise ValueError(
            f"{spec.start}..{spec.end} has {len(days)} trading days; the walk-forward needs >= {need} "
            f"(min_train_days {spec.min_train_days} + purge {cfg.purge_days} + n_splits {spec.n_splits}): "
            "widen the range or lower n_splits/min_train_days"
        )
    from ghtrader.models.registry import make_model

    for name in spec.models:  # unknown models / params fail here, before any ingest
        make_model(name, spec.model_params.get(name))
    plan_contracts(spec)  # an unavailable source or unknown contracts fail here, not in ingest


def _last_trading_day(cal: TradingCalendar, day: dt.date) -> dt.date:
    return day if cal.is_trading_day(day) else cal.prev_trading_day(day)


def build(spec: RunSpec) -> dict[str, Any]:
    """Features + labels of the continuous series (incremental: only new/changed days are built)."""
    from ghtrader.features.build import load_record
    from ghtrader.features.sets import feature_set
    from ghtrader.pipeline.build import build_dataset
    from ghtrader.schedule.main_l5 import continuous_symbol
    from ghtrader.store.lake import ParquetLake

    _, book = market()
    lake, symbol, config = (
        ParquetLake(spec.lake_root),
        continuous_symbol(spec.var),
        feature_set(spec.feature_set),
    )
    record = load_record(lake, symbol)
    changed = record is not None and record["config_hash"] != config.hash  # the run asks for another set
    out = build_dataset(lake, symbol, book=book, features=config, overwrite=changed)
    return jsonable(out | {"feature_set": spec.feature_set, "rebuilt_for_new_set": changed})


def eval_config(spec: RunSpec) -> Any:
    from ghtrader.evaluation.walkforward import EvalConfig

    return EvalConfig(horizon=spec.horizon, n_splits=spec.n_splits, min_train_days=spec.min_train_days)
