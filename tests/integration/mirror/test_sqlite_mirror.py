"""Mirroring between real backends: SQLite to SQLite, memory to SQLite, SQLite to memory."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import fleetledger
from fleetledger import Ledger
from fleetledger.integrity import NoteSigner
from fleetledger.mirror import mirror
from fleetledger.testing import memory_ledger

Contents = Callable[[Ledger], dict[tuple[str, int], list[tuple[object, ...]]]]


class Stop(Exception):
    """Raised from a progress callback to cut a mirror short."""


def events(ledger: Ledger) -> int:
    """Events retained across the ledger's topics."""
    return sum(info.events for info in ledger.topics())


def test_sqlite_to_sqlite_keeps_partitions_order_ids_and_bytes(
    src_url: str, dst_url: str, contents: Contents
) -> None:
    """A simulated fleet copied between two files is identical record for record."""
    with fleetledger.open(src_url) as src, fleetledger.open(dst_url) as dst:
        report = mirror(src, dst)

        assert report.ok
        assert report.copied == events(src) > 0
        assert contents(dst) == contents(src)


def test_memory_to_sqlite_keeps_every_record(dst_url: str, contents: Contents) -> None:
    """An in-memory ledger copies to a SQLite file unchanged."""
    with memory_ledger(default_source="tests") as src, fleetledger.open(dst_url) as dst:
        for n in range(50):
            src.append("task.requested", subject=f"t-{n}", data={"goal": f"goal {n}"})

        report = mirror(src, dst)

        assert report.ok
        assert contents(dst) == contents(src)


def test_sqlite_to_memory_keeps_every_record(src_url: str, contents: Contents) -> None:
    """The way back (e.g. for an offline audit copy) is as exact."""
    with fleetledger.open(src_url) as src, memory_ledger() as dst:
        report = mirror(src, dst)

        assert report.ok
        assert contents(dst) == contents(src)


def test_an_interrupted_mirror_reopened_and_resumed_is_identical(
    src_url: str, dst_url: str, contents: Contents
) -> None:
    """Stopped after 300 events and run again with fresh handles: no duplicates."""

    def stop_after_300(stage: str, done: int, total: int) -> None:
        if stage == "copying" and done >= 300:
            raise Stop

    with fleetledger.open(src_url) as src, fleetledger.open(dst_url) as dst:
        with pytest.raises(Stop):
            mirror(src, dst, batch_size=100, progress=stop_after_300)
        partial = events(dst)
        assert 300 <= partial < events(src)

    with fleetledger.open(src_url) as src, fleetledger.open(dst_url) as dst:
        report = mirror(src, dst, batch_size=100)

        assert report.ok
        assert report.copied == events(src) - partial
        assert contents(dst) == contents(src)


@pytest.mark.slow
def test_a_mirror_killed_mid_copy_resumes_to_an_identical_copy(
    src_url: str, dst_url: str, contents: Contents, tmp_path: Path
) -> None:
    """kill -9 during a copy loses nothing acknowledged and the next run completes it."""
    script = tmp_path / "slow_mirror.py"
    script.write_text(
        "import sys, time, fleetledger\n"
        "from fleetledger.mirror import mirror\n"
        "with fleetledger.open(sys.argv[1]) as s, fleetledger.open(sys.argv[2]) as d:\n"
        "    mirror(s, d, batch_size=20, progress=lambda *a: time.sleep(0.02))\n"
    )
    child = subprocess.Popen([sys.executable, str(script), src_url, dst_url])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.1)
            with fleetledger.open(dst_url) as dst:
                if events(dst) >= 200:
                    break
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()

    with fleetledger.open(src_url) as src, fleetledger.open(dst_url) as dst:
        assert 200 <= events(dst) < events(src)
        report = mirror(src, dst)

        assert report.ok
        assert contents(dst) == contents(src)


