"""``ghtrader train``, ``ghtrader benchmark`` and ``ghtrader compare`` (registered in ``ghtrader.cli.main``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ghtrader.cli.common import CliError, emit_json, err_console, run_guarded

SymbolOpt = Annotated[str, typer.Option(help="continuous symbol, e.g. KQ.m@SHFE.cu")]
HorizonOpt = Annotated[int, typer.Option(help="label horizon in ticks (10 | 50 | 200)")]
DataDirOpt = Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")]
RunsDirOpt = Annotated[Path | None, typer.Option(help="default: GHTRADER_RUNS_DIR, else ./runs")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print a JSON summary on stdout")]
ParamOpt = Annotated[
    list[str] | None, typer.Option("--param", help="model param override KEY=VALUE (repeatable)")
]
SplitsOpt = Annotated[int, typer.Option(help="walk-forward splits")]
MinTrainOpt = Annotated[int, typer.Option(help="trading days the first split trains on (at least)")]
TestDaysOpt = Annotated[int | None, typer.Option(help="test days per split (default: spread the data)")]
StrideOpt = Annotated[int, typer.Option(help="train on every k-th labelled row")]
FeatureSetOpt = Annotated[
    str | None,
    typer.Option(help="feature set core | full | full_x | full_xp (default: every factor the lake holds)"),
]


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}`` (values parsed as JSON when they parse)."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise CliError(f"--param must look like KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def _context(data_dir: Path | None, runs_dir: Path | None) -> tuple[Path, Path, Any]:
    from ghtrader.config import load_settings
    from ghtrader.market.calendar import TradingCalendar
    from ghtrader.market.contracts import ContractBook

    settings = load_settings(data_dir=data_dir, runs_dir=runs_dir)
    if not settings.lake_dir.is_dir():
        raise CliError(f"no data lake at {settings.lake_dir} (run download / main-l5 / build first)")
    return settings.lake_dir, settings.runs_dir, ContractBook.load(TradingCalendar.bundled())


def _fmt(v: Any, digits: int = 4) -> str:
    return "—" if v is None else f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def print_table(rows: list[dict[str, Any]]) -> None:
    """Metrics table on stderr (stdout stays for the report path / JSON)."""
    from rich.table import Table

    t = Table("predictor", "kind", "accuracy", "macro-F1", "± std", "log loss", "ECE", "µs/row")
    for r in rows:
        t.add_row(
            r["name"],
            r["kind"],
            _fmt(r.get("accuracy_mean")),
            _fmt(r.get("macro_f1_mean")),
            _fmt(r.get("macro_f1_std"), 3),
            _fmt(r.get("log_loss_mean")),
            _fmt(r.get("ece_mean")),
            _fmt(r.get("latency_us_per_row"), 1) if r.get("available", True) else r.get("reason") or "n/a",
        )
    err_console.print(t)


def train(
    model: Annotated[
        str, typer.Option(help="logistic | lgbm | xgboost | deeplob | tcn | transformer | tlob | ssm")
    ] = "lgbm",
    symbol: SymbolOpt = "KQ.m@SHFE.cu",
    horizon: HorizonOpt = 50,
    data_dir: DataDirOpt = None,
    runs_dir: RunsDirOpt = None,
    param: ParamOpt = None,
    splits: SplitsOpt = 5,
    min_train_days: MinTrainOpt = 5,
    test_days: TestDaysOpt = None,
    train_stride: StrideOpt = 20,
    feature_set: FeatureSetOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Walk-forward evaluate a model, fit it on all days and save the artifact under runs/models/."""

    def body() -> None:
        from ghtrader.evaluation import EvalConfig
        from ghtrader.evaluation import train as train_model

        lake, runs, book = _context(data_dir, runs_dir)
        config = EvalConfig(
            horizon=horizon,
            n_splits=splits,
            min_train_days=min_train_days,
            test_days=test_days,
            train_stride=train_stride,
        )
        res = train_model(
            lake,
            symbol,
            model,
            runs_dir=runs,
            book=book,
            config=config,
            params=parse_params(param) or None,
            feature_set=feature_set,
        )
        summary = {
            "run_dir": str(res.run_dir),
            "model": model,
            "metrics": res.scores.summary,
            "latency_us_per_row": res.latency_us_per_row,
            "baselines": {
                k: {"available": b.available, "reason": b.reason, **b.summary}
                for k, b in res.baselines.items()
            },
        }
        if json_out:
            emit_json(summary)
            return
        rows = [
            {
                "name": model,
                "kind": "model",
                **res.scores.summary,
                "latency_us_per_row": res.latency_us_per_row,
            }
        ]
        rows += [
            {"name": k, "kind": "baseline", "available": b.available, "reason": b.reason, **b.summary}
            for k, b in res.baselines.items()
        ]
        print_table(rows)
        typer.echo(str(res.run_dir))

    run_guarded(body)


def benchmark(
    symbol: SymbolOpt = "KQ.m@SHFE.cu",
    models: Annotated[str, typer.Option(help="comma-separated model names")] = "logistic,lgbm",
    horizon: HorizonOpt = 50,
    data_dir: DataDirOpt = None,
    runs_dir: RunsDirOpt = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="MODEL.KEY=VALUE (repeatable)")] = None,
    splits: SplitsOpt = 5,
    min_train_days: MinTrainOpt = 5,
    test_days: TestDaysOpt = None,
    train_stride: StrideOpt = 20,
    threshold: Annotated[
        float | None,
        typer.Option(
            help="fix the signal threshold on p_up - p_down (default: tuned inside each training fold)"
        ),
    ] = None,
    feature_set: FeatureSetOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Compare models walk-forward with the majority baseline and the oracle; write the HTML report."""

    def body() -> None:
        from ghtrader.evaluation import EvalConfig, SignalConfig
        from ghtrader.evaluation import benchmark as run_benchmark

        names = [m.strip() for m in models.split(",") if m.strip()]
        if not names:
            raise CliError("--models needs at least one model name")
        per_model: dict[str, dict[str, Any]] = {}
        for key, value in parse_params(param).items():
            name, sep, p = key.partition(".")
            if not sep or name not in names:
                raise CliError(f"--param must look like MODEL.KEY=VALUE for a model in --models, got {key!r}")
            per_model.setdefault(name, {})[p] = value
        lake, runs, book = _context(data_dir, runs_dir)
        config = EvalConfig(
            horizon=horizon,
            n_splits=splits,
            min_train_days=min_train_days,
            test_days=test_days,
            train_stride=train_stride,
        )
        res = run_benchmark(
            lake,
            symbol,
            names,
            runs_dir=runs,
            book=book,
            config=config,
            params=per_model,
            signal=SignalConfig(threshold=threshold),
            progress=None if json_out else lambda m: err_console.print(f"[dim]{m}[/dim]"),
            feature_set=feature_set,
        )
        if json_out:
            emit_json(
                {
                    "eval_id": res.eval_id,
                    "report": str(res.report_path),
                    "table": res.table,
                    "backtests": res.backtests,
                    "runs": {k: str(v) for k, v in res.run_dirs.items()},
                }
            )
            return
        print_table(res.table)
        typer.echo(str(res.report_path))

    run_guarded(body)


def compare(
    run_dirs: Annotated[list[Path], typer.Argument(help="model run or evaluation directories")],
    json_out: JsonOpt = False,
) -> None:
    """Compare saved runs (model runs and/or benchmark evaluations) in one table."""

    def body() -> None:
        from ghtrader.evaluation import compare as compare_runs

        rows = compare_runs(run_dirs)
        if json_out:
            emit_json({"rows": rows})
            return
        print_table(rows)

    run_guarded(body)
