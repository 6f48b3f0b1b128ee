"""How verify reads a SQLite ledger: windows of leaves and events, and one scan of them all."""

from datetime import UTC, datetime, timedelta

import pytest

import fleetledger
from fleetledger import Ledger
from fleetledger.audit import partition
from fleetledger.audit.partition import Walk, windows
from fleetledger.topics import FamilyPolicy

TOOL_EVENT = {"call_id": "c-1", "tool": "payments.refund", "arguments": {"order": 1}}


@pytest.fixture
def ledger(tmp_path: object) -> Ledger:
    """A ledger with events in several partitions, some of them removed by retention."""
    policy = FamilyPolicy(family="context", partitions=2, retention_ms=60_000)
    opened = fleetledger.open(
        f"sqlite:///{tmp_path}/ledger.db?synchronous=OFF", default_source="tests", policies=[policy]
    )
    for n in range(40):
        opened.append_many(
            [
                {"type": "task.requested", "subject": f"t-{n % 7}", "data": {"goal": "g"}},
                {"type": "tool.call.requested", "subject": f"t-{n % 5}", "data": TOOL_EVENT},
                {"type": "context.retrieved", "subject": f"t-{n % 3}", "data": {"query": "q"}},
            ]
        )
    opened.maintain(datetime.now(UTC) + timedelta(minutes=5))
    return opened


def _partitions(ledger: Ledger) -> list[tuple[str, int]]:
    return [(i.topic, p) for i in ledger.topics() for p in range(len(i.partitions))]


def _everything(ledger: Ledger, topic: str, partition: int) -> tuple[list[object], list[object]]:
    """A partition's leaves and events read whole, page by page."""
    leaves, events, start, offset = [], [], 0, 0
    while page := ledger.log.leaves(topic, partition, start, 7):
        leaves += page
        start = page[-1].idx + 1
    while rows := ledger.log.bodies(topic, partition, offset, 7):
        events += rows
        offset = rows[-1][0] + 1
    return leaves, events


def test_windows_hold_every_leaf_and_event_once_in_offset_order(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small windows, leaves of removed events among them: together, exactly what is stored."""
    monkeypatch.setattr(partition, "PAGE", 3)
    for topic, number in _partitions(ledger):
        leaves, events = [], []
        for found, rows in windows(ledger.log, topic, number):  # type: ignore[arg-type]
            assert all(leaf.offset >= (leaves[-1].offset if leaves else -1) for leaf in found)
            leaves += found
            events += rows
        assert (leaves, events) == _everything(ledger, topic, number)


def test_one_scan_gives_each_partition_what_its_windows_give(ledger: Ledger) -> None:
    """The scan of the whole table, regrouped by partition, is the windows' leaves and events."""
    every = _partitions(ledger)
    scanned: dict[tuple[str, int], tuple[list[object], list[object]]] = {
        tp: ([], []) for tp in every
    }
    for topic, number, found, rows in ledger.log.scan(every, 4):
        scanned[(topic, number)][0].extend(found)
        scanned[(topic, number)][1].extend(rows)
    for topic, number in every:
        assert scanned[(topic, number)] == _everything(ledger, topic, number)


def test_verify_finds_the_same_by_one_scan_as_partition_by_partition(ledger: Ledger) -> None:
    """Counts of the one scan equal the sums of walking each partition on its own."""
    scanned = ledger.verify()
    families = ledger.families()
    alone = []
    for topic, number in _partitions(ledger):
        policy = families[topic.rsplit(".", 1)[-1]]
        walk = Walk(ledger.log, topic, number, policy, set())  # type: ignore[arg-type]
        walk.run()
        alone.append(walk.finish())

    assert scanned.ok, scanned.findings
    assert not any(result.findings for result in alone)
    counts = [(r.events, r.leaves, r.expired) for r in alone]
    assert [sum(column) for column in zip(*counts, strict=True)] == [
        scanned.events,
        scanned.leaves,
        scanned.expired,
    ]
    assert scanned.expired > 0
