"""The hot loop of the PGWire decoder (``wire_decode``): DataRow messages into column arrays (numba).

Fields are big-endian; a field length of -1 is NULL. When every column is 8 bytes wide and a row has
no NULL, the DataRow has a fixed length and fixed field offsets: that path (the tick tables) skips
the per-field dispatch.
"""

from __future__ import annotations

import numba
import numpy as np

UNKNOWN_KIND = -1  # a column without a decoder: its fields are skipped, the answer then refused
NEED_DATA, AT_MESSAGE, NEED_ROWS, NEED_TEXT = 0, 1, 2, 3  # why ``decode_rows`` stopped


@numba.njit(cache=True, inline="always")
def be4(buf: np.ndarray, i: int) -> int:
    """Signed big-endian int32 at ``buf[i]``."""
    v = (np.int64(buf[i]) << 24) | (np.int64(buf[i + 1]) << 16) | (np.int64(buf[i + 2]) << 8) | buf[i + 3]
    return v - (np.int64(1) << 32) if v >= (np.int64(1) << 31) else v


@numba.njit(cache=True, inline="always")
def be8(buf: np.ndarray, j: int) -> np.int64:
    """Big-endian 64 bits at ``buf[j]`` as int64 (two's complement wraps as on the wire)."""
    v = np.uint64(0)
    for k in range(8):
        v = (v << np.uint64(8)) | np.uint64(buf[j + k])
    return np.int64(v)


@numba.njit(cache=True, nogil=True)
def decode_rows(
    buf: np.ndarray, i: int, end: int, kinds: np.ndarray, values: np.ndarray, lengths: np.ndarray,
    valid: np.ndarray, r: int, text: np.ndarray, tpos: int,
) -> tuple[int, int, int, int]:  # fmt: skip
    """Decode the complete DataRows ('D') of ``buf[i:end]`` from row ``r`` on.

    Stops at an incomplete message (``NEED_DATA``), a message that is not a DataRow
    (``AT_MESSAGE``), full row arrays (``NEED_ROWS``) or a full text arena (``NEED_TEXT``);
    returns ``(i, r, tpos, why)``, ``i`` at the first message not decoded.
    """
    ncols, cap = kinds.shape[0], values.shape[0]
    all8 = 6 + 12 * ncols if np.all(kinds == 8) else -1  # the DataRow length when every field is 8 bytes
    while i + 5 <= end:
        if buf[i] != 68:
            return i, r, tpos, AT_MESSAGE
        mlen = be4(buf, i + 1)
        if i + 1 + mlen > end:
            return i, r, tpos, NEED_DATA
        if r == cap:
            return i, r, tpos, NEED_ROWS
        if text.shape[0] > 0 and tpos + mlen > text.shape[0]:
            return i, r, tpos, NEED_TEXT
        if mlen == all8:  # no NULL, no text: fixed offsets, no per-field dispatch (the tick case)
            j = i + 11
            for c in range(ncols):
                values[r, c] = be8(buf, j)
                valid[r, c] = True
                j += 12
            r += 1
            i += 1 + mlen
            continue
        j = i + 7
        for c in range(ncols):
            flen = be4(buf, j)
            j += 4
            if flen < 0:
                valid[r, c] = False
                values[r, c] = 0
                continue
            k = kinds[c]
            valid[r, c] = k != UNKNOWN_KIND
            if k == 8:
                values[r, c] = be8(buf, j)
            elif k == 0:
                text[tpos : tpos + flen] = buf[j : j + flen]
                values[r, c] = tpos
                lengths[r, c] = flen
                tpos += flen
            elif k == 4:
                values[r, c] = be4(buf, j)
            elif k == 2:
                v = (np.int64(buf[j]) << 8) | buf[j + 1]
                values[r, c] = v - 65536 if v >= 32768 else v
            elif k == 1:
                values[r, c] = buf[j]
            else:
                values[r, c] = 0
            j += flen
        r += 1
        i += 1 + mlen
    return i, r, tpos, NEED_DATA
