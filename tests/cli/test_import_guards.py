"""Issue 11 defects 2-4 and 6 through the CLI, on small CSVs made here.

Out-of-order input is sorted, short days and no-op imports fail in one line, a partial stored day
is superseded by a fuller import (old files kept), gzip is read, varieties are checked the same
way everywhere, concurrent writers serialize on the symbol lock, and errno text becomes one line.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ghtrader.cli.main import app
from ghtrader.store.lake import ParquetLake

CLEAN = Path(__file__).parents[1] / "quality" / "corpus" / "clean.csv"
SYM = "SHFE.cu2505"
DAY = dt.date(2025, 3, 12)
T0 = 1741744800000000000  # 2025-03-12 10:00:00 CST
NIGHT = T0 - 7 * 3600 * 10**9  # 03:00 CST: outside every cu session


def _rows(n: int, *, start_ns: int = T0, symbol: str = SYM) -> list[dict[str, str]]:
    with CLEAN.open() as f:
        base = next(csv.DictReader(f))
    out = []
    for i in range(n):
        ns = start_ns + i * 500_000_000
        local = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=ns // 1000 + 8 * 3600 * 10**6)
        out.append(
            base
            | {
                "symbol": symbol,
                "id": str(5000 + i),
                "datetime": local.strftime("%Y-%m-%d %H:%M:%S.%f"),
                "datetime_nano": str(ns),
                "volume": str(1000 + i),
                "amount": f"{375000000.0 + i * 375050.0:.1f}",
            }
        )
    return out


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with CLEAN.open() as f:
        header = next(csv.reader(f))
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    return path


def _run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def _csv(path: Path, data: Path, *extra: str) -> tuple[int, str, str]:
    return _run("download", "--source", "csv", "--path", str(path), "--data-dir", str(data), *extra)


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "_lock"
    }


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_out_of_order_csv_is_sorted_and_accepted_whole(tmp_path: Path, order: str) -> None:
    rows = _rows(40)
    messy = rows[::-1] if order == "reversed" else random.Random(7).sample(rows, len(rows))
    code, out, err = _csv(_write(tmp_path / "t.csv", messy), tmp_path / "d", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["rows_written"], summary["rows_quarantined"]) == (40, 0)
    ns = ParquetLake(tmp_path / "d" / "lake_v2").read_day("ticks", SYM, DAY)["datetime_ns"].to_pylist()
    assert ns == sorted(ns) and len(ns) == 40
    # Genuine problems still go to quarantine with reasons after sorting.
    bad = [*messy, rows[3], rows[10] | {"volume": "900", "datetime_nano": str(T0 + 10 * 500_000_000 + 1)}]
    code, out, err = _csv(_write(tmp_path / "b.csv", bad), tmp_path / "e", "--json")
    assert code == 0, err
    reasons = json.loads(out)["quarantine_reasons"]
    assert reasons == {"duplicate_row": 1, "decreasing_cumulative_volume": 1}


def test_short_day_fails_then_fuller_import_supersedes(tmp_path: Path) -> None:
    data = tmp_path / "d"
    full = _rows(20)
    partial = full[:4] + _rows(16, start_ns=NIGHT)  # 16 of 20 rows outside the sessions
    code, _, err = _csv(_write(tmp_path / "p.csv", partial), data)
    assert code == 1 and err.strip().count("\n") == 0
    assert f"partial day: {SYM} {DAY}: 4/20 rows kept" in err
    lake = ParquetLake(data / "lake_v2")
    old = lake.manifest("ticks", SYM, DAY)
    assert old is not None and old.rows == 4  # what passed is stored, and the command said so

    code, out, err = _csv(_write(tmp_path / "f.csv", full), data, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["rows_written"], summary["partitions_superseded"]) == (20, 1)
    assert lake.read_day("ticks", SYM, DAY).num_rows == 20
    kept = data / "lake_v2" / "_superseded" / "ticks" / f"symbol={SYM}" / f"date={DAY}" / old.sha256[:16]
    assert (kept / old.files[0].name).is_file() and (kept / "_manifest.json").is_file()

    other = _rows(25, start_ns=T0 + 250_000_000)  # different rows: not a superset of what is stored
    code, _, err = _csv(_write(tmp_path / "o.csv", other), data)
    assert code == 1 and "--overwrite" in err and err.strip().count("\n") == 0
    assert lake.read_day("ticks", SYM, DAY).num_rows == 20
    assert _csv(tmp_path / "o.csv", data, "--overwrite")[0] == 0
    assert lake.read_day("ticks", SYM, DAY).num_rows == 25


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("out_of_session", "nothing written: 10 rows read, 10 quarantined (out_of_session: 10)"),
        ("unsupported_variety", "nothing written: 10 rows read, 10 quarantined (unknown_symbol: 10)"),
        ("empty", "empty file"),
    ],
)
def test_nothing_written_is_an_error(tmp_path: Path, case: str, message: str) -> None:
    path = tmp_path / "x.csv"
    if case == "empty":
        path.write_bytes(b"")
    else:
        start, sym = (NIGHT, SYM) if case == "out_of_session" else (T0, "SHFE.rb2505")
        _write(path, _rows(10, start_ns=start, symbol=sym))
    code, _, err = _csv(path, tmp_path / "d")
    assert code == 1 and message in err and err.strip().count("\n") == 0


def test_gzip_csv_reads_like_plain(tmp_path: Path) -> None:
    plain = _write(tmp_path / "t.csv", _rows(12))
    gz = tmp_path / "t.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    assert _csv(plain, tmp_path / "a")[0] == 0
    assert _csv(gz, tmp_path / "b")[0] == 0
    assert _tree(tmp_path / "a" / "lake_v2") == _tree(tmp_path / "b" / "lake_v2")


@pytest.mark.parametrize(
    "args",
    [
        ("coverage", "--var", "rb"),
        ("download", "--source", "sim", "--var", "rb", "--start", "2025-03-03", "--end", "2025-03-03"),
        ("main-l5", "--var", "rb"),
        ("contracts", "--var", "rb"),
        ("record", "--var", "cu,rb"),
    ],
)
def test_every_command_rejects_an_unsupported_variety_the_same_way(tmp_path: Path, args: tuple) -> None:
    code, _, err = _run(*args) if args[0] == "contracts" else _run(*args, "--data-dir", str(tmp_path))
    assert code == 1 and "--var must be one of cu, au, ag, got 'rb'" in err and err.count("\n") == 1


def test_data_dir_problems_are_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", _rows(5))
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, _, err = _csv(path, blocker)
    assert code == 1 and "[Errno" not in err and str(blocker) in err and err.count("\n") == 1
    if os.geteuid() != 0:  # root can write anywhere
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        code, _, err = _csv(path, ro)
        assert code == 1 and "[Errno" not in err and "writable" in err


HOLD = """
import fcntl, json, os, sys, time
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
fd = os.open(os.path.join(d, "_lock"), os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, json.dumps({"pid": os.getpid(), "command": "ghtrader download (other)", "since": "t"}).encode())
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _hold(symbol_dir: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(symbol_dir), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_second_writer_waits_or_times_out_naming_the_holder(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", _rows(10))
    data = tmp_path / "d"
    sdir = data / "lake_v2" / "ticks" / f"symbol={SYM}"
    proc = _hold(sdir, 30)
    try:
        code, _, err = _csv(path, data, "--lock-timeout", "0.3")
        assert code == 1 and err.count("\n") == 2  # the wait line, then the one error line
        assert f"locked by pid {proc.pid} (ghtrader download (other))" in err.splitlines()[-1]
    finally:
        proc.kill()
        proc.wait()
    proc = _hold(sdir, 60)
    cmd = [sys.executable, "-m", "ghtrader.cli.main", "download", "--source", "csv", "--path", str(path)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    waiter = subprocess.Popen(
        [*cmd, "--data-dir", str(data), "--lock-timeout", "100"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert waiter.stderr is not None
        line = waiter.stderr.readline()  # blocks until the waiter reports the busy lock
        assert f"waiting for {sdir}: locked by pid {proc.pid} (ghtrader download (other))" in line
    finally:
        proc.kill()
        proc.wait()
    _, rest = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, rest
    assert ParquetLake(data / "lake_v2").read_day("ticks", SYM, DAY).num_rows == 10


def test_concurrent_imports_equal_a_serial_run(tmp_path: Path) -> None:
    days = [_rows(30), _rows(30, start_ns=T0 + 86400 * 10**9)]  # two trading days, one symbol
    path = _write(tmp_path / "t.csv", [r for d in days for r in d])
    cmd = [sys.executable, "-m", "ghtrader.cli.main", "download", "--source", "csv", "--path", str(path)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    procs = [
        subprocess.Popen([*cmd, "--data-dir", str(tmp_path / "par")], env=env, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    errs = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    assert _csv(path, tmp_path / "ser")[0] == 0
    assert _tree(tmp_path / "par" / "lake_v2") == _tree(tmp_path / "ser" / "lake_v2")
    code, _, err = _run("audit", "--data-dir", str(tmp_path / "par"), "--runs-dir", str(tmp_path / "r"))
    assert code == 0, err
