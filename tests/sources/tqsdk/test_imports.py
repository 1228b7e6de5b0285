"""Only ``tqsdk`` packages (``ghtrader/**/tqsdk/``) import tqsdk, lazily, so importing ghTrader never needs it."""

from __future__ import annotations

import re
import subprocess
import sys

from ghtrader.testing import REPO_ROOT

IMPORT_RE = re.compile(r"^(\s*)(import tqsdk\b|from tqsdk\b)", re.MULTILINE)
PACKAGE = REPO_ROOT / "ghtrader" / "sources" / "tqsdk"


def _hits() -> list[tuple[str, str]]:
    out = []
    for path in sorted((REPO_ROOT / "ghtrader").rglob("*.py")):
        for m in IMPORT_RE.finditer(path.read_text(encoding="utf-8")):
            out.append((str(path.relative_to(REPO_ROOT)), m.group(0)))
    return out


def test_no_tqsdk_import_outside_the_source_package() -> None:
    hits = _hits()
    outside = [h for h in hits if "tqsdk" not in h[0].split("/")[1:-1]]
    assert outside == [], outside
    assert hits, "the source package should import tqsdk somewhere (the real API factory)"


def test_tqsdk_is_imported_lazily_inside_functions() -> None:
    top_level = [h for h in _hits() if not h[1].startswith((" ", "\t"))]
    assert top_level == [], top_level
    code = (
        "import sys, ghtrader.sources.tqsdk, ghtrader.sources.tqsdk.live, ghtrader.cli.contracts, "
        "ghtrader.cli.download_tqsdk, ghtrader.live.feed; print('tqsdk' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
