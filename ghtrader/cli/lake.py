"""``ghtrader lake migrate``: convert an old-layout lake (``.sha256`` sidecars) for standard readers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ghtrader.cli.common import CliError, emit_json, err_console, run_guarded, settings_for, writer_locks

lake_app = typer.Typer(help="Lake maintenance.", no_args_is_help=True, add_completion=False)


@lake_app.command("migrate")
def migrate(
    data_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")] = None,
    lock_timeout: Annotated[
        float | None, typer.Option(help="give up after this many seconds waiting for a writer")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print a JSON summary on stdout")] = False,
) -> None:
    """Rewrite legacy partitions in place (checksums verified first); idempotent, exit 1 on any bad file."""
    failed = False

    def body() -> None:
        nonlocal failed
        from ghtrader.store.migrate import migrate_lake

        settings = settings_for(data_dir)
        if not settings.lake_dir.is_dir():
            raise CliError(f"no lake at {settings.lake_dir}")
        with writer_locks(lock_timeout):
            report = migrate_lake(settings.lake_dir, settings.data_dir / "quarantine")
        for e in report.errors:
            err_console.print(f"not migrated: {e}", highlight=False, soft_wrap=True)
        if json_out:
            emit_json({"lake": str(settings.lake_dir), **report.to_dict()})
        else:
            err_console.print(
                f"lake migrate: {report.migrated} partitions rewritten, {report.current} already current, "
                f"{report.records_updated} build records updated, {len(report.errors)} errors "
                f"-> {settings.lake_dir}",
                highlight=False,
            )
        failed = bool(report.errors)

    run_guarded(body)
    if failed:
        raise typer.Exit(1)
