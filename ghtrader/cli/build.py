"""``ghtrader build``: causal features and event-time labels of a (continuous) symbol."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ghtrader.cli.common import emit_json, err_console, progress_bar, run_guarded, settings_for, writer_locks


def build(
    symbol: Annotated[str, typer.Option(help="e.g. KQ.m@SHFE.cu")] = "KQ.m@SHFE.cu",
    horizons: Annotated[str, typer.Option(help="label horizons in ticks, comma-separated")] = "10,50,200",
    k: Annotated[float, typer.Option(help="FLAT band in ticks for the labels")] = 1.0,
    features: Annotated[str, typer.Option(help="feature set: core (default) | full (226 factors)")] = "core",
    overwrite: Annotated[bool, typer.Option(help="rebuild everything after a config change")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")] = None,
    lock_timeout: Annotated[
        float | None, typer.Option(help="give up after this many seconds waiting for another writer")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print a JSON summary on stdout")] = False,
) -> None:
    """Build features + labels from main_l5 (incremental, resumable; a changed config needs --overwrite)."""

    def body() -> None:
        from ghtrader.features.sets import feature_set
        from ghtrader.labels.core import LabelConfig
        from ghtrader.market.calendar import TradingCalendar
        from ghtrader.market.contracts import ContractBook
        from ghtrader.pipeline.build import build_dataset
        from ghtrader.store.lake import ParquetLake

        settings = settings_for(data_dir)
        lake = ParquetLake(settings.lake_dir)
        try:
            hs = tuple(int(h) for h in horizons.split(","))
        except ValueError:
            raise ValueError(f"--horizons must be integers like 10,50,200, got {horizons!r}") from None
        labels = LabelConfig(horizons=hs, k=k)
        fconfig = feature_set(features)
        book = ContractBook.load(TradingCalendar.bundled())
        with (
            writer_locks(lock_timeout),
            progress_bar(
                f"build {symbol}", len(lake.days("main_l5", symbol)), enabled=not json_out
            ) as advance,
        ):
            summary = build_dataset(
                lake,
                symbol,
                book=book,
                features=fconfig,
                labels=labels,
                overwrite=overwrite,
                progress=lambda d, _s: advance(str(d)),
            )
        if json_out:
            emit_json(summary)
        else:
            f, lab = summary["features"], summary["labels"]
            err_console.print(
                f"{symbol}: features {len(f['built'])} days built, {f['skipped']} current ({f['rows']:,} rows, "
                f"config {f['config_hash']}); labels {len(lab['built'])} built, {lab['skipped']} current"
            )

    run_guarded(body)
