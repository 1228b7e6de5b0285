"""Stale numba caches of the kernels are dropped when any kernel source changes."""

from __future__ import annotations

from pathlib import Path

from ghtrader.features.jitcache import STAMP, drop_stale_cache, sources_digest


def test_stale_cache_dropped_once(tmp_path: Path) -> None:
    (tmp_path / "kernels.step-270.py311.nbi").write_bytes(b"x")
    (tmp_path / "kernels_ext.xstep-1.py311.1.nbc").write_bytes(b"x")
    (tmp_path / "other.f-1.py311.nbi").write_bytes(b"x")
    (tmp_path / STAMP).write_text("0" * 16)  # written for other sources
    assert drop_stale_cache(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [STAMP, "other.f-1.py311.nbi"]
    assert (tmp_path / STAMP).read_text() == sources_digest()
    (tmp_path / "kernels.run-300.py311.nbi").write_bytes(b"x")
    assert not drop_stale_cache(tmp_path)  # same sources: caches kept
    assert (tmp_path / "kernels.run-300.py311.nbi").exists()


def test_fresh_checkout_is_stamped(tmp_path: Path) -> None:
    cache = tmp_path / "__pycache__"
    assert not drop_stale_cache(cache)  # nothing to drop, but stamped for the next run
    assert (cache / STAMP).read_text() == sources_digest()
    (cache / "kernels.step-270.py311.nbi").write_bytes(b"x")
    assert not drop_stale_cache(cache) and (cache / "kernels.step-270.py311.nbi").exists()
