"""The recorder core: classification, seeding from the lake, append-commit, gaps, quarantine, health."""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from ghtrader.live.commit import append_partition, compact_partition, last_stored_row
from ghtrader.live.daemon import Daemon, DaemonConfig
from ghtrader.live.gaps import GapLog, gap_days
from ghtrader.live.gate import BACKWARDS, DUPLICATE, KEEP, classify_rows
from ghtrader.live.metrics import RecorderMetrics
from ghtrader.live.mirror import QuestDbMirror
from ghtrader.live.recorder import Recorder, RecorderConfig
from ghtrader.schema import to_arrow
from ghtrader.sources.sim import SimSource
from ghtrader.store.lake import ParquetLake
from ghtrader.store.manifest import verify_partition

DAY = dt.date(2025, 3, 4)


@pytest.fixture(scope="module")
def day_ticks(calendar, book) -> pd.DataFrame:  # noqa: ANN001
    """Two cu contracts' sim ticks on DAY (night + day session), time-sorted."""
    sim = SimSource(calendar, book)
    syms = [s.symbol for s in book.listed("cu", DAY)[:2]]
    batch = sim.fetch_day(syms, DAY)
    df = pd.concat([batch.ticks[s] for s in syms], ignore_index=True)
    return df.sort_values("datetime_ns", kind="stable").reset_index(drop=True)


def make_recorder(tmp: Path, calendar, book, now_ns: int = 0, **cfg) -> Recorder:  # noqa: ANN001
    metrics = RecorderMetrics(CollectorRegistry())
    clock = {"wall": 1000.0, "ns": now_ns}
    rec = Recorder(
        ParquetLake(tmp / "lake_v2"),
        RecorderConfig(quarantine_dir=tmp / "quarantine", **cfg),
        calendar=calendar,
        book=book,
        gaps=GapLog(tmp / "gaps.jsonl", durable=False),
        metrics=metrics,
        market_now=lambda: clock["ns"],
        wall=lambda: clock["wall"],
        wall_at=lambda ns: 0.0,  # every session opened long before the test's wall clock
    )
    rec._test_clock = clock  # type: ignore[attr-defined]
    return rec


def stored(tmp: Path, symbols: list[str]) -> pd.DataFrame:
    lake = ParquetLake(tmp / "lake_v2")
    frames = [lake.read_range("ticks", s, DAY, DAY).to_pandas() for s in symbols]
    return pd.concat(frames, ignore_index=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 30)), max_size=60), st.integers(-1, 10))
def test_classify_matches_a_row_by_row_reference(rows: list[tuple[int, int]], wm: int) -> None:
    names = ["A", "B", "C"]
    codes = np.array([c for c, _ in rows], dtype=np.int64)
    ns = np.array([t for _, t in rows], dtype=np.int64)
    watermark = {"A": wm} if wm >= 0 else {}
    last: dict[str, int] = dict(watermark)
    got = classify_rows(codes, names, ns, last, watermark)
    ref_last: dict[str, int] = dict(watermark)
    for (c, t), g in zip(rows, got, strict=True):
        sym = names[c]
        prev = ref_last.get(sym)
        if prev is None or t > prev:
            assert g == KEEP
            ref_last[sym] = t
        elif t == prev or t <= watermark.get(sym, -1):
            assert g == DUPLICATE
        else:
            assert g == BACKWARDS
    assert last == ref_last