def test_a_compacted_source_copies_with_its_holes_and_its_trees(
    src_url: str, dst_url: str, contents: Contents
) -> None:
    """Compaction removed events: their leaves are copied as hashes, so the copy holds the
    same events at the same offsets, and the same trees, and the check passes."""
    with fleetledger.open(src_url) as src, fleetledger.open(dst_url) as dst:
        assert src.maintain() > 0

        report = mirror(src, dst)

        assert report.ok
        assert contents(dst) == contents(src)
        assert dst.log.offsets("fleet.state") == src.log.offsets("fleet.state")
        for partition in range(4):
            assert dst.log.leaves("fleet.state", partition, 0, 10_000) == src.log.leaves(
                "fleet.state", partition, 0, 10_000
            )


def test_a_copy_of_a_ledger_whose_events_expired_verifies_against_the_source_heads(
    tmp_path: Path,
) -> None:
    """Retention removed context events before the copy: the copy holds their leaves, so it
    verifies against the heads the source signed, with the removed events counted expired."""
    signer = NoteSigner.generate("copy.example.com")
    source, copy = f"sqlite:///{tmp_path / 's.db'}", f"sqlite:///{tmp_path / 'c.db'}"
    with fleetledger.open(source, signer=signer, default_source="t") as src:
        for n in range(6):
            src.append("context.retrieved", subject=f"t-{n}", data={"query": "q"})
        src.sign()
        assert src.maintain(datetime.now(UTC) + timedelta(days=8)) == 6
        src.append("context.retrieved", subject="t-9", data={"query": "late"})
    with fleetledger.open(source, readonly=True) as src, fleetledger.open(copy) as dst:
        assert mirror(src, dst).ok
        result = dst.verify(signer.verifier)
    assert result.ok, result.findings
    assert result.expired == 6
    assert result.events == 2  # the task event, and the record of the retention run


def test_every_group_resumes_at_the_same_events_on_the_destination(
    src_url: str, dst_url: str
) -> None:
    """After translating, each group's consumer reads the same next events on both sides."""
    with fleetledger.open(src_url) as src, fleetledger.open(dst_url) as dst:
        src.maintain()  # compaction holes: offsets differ on the destination
        src.append("task.requested", subject="late", source="tests", data={"goal": "unread"})

        mirror(src, dst)

        assert src.groups()
        for group in src.groups():
            with src.consumer(group) as before, dst.consumer(group) as after:
                assert [e.id for e in after.poll(max=10_000)] == [
                    e.id for e in before.poll(max=10_000)
                ]


def replays(ledger: Ledger, tasks: list[str]) -> dict[str, list[str]]:
    """Each task's replay, as its sequence of event ids."""
    return {task: [event.id for event in ledger.replay(task)] for task in tasks}


def tasks_of(ledger: Ledger) -> list[str]:
    """Every task (subject) the ledger's task family holds."""
    found: set[str] = set()
    for partition in range(len(ledger.topics()[0].partitions)):
        found.update(event.subject for event in ledger.read("task", partition, limit=100_000))
    return sorted(found)


def test_every_task_replays_in_the_same_order_on_a_mirrored_copy(
    src_url: str, dst_url: str
) -> None:
    """A copy written partition by partition still replays each task in the recorded order:
    the order comes from the events' own order key, not from where the copy stored them."""
    with fleetledger.open(src_url) as src, fleetledger.open(dst_url) as dst:
        mirror(src, dst)
        tasks = tasks_of(src)

        assert len(tasks) > 40
        assert replays(dst, tasks) == replays(src, tasks)


def test_a_replay_follows_the_order_key_and_its_time_never_runs_back(src_url: str) -> None:
    """Replayed events come in recorded-time order (ids break ties), the order key."""
    with fleetledger.open(src_url) as src:
        for task in tasks_of(src)[:20]:
            keys = [(e.recordedtime, e.id) for e in src.replay(task)]
            assert keys == sorted(keys)
            assert len({key[0] for key in keys}) == len(keys)  # no two at the same microsecond


def test_the_mirror_check_replays_a_sample_of_tasks_on_both_sides(
    src_url: str, dst_url: str
) -> None:
    """mirror's check compares the replay order of sampled tasks, and reports them."""
    with fleetledger.open(src_url) as src, fleetledger.open(dst_url) as dst:
        report = mirror(src, dst)

    assert len(report.order) == 32
    assert all(check.ok and check.source == check.destination > 0 for check in report.order)
