"""The benchmarks in bench/ still run, at a tiny size, and their baseline is still equivalent.

No timing is asserted: figures on a shared CI machine mean nothing. ``make bench`` measures.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from fleetledger.backends.sqlite import schema
from interop.brokers import kafka_missing
from tests.toolchains import missing

BENCH = Path(__file__).resolve().parents[3] / "bench"
MODULES = (
    "common",
    "workload",
    "sqlite_append",
    "replay",
    "consumers",
    "scale",
    "integrity",
    "encryption",
    "export",
    "memory",
    "peers",
    "projections",
    "chart",
    "kafka_append",
    "http_api",
    "run",
)


@pytest.fixture(scope="module")
def bench() -> Iterator[dict[str, ModuleType]]:
    """bench/'s modules, imported the way ``python bench/run.py`` imports them."""
    sys.path.insert(0, str(BENCH))
    try:
        yield {name: importlib.import_module(name) for name in MODULES}
    finally:
        sys.path.remove(str(BENCH))
        for name in MODULES:  # such short top-level names must not leak into other tests
            sys.modules.pop(name, None)


def test_every_benchmark_runs_at_a_tiny_size(
    bench: dict[str, ModuleType], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = bench["run"]
    plan = run.Plan(
        batches=2,
        rounds=2,
        each=10,
        small=100,
        large=200,
        replay_tasks=5,
        timeline_tasks=5,
        scale_batches=1,
        scale_rounds=2,
        verify_events=300,
        export_events=300,
        single=((1, 5), (8, 3), (64, 1)),
        peer_batches=1,
        peer_single=5,
        peer_each=2,
        batch=50,
        http=bench["http_api"].HttpPlan(
            clients=4, single=2, batches=1, batch=5, subscribers=3, events=10, rounds=1
        ),
    )
    notes: list[str] = []
    results = run.run(plan, tmp_path, lambda _: None, notes)

    names = [r.name for r in results]
    assert names[0].startswith("batched append")
    assert "prepare" in names[1]
    assert names[2] == "single appends, 1 thread"
    assert names[3] == "single appends, 8 threads (group commit)"
    assert names[4] == "single appends, 64 threads (group commit)"
    assert sum(n.startswith("vs eventsourcing") for n in names) == 3
    assert sum("eventsourcing vs raw sqlite3" in n for n in names) == 3
    assert any(n.startswith("replay") for n in names)
    assert any(n.startswith("export to Parquet") for n in names)
    assert any(n.startswith("task timeline") for n in names)
    assert sum(n.startswith("consumer runner") for n in names) == 1
    assert [n.split(",")[0] for n in names if n.startswith("memory")] == [
        "memory: verify",
        "memory: replay",
        "memory: mirror",
    ]
    assert sum(n.startswith("checkpoints on vs off") for n in names) == 2
    assert sum(n.startswith("ordering rule on vs off") for n in names) == 2
    assert any(n.startswith("verify, 300 signed events") for n in names)
    assert sum(n.startswith("encryption on vs off") for n in names) == 2
    assert sum(n.startswith("access policy on vs off") for n in names) == 1
    assert sum(n.startswith("projection ") and "vs bare consumer" in n for n in names) == 2
    assert sum(n.startswith("HTTP ") and "vs in-process" in n for n in names) == 2
    assert sum(n.startswith("SSE fan-out, 3 subscribers x 10 events") for n in names) == 2
    assert len(results) == 40
    assert notes == []
    for result in results:
        assert result.ledger > 0
        assert result.baseline is None or result.baseline > 0
        assert (result.passed is None) == (result.target == "-")
        assert result.passed is not None or "(info)" in result.name or result.unit == "MB/s"
    run.print_table(results)
    run.print_plain(results)
    out = capsys.readouterr().out
    assert "batched append" in out
    assert "FAIL" not in out
    report = tmp_path / "results.json"
    run.write_json(report, plan, results, 1.0, quick=True, notes=["a note"])
    written = json.loads(report.read_text())
    assert len(written["results"]) == 40
    assert {r["verdict"] for r in written["results"]} <= {"PASS", "MISS", "-"}
    assert written["notes"] == ["a note"]
    assert written["plan"]["single"] == [[1, 5], [8, 3], [64, 1]]
    picture = tmp_path / "results.png"
    bench["chart"].draw(results, picture, title="smoke")
    assert picture.read_bytes().startswith(b"\x89PNG")


def test_the_kafka_lines_get_the_issues_targets(bench: dict[str, ModuleType]) -> None:
    """kafka_append measures; run.py sets the targets: 0.5x batched, 0.8x single appends."""
    run, common = bench["run"], bench["common"]
    measured = [
        common.Result("kafka batched append (1000/txn)", 60.0, 100.0, "events/s", "x", False),
        common.Result("kafka single appends, 8 threads", 70.0, 100.0, "events/s", "x", True),
        common.Result("kafka read, partition pages of 1000", 1.0, 2.0, "events/s", "-", None),
    ]
    batched, single, read = (run.kafka_target(r) for r in measured)

    assert (batched.target, batched.passed, batched.goal) == (">= 0.5x", True, 0.5)
    assert (single.target, single.passed, single.goal) == (">= 0.8x", False, 0.8)
    assert read == measured[2]


def test_a_filled_ledger_file_holds_what_its_appends_would_have_stored(
    bench: dict[str, ModuleType], tmp_path: Path
) -> None:
    """Events, leaves and trees: verify finds nothing, and appending continues the trees."""
    common, scale, workload = bench["common"], bench["scale"], bench["workload"]
    path = tmp_path / "filled.db"
    scale.fill([scale.Target(path, 700, trees=True), scale.Target(tmp_path / "raw.db", 300)])
    with common.open_ledger(path) as ledger:
        before = ledger.verify()
        ledger.append_many(workload.Workload(seed=12).events(100))
        after = ledger.verify()

    assert (before.ok, before.events, before.leaves) == (True, 700, 700)
    assert (after.ok, after.events, after.leaves) == (True, 800, 800)
    assert scale.count_events(tmp_path / "raw.db") == 300


def test_the_large_scale_files_are_built_once_then_taken_from_the_cache(
    bench: dict[str, ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BENCH_SCALE=large fills its 10^7-event files once; later runs reuse them."""
    scale = bench["scale"]
    monkeypatch.setattr(scale, "CACHE", tmp_path / "cache")
    ledger = scale.cached("ledger", 400)
    built = ledger.stat().st_mtime_ns

    assert scale.cached("ledger", 400) == ledger
    assert ledger.stat().st_mtime_ns == built
    assert ledger.name == "ledger-400.db"
    assert scale.count_events(scale.cached("raw", 400)) == 400
    assert sorted(p.name for p in (tmp_path / "cache").glob("*.done")) == [
        "ledger-400.db.done",
        "raw-400.db.done",
    ]


def test_each_memory_child_covers_every_event_of_the_file(
    bench: dict[str, ModuleType], tmp_path: Path
) -> None:
    """verify, replay and mirror each run in a child process and report their peak RSS."""
    memory, scale = bench["memory"], bench["scale"]
    path = tmp_path / "ledger.db"
    scale.fill([scale.Target(path, 500, trees=True)])
    for operation in memory.OPERATIONS:
        usage = memory.measure(operation, path, tmp_path / "scratch.db")

        assert usage.events == 500
        assert usage.peak_mb >= usage.opened_mb > 0
    assert list(tmp_path.glob("scratch.db*")) == []


def test_eventsourcing_stores_one_durable_row_per_event(
    bench: dict[str, ModuleType], tmp_path: Path
) -> None:
    """The peer writes every event (batched and one per save) with WAL and synchronous=FULL."""
    peers, workload = bench["peers"], bench["workload"]
    events = workload.Workload(seed=13).events(60)
    peer = peers.EventSourcing(tmp_path / "es.db", peers._task_class())
    try:
        peer.save_batch(events[:40])
        peer.save_each(events[40:])
    finally:
        peer.close()
    conn = sqlite3.connect(tmp_path / "es.db")
    try:
        stored = conn.execute("SELECT count(*), count(DISTINCT originator_id) FROM stored_events")
        count, tasks = stored.fetchone()
    finally:
        conn.close()

    assert (count, tasks) == (60, 6)


def test_the_http_benchmarks_server_stores_every_event_its_clients_post(
    bench: dict[str, ModuleType], tmp_path: Path
) -> None:
    """Single and batched requests from several clients: every event lands in the server's
    file, once, and each request's latency is counted."""
    http_api, workload, scale = bench["http_api"], bench["workload"], bench["scale"]
    events = workload.Workload(seed=8).events(13)
    single = [json.dumps(http_api.structured(e, i)).encode() for i, e in enumerate(events[:7])]
    batch = [http_api.structured(e, 100 + i) for i, e in enumerate(events[7:])]
    path = tmp_path / "served.db"
    with http_api.server(path) as url:
        _, singles = asyncio.run(
            http_api._post_all(url, [single[:4], single[4:]], http_api.STRUCTURED)
        )
        body = [[json.dumps(batch[:3]).encode(), json.dumps(batch[3:]).encode()]]
        _, batches = asyncio.run(http_api._post_all(url, body, http_api.BATCH))

    assert (len(singles), len(batches)) == (6, 1)  # the first request of each run warms up
    assert scale.count_events(path) == 13


def test_the_raw_baseline_writes_the_rows_the_ledger_writes(
    bench: dict[str, ModuleType], tmp_path: Path
) -> None:
    common, workload = bench["common"], bench["workload"]
    events = workload.Workload(seed=5).events(200)
    with common.open_ledger(tmp_path / "ledger.db") as ledger:
        ledger.append_many(events)
    rows = workload.RowBuilder().rows(events)
    query = f"SELECT {schema.COLUMNS} FROM events ORDER BY seq"
    conn = sqlite3.connect(tmp_path / "ledger.db")
    try:
        stored = conn.execute(query).fetchall()
    finally:
        conn.close()

    assert len(stored) == len(rows) == 200
    for mine, theirs in zip(stored, rows, strict=True):
        topic, partition, offset, key, _id, subject, type_, _ms, body = mine
        assert (topic, partition, offset, key, subject, type_) == (
            theirs[0],
            theirs[1],
            theirs[2],
            theirs[3],
            theirs[5],
            theirs[6],
        )
        assert len(body) == len(theirs[8])  # same body but for its id and timestamps
    sizes = [len(row[8]) for row in rows]
    assert 400 <= sum(sizes) / len(sizes) <= 550


def test_the_verify_baseline_hashes_the_leaves_the_ledger_stores(
    bench: dict[str, ModuleType], tmp_path: Path
) -> None:
    integrity, replay = bench["integrity"], bench["replay"]
    signer = integrity.NoteSigner.generate(integrity.KEY_NAME)
    path = tmp_path / "signed.db"
    integrity.fill_signed(path, 2500, signer)
    conn = replay.read_only(path)
    try:
        raw = integrity.raw_leaf_hashes(conn)
        leaves = [h for (h,) in conn.execute("SELECT hash FROM leaves")]
        notes = conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0]
    finally:
        conn.close()
    with integrity.open_signed(path, False) as ledger:
        verified = integrity.ledger_verify(ledger, signer.verifier)

    assert verified == len(raw) == 2500
    assert sorted(raw) == sorted(leaves)
    assert notes > 3  # signed every 1000 events and on close, so verify checks signatures


def test_only_the_signed_side_of_the_checkpoint_cost_signs(
    bench: dict[str, ModuleType], tmp_path: Path
) -> None:
    integrity, workload = bench["integrity"], bench["workload"]
    signer = integrity.NoteSigner.generate(integrity.KEY_NAME)
    events = workload.Workload(seed=9).events(1200)
    counts = []
    for name, side in (("on.db", signer), ("off.db", False)):
        with integrity.open_signed(tmp_path / name, side) as ledger:
            ledger.append_many(events)
        conn = sqlite3.connect(tmp_path / name)
        try:
            counts.append(conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0])
        finally:
            conn.close()

    assert counts[0] > 0
    assert counts[1] == 0


def test_the_kafka_benchmarks_run_at_a_tiny_size_against_their_own_broker(
    bench: dict[str, ModuleType], tmp_path: Path
) -> None:
    """Both sides append and consume the same events on each broker the bench starts: Tansu,
    then Apache Kafka, every line named after its broker."""
    reason = kafka_missing()
    if reason is not None:
        missing(reason)
    kafka = bench["kafka_append"]
    plan = kafka.KafkaPlan(batches=1, rounds=1, each=2, consume_rounds=1, batch=20, threads=2)
    results = kafka.run(plan, tmp_path, lambda _: None)

    names = [r.name for r in results]
    for index, broker in ((0, "Tansu"), (4, "Apache Kafka")):
        assert names[index].startswith("kafka batched append")
        assert names[index + 1].startswith("kafka single appends")
        assert names[index + 2].startswith("kafka consumer poll")
        assert all(name.endswith(f" · {broker}") for name in names[index : index + 4])
    assert len(names) == 8
    assert all(r.ledger > 0 and (r.baseline or 0) > 0 for r in results)


def test_only_the_encrypted_side_of_the_encryption_cost_stores_ciphertext(
    bench: dict[str, ModuleType], tmp_path: Path
) -> None:
    encryption, workload = bench["encryption"], bench["workload"]
    events = workload.Workload(seed=9).events(20)
    bodies = []
    for name, batch in (("on.db", encryption.restricted(events, 3)), ("off.db", events)):
        with encryption.open_plain(tmp_path / name) as ledger:
            ledger.append_many(batch)
        conn = sqlite3.connect(tmp_path / name)
        try:
            bodies.append(b"".join(row[0] for row in conn.execute("SELECT body FROM events")))
        finally:
            conn.close()
    assert b'"$enc":"aes256gcm"' in bodies[0]
    assert b'"$enc"' not in bodies[1]
