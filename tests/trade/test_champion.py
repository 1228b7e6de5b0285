"""Champion loading: sha256-verified, refused on other feature/label configs; the watcher keeps the old one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from ghtrader.features.sets import feature_set
from ghtrader.labels.core import LabelConfig
from ghtrader.testing.champion import make_champion
from ghtrader.trade.champion import ChampionRefused, ChampionWatcher, Expected, load_champion

CORE = Expected(feature_set("core"), LabelConfig())


def test_load_verify_and_refuse(trained: SimpleNamespace, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    good = tmp_path / "good"
    shutil.copytree(trained.lgbm, good)
    make_champion(runs, good)
    champ = load_champion(runs, "cu", CORE)
    assert champ.meta["model"] == "lgbm" and champ.signal.threshold == pytest.approx(0.2)
    with pytest.raises(ChampionRefused, match="feature config hash"):
        load_champion(runs, "cu", Expected(feature_set("full"), LabelConfig()))
    with pytest.raises(ChampionRefused, match="label config hash"):
        load_champion(runs, "cu", Expected(feature_set("core"), LabelConfig(k=2.0)))

    watcher = ChampionWatcher(runs, "cu", CORE, champ)
    assert watcher.poll() is None  # nothing changed
    tampered = tmp_path / "tampered"
    shutil.copytree(trained.logistic, tampered)
    (tampered / "model.joblib").write_bytes((tampered / "model.joblib").read_bytes() + b"x")
    make_champion(runs, tampered, at="2025-03-21T00:00:00")
    res = watcher.poll()
    assert isinstance(res, ChampionRefused) and "changed since it was saved" in str(res)
    assert watcher.refused and watcher.current_key == champ.pointer_key  # the old champion stays

    other = tmp_path / "other"
    shutil.copytree(trained.logistic, other)
    meta = json.loads((other / "meta.json").read_text())
    meta["data"]["features"]["config_hash"] = "0" * 16
    meta["run_id"] = "other-run"
    (other / "meta.json").write_text(json.dumps(meta))
    make_champion(runs, other, at="2025-03-22T00:00:00")
    res = watcher.poll()
    assert isinstance(res, ChampionRefused) and "feature config hash" in str(res)
