"""``ghtrader factors list|report``: the factor library's named sets and its analysis report.

Registered by ``ghtrader.cli.main`` as ``app.add_typer(factors_app, name="factors")``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ghtrader.cli.common import emit_json, err_console, run_guarded

factors_app = typer.Typer(help="Factor library: named feature sets and the factor analysis report.",
                          no_args_is_help=True)  # fmt: skip

JsonOpt = Annotated[bool, typer.Option("--json", help="print a JSON summary on stdout")]


@factors_app.command("list")
def list_factors(
    set_name: Annotated[str, typer.Option("--set", help="feature set: core | full")] = "core",
    json_out: JsonOpt = False,
) -> None:
    """Print a feature set's factors with their family and formula line (and the set's hash)."""

    def body() -> None:
        from ghtrader.features.sets import describe_set

        d = describe_set(set_name)
        if json_out:
            emit_json(d)
            return
        from rich.table import Table

        t = Table("factor", "family", "formula", title=f"{d['set']}: {d['count']} factors, hash {d['hash']}")
        for f in d["factors"]:
            t.add_row(f["name"], f["family"], f["formula"])
        err_console.print(t)
        err_console.print(", ".join(f"{k} {v}" for k, v in sorted(d["families"].items())))

    run_guarded(body)
