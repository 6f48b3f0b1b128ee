"""Invariants under random appends, on memory and SQLite: gap-free, ordered, idempotent."""

from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fleetledger
from fleetledger import Ledger, Position

SUBJECTS = [f"t-{n}" for n in range(6)]
REPEATED_IDS = [f"dup-{n}" for n in range(4)]
TYPES = {
    "task.started": None,
    "tool.call.started": {"call_id": "c-1", "tool": "search"},
}

# One event: (subject, type, id or None for a fresh UUIDv7). Some ids repeat on purpose, each
# always with the same event (a repeated id with other content is a conflict, tested apart).
REPEATED = [
    (SUBJECTS[n], sorted(TYPES)[n % len(TYPES)], event_id)
    for n, event_id in enumerate(REPEATED_IDS)
]
events = st.one_of(
    st.tuples(st.sampled_from(SUBJECTS), st.sampled_from(sorted(TYPES)), st.none()),
    st.sampled_from(REPEATED),
)
# An operation: a single append (a batch of one) or an append_many of up to six events.
operations = st.lists(
    st.one_of(st.lists(events, min_size=1, max_size=1), st.lists(events, max_size=6)),
    min_size=1,
    max_size=12,
)


def as_mapping(subject: str, type: str, event_id: str | None) -> dict[str, Any]:
    """The append_many mapping of one generated event."""
    event: dict[str, Any] = {"type": type, "subject": subject, "data": TYPES[type]}
    if event_id is not None:
        event["id"] = event_id
    return event


def run(ledger: Ledger, script: list[list[tuple[str, str, str | None]]]) -> list[Position]:
    """Apply the operations; single-event ones through append, the rest through append_many."""
    positions: list[Position] = []
    for batch in script:
        if len(batch) == 1:
            subject, type, event_id = batch[0]
            positions.append(ledger.append(type, subject=subject, id=event_id, data=TYPES[type]))
        else:
            positions.extend(ledger.append_many(as_mapping(*event) for event in batch))
    return positions


def open_ledger(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """A fresh ledger on the named backend."""
    if kind == "memory":
        return fleetledger.open("memory://", default_source="hypothesis")
    path = tmp_path_factory.mktemp("invariants") / "ledger.db"
    return fleetledger.open(f"sqlite:///{path}", default_source="hypothesis")


def stored(ledger: Ledger) -> dict[tuple[str, int], list[Any]]:
    """Every event of the ledger, by (family, partition), in offset order."""
    partitions = {}
    for info in ledger.topics():
        for partition in range(len(info.partitions)):
            partitions[(info.family, partition)] = ledger.read(info.family, partition, limit=10_000)
    return partitions


BACKENDS = pytest.mark.parametrize("kind", ["memory", "sqlite"])
BOUNDED = settings(max_examples=50, deadline=None)


@BACKENDS
@BOUNDED
@given(script=operations)
def test_offsets_of_every_partition_are_gap_free_from_zero(
    kind: str, tmp_path_factory: pytest.TempPathFactory, script: Any
) -> None:
    """Whatever the appends, each partition holds exactly offsets 0..n-1."""
    with open_ledger(kind, tmp_path_factory) as ledger:
        run(ledger, script)
        for events_of_partition in stored(ledger).values():
            offsets = [e.position.offset for e in events_of_partition]
            assert offsets == list(range(len(offsets)))


@BACKENDS
@BOUNDED
@given(script=operations)
def test_a_repeated_id_is_stored_once_and_returns_its_first_position(
    kind: str, tmp_path_factory: pytest.TempPathFactory, script: Any
) -> None:
    """Every occurrence of an id gets the position of its first append; it is stored once."""
    with open_ledger(kind, tmp_path_factory) as ledger:
        positions = run(ledger, script)
        first: dict[str, Position] = {}
        for position in positions:
            (event,) = ledger.read(
                position.topic.split(".")[1], position.partition, position.offset, limit=1
            )
            assert first.setdefault(event.id, position) == position
        ids = [e.id for events_of_partition in stored(ledger).values() for e in events_of_partition]
        assert len(ids) == len(set(ids)) == len(first)


@BACKENDS
@BOUNDED
@given(script=operations)
def test_events_of_one_subject_keep_their_append_order(
    kind: str, tmp_path_factory: pytest.TempPathFactory, script: Any
) -> None:
    """Per family, a subject's events sit in one partition in append order; replay agrees."""
    with open_ledger(kind, tmp_path_factory) as ledger:
        positions = run(ledger, script)
        appended: dict[str, list[Position]] = defaultdict(list)
        for position in dict.fromkeys(positions):  # first occurrences, in append order
            (event,) = ledger.read(
                position.topic.split(".")[1], position.partition, position.offset, limit=1
            )
            appended[event.subject].append(position)
        for subject, expected in appended.items():
            replayed = [e.position for e in ledger.replay(subject)]
            assert replayed == expected
            for topic in {p.topic for p in expected}:
                in_topic = [p for p in expected if p.topic == topic]
                assert len({p.partition for p in in_topic}) == 1
                assert [p.offset for p in in_topic] == sorted(p.offset for p in in_topic)
