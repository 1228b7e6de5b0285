"""Entry point of the ``ghtrader`` command. Commands import their heavy modules lazily."""

from __future__ import annotations

import typer

from ghtrader.cli.audit import audit
from ghtrader.cli.backtest import backtest
from ghtrader.cli.build import build
from ghtrader.cli.contracts import contracts
from ghtrader.cli.coverage import coverage
from ghtrader.cli.db import db_app
from ghtrader.cli.download import download
from ghtrader.cli.factors import factors_app
from ghtrader.cli.lake import lake_app
from ghtrader.cli.models import benchmark, compare, train
from ghtrader.cli.promote import promote
from ghtrader.cli.record import record
from ghtrader.cli.schedule import main_l5, main_schedule
from ghtrader.cli.trade import trade_app

app = typer.Typer(
    name="ghtrader",
    help="Research-only SHFE tick platform: download, build, train, evaluate, promote.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("download")(download)
app.command("coverage")(coverage)
app.command("main-schedule")(main_schedule)
app.command("main-l5")(main_l5)
app.command("build")(build)
app.command("train")(train)
app.command("benchmark")(benchmark)
app.command("compare")(compare)
app.command("contracts")(contracts)
app.command("backtest")(backtest)
app.command("promote")(promote)
app.command("audit")(audit)
app.command("record")(record)
app.add_typer(db_app, name="db")
app.add_typer(trade_app, name="trade")
app.add_typer(factors_app, name="factors")
app.add_typer(lake_app, name="lake")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
