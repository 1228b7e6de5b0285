"""Hash-chained event log: verify names the first bad record; a torn tail is recovered, not forked."""

from __future__ import annotations

import json
from pathlib import Path

from ghtrader.trade.eventlog import EVENTS_NAME, EventLog, comparable, read_records, verify


def write(run: Path, n: int) -> Path:
    log = EventLog.open(run)
    for i in range(n):
        log.append("decision", tick=i, target=i % 3 - 1, p=[0.1, float("nan"), 0.9])
    log.close()
    return run / EVENTS_NAME


def test_chain_verifies_and_edits_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, 10)
    assert verify(path).ok and verify(path).records == 10
    lines = path.read_text().splitlines(keepends=True)
    rec = json.loads(lines[4])
    rec["target"] = 5
    edited = [*lines[:4], json.dumps(rec) + "\n", *lines[5:]]
    path.write_text("".join(edited))
    res = verify(path)
    assert not res.ok and res.first_bad == 5 and "hash" in (res.reason or "")
    path.write_text("".join([*lines[:3], *lines[4:]]))  # a dropped record
    assert verify(path).first_bad == 4
    path.write_text("".join([lines[1], lines[0], *lines[2:]]))  # reordered
    assert verify(path).first_bad == 1


def test_torn_tail_recovered_on_open(tmp_path: Path) -> None:
    path = write(tmp_path, 5)
    with path.open("ab") as f:
        f.write(b'{"seq":5,"kind":"ord')  # kill -9 mid-write
    assert not verify(path).ok and verify(path).torn_tail
    log = EventLog.open(tmp_path)
    log.append("decision", tick=99)
    log.close()
    res = verify(path)
    assert res.ok and res.records == 7
    kinds = [r["kind"] for r in read_records(path)]
    assert kinds[5:] == ["log_recovered", "decision"]


def test_comparable_drops_wall_clock(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for run, base in ((a, 1), (b, 10**12)):
        log = EventLog.open(run, wall_clock=iter(range(base, base + 100)).__next__)
        log.append("decision", tick=1)
        log.close()
    ra, rb = read_records(a / EVENTS_NAME), read_records(b / EVENTS_NAME)
    assert ra != rb and comparable(ra) == comparable(rb)