def test_append_commit_is_atomic_multi_file_and_compacts_to_batch_bytes(tmp_path: Path, day_ticks) -> None:  # noqa: ANN001
    sym = day_ticks["symbol"].iloc[0]
    one = day_ticks[day_ticks["symbol"] == sym].reset_index(drop=True)
    table = to_arrow(one)
    lake = ParquetLake(tmp_path / "lake_v2")
    cuts = [0, 100, 1000, len(one)]
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        append_partition(lake, "ticks", sym, DAY, table.slice(a, b - a))
    m = lake.manifest("ticks", sym, DAY)
    assert m is not None and len(m.files) == 3 and m.rows == len(one)
    assert m.max_datetime_ns == int(one["datetime_ns"].iloc[-1])
    assert verify_partition(lake.partition_dir("ticks", sym, DAY)) == []
    last = last_stored_row(lake, "ticks", sym)
    assert last is not None and last.num_rows == 1
    assert last["datetime_ns"][0].as_py() == m.max_datetime_ns
    with pytest.raises(ValueError, match="not after"):
        append_partition(lake, "ticks", sym, DAY, table.slice(5, 1))
    # a crash leftover (data file written, manifest never updated) is invisible and cleaned up
    stray = lake.partition_dir("ticks", sym, DAY) / "part-deadbeefdeadbeef.parquet"
    stray.write_bytes(b"torn")
    assert lake.read_day("ticks", sym, DAY).num_rows == len(one)
    compact_partition(lake, "ticks", sym, DAY)
    assert not stray.exists()
    batch = ParquetLake(tmp_path / "batch")
    batch.write_partition("ticks", sym, DAY, table)
    compacted = lake.manifest("ticks", sym, DAY)
    assert compacted is not None and compacted.files == batch.manifest("ticks", sym, DAY).files  # type: ignore[union-attr]


