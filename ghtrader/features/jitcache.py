"""Drop stale numba caches of the factor kernels (imported first by ``kernels``).

Trap: numba's ``cache=True`` keys a function's cache on *its own* source file, so the combined
``kernels.step`` / ``run`` keep running an old compiled copy of ``kernels_ext`` after only that file
changed: batch and online could then disagree, or both silently compute an old definition. Before
any kernel is loaded, compare a digest of all kernel sources with a stamp in ``__pycache__`` and
delete the kernels' cache files when it differs (a fresh checkout has none: nothing to do).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = (
    "kernels.py",
    "kernels_cwin.py",
    "kernels_ext.py",
    "kernels_xinst.py",
    "kernels_xwin.py",
    "kernels_ring.py",
    "kernels_math.py",
    "inputs.py",
)
STAMP = "ghtrader_kernels.stamp"


def sources_digest() -> str:
    h = hashlib.sha256()
    for name in SOURCES:
        h.update((HERE / name).read_bytes())
    return h.hexdigest()[:16]


def drop_stale_cache(cache_dir: Path = HERE / "__pycache__") -> bool:
    """Delete ``kernels*.nbi/nbc`` when the sources changed since the stamp; True if it did."""
    digest = sources_digest()
    stamp = cache_dir / STAMP
    try:
        if stamp.read_text() == digest:
            return False
    except OSError:
        pass
    had_cache = cache_dir.is_dir()
    for p in cache_dir.glob("kernels*.nb[ic]") if had_cache else ():
        p.unlink(missing_ok=True)
    try:  # stamp a fresh checkout too, so its first compiled caches are not dropped on the next run
        cache_dir.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest)
    except OSError:  # read-only install: numba then caches elsewhere or not at all
        return False
    return had_cache
