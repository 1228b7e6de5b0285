"""``ghtrader factors list``: a set's factor names with family and formula, as JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ghtrader.cli.main import app
from ghtrader.features import factor_specs
from ghtrader.features.sets import feature_set

runner = CliRunner()


def test_factors_list_full_json() -> None:
    result = runner.invoke(app, ["factors", "list", "--set", "full", "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    names = [f["name"] for f in d["factors"]]
    assert names == [s.column for s in factor_specs(feature_set("full"))] and len(names) >= 200
    assert d["hash"] == feature_set("full").hash and d["count"] == len(names)
    assert all(f["family"] and f["formula"] for f in d["factors"])
    row = next(f for f in d["factors"] if f["name"] == "f_ret_30s")
    assert row["family"] == "returns" and row["window_s"] == 30 and "session clock" in row["formula"]


def test_factors_list_unknown_set_is_one_line() -> None:
    result = runner.invoke(app, ["factors", "list", "--set", "nope"])
    assert result.exit_code == 1 and "unknown feature set 'nope'" in result.output