def test_restart_seeds_from_the_lake_never_duplicates_and_logs_the_gap(
    tmp_path: Path,
    calendar,
    book,
    day_ticks,  # noqa: ANN001
) -> None:
    syms = sorted(day_ticks["symbol"].unique())
    first, second = day_ticks.iloc[:3000], day_ticks.iloc[2500:6000]  # overlapping replay
    rec = make_recorder(tmp_path, calendar, book)
    for a in range(0, len(first), 500):
        rec.accept(first.iloc[a : a + 500])
    assert rec.flush().rows == 3000
    rec2 = make_recorder(tmp_path, calendar, book)  # a new process: state only from the lake
    rec2.accept(second.iloc[:1000])
    rec2.accept(second.iloc[1000:])
    res = rec2.flush()
    assert res.rows == 3000 and res.quarantined == 0
    got = stored(tmp_path, syms).sort_values(["symbol", "datetime_ns"], ignore_index=True)
    want = day_ticks.iloc[:6000].sort_values(["symbol", "datetime_ns"], ignore_index=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    dups = sum(
        s.value for m in rec2.metrics.duplicates.collect() for s in m.samples if s.name.endswith("_total")
    )
    assert dups == 500
    # a restart cannot know what it missed: each symbol's gap runs from its last stored row to its
    # first new row (conservative: here nothing was missed, and the backfill will find that)
    restart = {g.symbol: g for g in GapLog(tmp_path / "gaps.jsonl").open_gaps() if g.reason == "restart"}
    assert sorted(restart) == sorted(first["symbol"].unique())
    for sym, g in restart.items():
        one = day_ticks.iloc[:6000]
        one = one[one["symbol"] == sym]["datetime_ns"]
        assert g.start_ns == one[one.index < 3000].max()
        assert g.end_ns == one[one.index >= 3000].min()


def test_gap_recorded_for_downtime_and_late_start(tmp_path: Path, calendar, book, day_ticks) -> None:  # noqa: ANN001
    syms = sorted(day_ticks["symbol"].unique())
    o = int(np.flatnonzero(day_ticks["symbol"] == syms[0])[0])  # the day session (both contracts trade)
    rec = make_recorder(tmp_path, calendar, book)
    rec.accept(day_ticks.iloc[o + 1000 : o + 2000])  # started after the open: a "start" gap per symbol
    rec.flush()
    rec2 = make_recorder(tmp_path, calendar, book)
    rec2.accept(day_ticks.iloc[o + 3000 : o + 4000])  # ticks o+2000..o+2999 were missed while down
    rec2.flush()
    gaps = GapLog(tmp_path / "gaps.jsonl").open_gaps()
    assert {g.reason for g in gaps} == {"start", "restart"}
    assert gap_days(gaps) == {DAY: syms}
    for g in gaps:
        if g.reason != "restart":
            continue
        one = day_ticks[day_ticks["symbol"] == g.symbol]
        missed = one[(one["datetime_ns"] > g.start_ns) & (one["datetime_ns"] < g.end_ns)]
        kept = stored(tmp_path, [g.symbol])
        assert not missed["datetime_ns"].isin(kept["datetime_ns"]).any()
        assert set(missed.index) <= set(range(o + 2000, o + 3000))
    log = GapLog(tmp_path / "gaps.jsonl")
    log.resolve([gaps[0].id], by="test")
    assert len(log.open_gaps()) == len(gaps) - 1


def test_bad_live_rows_are_quarantined_and_never_stop_the_recorder(
    tmp_path: Path,
    calendar,
    book,
    day_ticks,  # noqa: ANN001
) -> None:
    sym = day_ticks["symbol"].iloc[0]
    one = day_ticks[day_ticks["symbol"] == sym].iloc[:400].reset_index(drop=True)
    bad = one.copy()
    bad.loc[10, "ask_price1"] = bad.loc[10, "bid_price1"] - 100  # crossed book
    bad.loc[20, "volume"] = -5  # negative value
    rec = make_recorder(tmp_path, calendar, book)
    rec.accept(bad.iloc[:300])
    back = one.iloc[[100]]  # time going backwards (after the stored watermark, before the last kept)
    rec.accept(pd.concat([back, one.iloc[300:]], ignore_index=True))
    res = rec.flush()
    assert res.quarantined == 3 and res.rows == 401 - 3  # 400 rows + the replayed one
    q = sorted(p.name for p in (tmp_path / "quarantine").rglob("rejected-*.parquet"))
    assert q, "rejected rows must land in the quarantine sink"
    reasons = {
        s.labels["reason"]: s.value
        for m in rec.metrics.quarantined.collect()
        for s in m.samples
        if s.name.endswith("_total")
    }
    assert reasons.get("non_monotonic_time", 0) >= 1 and len(reasons) >= 3
    kept = stored(tmp_path, [sym])
    assert kept["datetime_ns"].is_monotonic_increasing and len(kept) == res.rows


def test_health_is_stale_only_inside_a_session(tmp_path: Path, calendar, book, day_ticks) -> None:  # noqa: ANN001
    sym = str(day_ticks["symbol"].iloc[0])
    t_in = int(day_ticks["datetime_ns"].iloc[100])
    rec = make_recorder(tmp_path, calendar, book, now_ns=t_in, stale_s=10.0)
    rec.subscribed = (sym,)
    clock = rec._test_clock  # type: ignore[attr-defined]
    rec.accept(day_ticks.iloc[:200])
    daemon = Daemon(DaemonConfig(name="recorder", run_dir=tmp_path / "run"))
    daemon.add_health_check("feed", rec.health_check)
    port = daemon.start_http()

    def healthz() -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                return int(r.status)
        except urllib.error.HTTPError as e:
            return int(e.code)

    try:
        assert rec.health_check() is None and healthz() == 200
        clock["wall"] += 11  # the feed stalls: no tick for 11 wall seconds, market still in session
        assert sym in str(rec.stale_symbols()) and healthz() == 503
        clock["ns"] = int(pd.Timestamp("2025-03-04 12:00", tz="Asia/Shanghai").value)  # lunch break
        assert rec.health_check() is None and healthz() == 200
    finally:
        daemon.shutdown()


class FakeQuestDb:
    """Records whole-partition upserts; ``fail`` makes the next write raise (server down)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, dt.date], int] = {}
        self.fail = False

    def batch(self):  # noqa: ANN201 - a context manager
        from contextlib import nullcontext

        return nullcontext()

    def write_partition(self, dataset: str, symbol: str, day: dt.date, table, *, mode: str) -> None:  # noqa: ANN001
        if self.fail:
            raise ConnectionError("QuestDB at 127.0.0.1:9000 is down")
        assert dataset == "ticks" and mode == "replace"
        self.rows[(symbol, day)] = table.num_rows


def test_questdb_mirror_is_synced_off_the_flush_path_and_retried(
    tmp_path: Path, calendar, book, day_ticks
) -> None:  # noqa: ANN001
    rec = make_recorder(tmp_path, calendar, book)
    qdb = FakeQuestDb()
    rec.mirror = QuestDbMirror(qdb, rec.lake, "ticks")  # what Recorder(questdb=...) builds
    rec.accept(day_ticks.iloc[:500])
    rec.flush()
    qdb.fail = True
    with pytest.raises(ConnectionError):
        rec.sync_questdb()
    assert qdb.rows == {}  # the lake has the rows; the partitions stay dirty for the next round
    qdb.fail = False
    rec.accept(day_ticks.iloc[500:800])
    rec.flush()
    assert rec.sync_questdb() >= 1
    lake = ParquetLake(tmp_path / "lake_v2")
    assert qdb.rows == {
        (s, DAY): lake.manifest("ticks", s, DAY).rows for s in day_ticks.iloc[:800]["symbol"].unique()
    }  # type: ignore[union-attr]


def test_failed_commit_is_restaged_without_loss_or_duplicate(
    tmp_path: Path,
    calendar,
    book,
    day_ticks,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A partition whose commit fails (disk full) stays staged; the next flush commits it once."""
    syms = sorted(day_ticks["symbol"].unique())
    first = day_ticks.iloc[:2000]
    held = int((first["symbol"] == syms[1]).sum())
    rec = make_recorder(tmp_path, calendar, book)
    rec.accept(first)
    failed: list[str] = []

    def flaky(lake, dataset, symbol, day, table):  # noqa: ANN001, ANN202
        if symbol == syms[1] and not failed:
            failed.append(symbol)
            raise OSError("disk full")
        return append_partition(lake, dataset, symbol, day, table)

    monkeypatch.setattr("ghtrader.live.recorder.append_partition", flaky)
    with pytest.raises(OSError, match="disk full"):
        rec.flush()
    assert rec.buffered == held  # the other symbol's rows are durable, these still staged
    rec.accept(day_ticks.iloc[2000:3000])
    res = rec.flush()
    assert res.rows == held + 1000 and rec.buffered == 0
    got = stored(tmp_path, syms).sort_values(["symbol", "datetime_ns"], ignore_index=True)
    want = day_ticks.iloc[:3000].sort_values(["symbol", "datetime_ns"], ignore_index=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_compaction_is_spread_over_rounds_and_keeps_every_row(
    tmp_path: Path, calendar, book, day_ticks
) -> None:  # noqa: ANN001
    """Partitions reaching ``max_files`` together are compacted a few per round, rows unchanged."""
    syms = sorted(day_ticks["symbol"].unique())
    by_sym = [g for _, g in day_ticks.groupby("symbol")]
    parts = [pd.concat([g.iloc[k * 500 : (k + 1) * 500] for g in by_sym]) for k in range(4)]
    rec = make_recorder(
        tmp_path,
        calendar,
        book,
        now_ns=int(day_ticks["datetime_ns"].iloc[-1]),
        max_files=3,
        compact_per_round=1,
    )
    for part in parts:  # every symbol in every flush: 4 files per partition
        rec.accept(part.sort_values("datetime_ns", kind="stable"))
        rec.flush()
    lake = ParquetLake(tmp_path / "lake_v2")
    files = {s: len(lake.manifest("ticks", s, DAY).files) for s in syms}  # type: ignore[union-attr]
    assert min(files.values()) >= 3
    assert rec.compact() == 1
    after = {s: len(lake.manifest("ticks", s, DAY).files) for s in syms}  # type: ignore[union-attr]
    assert sorted(after.values()) == [1, min(files.values())] or sorted(after.values()) == [
        1,
        max(files.values()),
    ]
    assert rec.compact() == 1 and rec.compact() == 0
    assert all(len(lake.manifest("ticks", s, DAY).files) == 1 for s in syms)  # type: ignore[union-attr]
    got = stored(tmp_path, syms).sort_values(["symbol", "datetime_ns"], ignore_index=True)
    want = pd.concat(parts).sort_values(["symbol", "datetime_ns"], ignore_index=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
