"""Ledger.replay_head on real SQLite files: every event below a signed head, in the ledger's
order, each partition's tree and each event checked against the head as it is read."""

from __future__ import annotations

import sqlite3
import tomllib
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import fleetledger
from fleetledger import IntegrityError, Ledger, NotFound
from fleetledger.audit import fleet
from fleetledger.demo import simulate
from fleetledger.events.order import order_key
from fleetledger.governance import Policy, Principal, parse_rules
from fleetledger.integrity import NoteSigner

Open = Callable[..., Ledger]


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner.generate("replay.example.com")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "fleet.db"


@pytest.fixture
def open_ledger(db: Path, signer: NoteSigner) -> Iterator[Open]:
    """Open the test's ledger file, signing only when asked (``sign()``) or on close."""
    opened: list[Ledger] = []

    def make(**options: object) -> Ledger:
        url = f"sqlite:///{db}?checkpoint_events=1000000&checkpoint_seconds=3600"
        options.setdefault("signer", signer)
        ledger = fleetledger.open(url, default_source="tests", **options)  # type: ignore[arg-type]
        opened.append(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.close()


@pytest.fixture
def fleet_ledger(open_ledger: Open) -> Ledger:
    """A simulated fleet of eight tasks, signed once: head #1 covers all of it."""
    ledger = open_ledger()
    simulate(ledger, tasks=8, seed=5)
    ledger.sign()
    return ledger


def _stored_ids(ledger: Ledger) -> set[str]:
    return {
        event.id
        for info in ledger.topics()
        for partition in range(len(info.partitions))
        for event in ledger.read(info.family, partition, limit=100_000)
    }


def _sql(db: Path, statement: str, *args: object) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(db)) as conn, conn:
        return conn.execute(statement, args).fetchall()


def test_a_head_replay_yields_every_signed_event_once_in_order_key_order(
    fleet_ledger: Ledger,
) -> None:
    """Every event of every family, each once, sorted by (recordedtime, id)."""
    events = list(fleet_ledger.replay_head(1))

    assert {event.id for event in events} == _stored_ids(fleet_ledger)
    assert len(events) == len({event.id for event in events})
    keys = [order_key(event) for event in events]
    assert keys == sorted(keys)


def test_the_replay_says_what_it_checked(fleet_ledger: Ledger) -> None:
    """After the iteration: every partition line checked, signatures checked, nothing left out."""
    replayed = fleet_ledger.replay_head(1)
    count = sum(1 for _ in replayed)

    assert replayed.number == 1
    assert replayed.signatures_checked
    assert replayed.partitions == fleet_ledger.heads()[0].partitions
    assert (replayed.size, replayed.expired, replayed.foreign) == (count, 0, 0)


def test_replaying_twice_gives_the_same_events_in_the_same_order(fleet_ledger: Ledger) -> None:
    """A re-driven handler sees exactly what the first run saw."""
    first = [event.to_dict() for event in fleet_ledger.replay_head(1)]
    second = [event.to_dict() for event in fleet_ledger.replay_head(1)]

    assert first == second


def test_events_appended_after_the_head_are_not_yielded(fleet_ledger: Ledger) -> None:
    """Head #1 is a cut: what came after it, even in partitions it covers, is left out."""
    before = {event.id for event in fleet_ledger.replay_head(1)}
    later = fleet_ledger.append("task.requested", subject="task-late", data={"goal": "g"})
    fleet_ledger.sign()
    late_id = fleet_ledger.log.read(later.topic, later.partition, later.offset, 1)[0].id

    assert {event.id for event in fleet_ledger.replay_head(1)} == before
    assert late_id in {event.id for event in fleet_ledger.replay_head(2)}


def test_latest_is_the_newest_head(fleet_ledger: Ledger) -> None:
    fleet_ledger.append("task.requested", subject="task-late", data={"goal": "g"})
    fleet_ledger.sign()

    assert fleet_ledger.replay_head("latest").number == 2


def test_an_unknown_head_is_not_found(fleet_ledger: Ledger) -> None:
    with pytest.raises(NotFound, match="no stored ledger head #7"):
        fleet_ledger.replay_head(7)


def test_a_head_checked_with_another_key_is_refused(fleet_ledger: Ledger) -> None:
    """A pinned key that did not sign the head: refused before anything is read."""
    impostor = NoteSigner.generate("replay.example.com")

    with pytest.raises(IntegrityError):
        fleet_ledger.replay_head(1, verifier=impostor.verifier)


def test_a_tampered_event_raises_at_its_position(fleet_ledger: Ledger, db: Path) -> None:
    """An event edited in the file: the replay stops there, naming partition and offset, and
    everything it yielded before was checked."""
    topic, partition, offset, body = _sql(
        db, "SELECT topic, partition, offset, body FROM events WHERE type = 'task.completed'"
    )[0]
    assert isinstance(body, bytes)
    _sql(
        db,
        "UPDATE events SET body = ? WHERE topic = ? AND partition = ? AND offset = ?",
        body.replace(b"task.completed", b"task.cancelled"),
        topic,
        partition,
        offset,
    )
    with closing(fleetledger.open(f"sqlite:///{db}", readonly=True)) as reader:
        replayed = reader.replay_head(1, verifier=fleet_ledger.verifier)
        with pytest.raises(IntegrityError, match=f"{topic}/{partition} offset {offset}:"):
            for _ in replayed:
                pass


def test_a_tampered_leaf_fails_its_partitions_tree_before_any_of_its_events(
    fleet_ledger: Ledger, db: Path
) -> None:
    """A leaf rewritten to match an edited event: the tree no longer has the signed root."""
    topic, partition = _sql(db, "SELECT topic, partition FROM events LIMIT 1")[0]
    _sql(
        db,
        "UPDATE events SET leaf = zeroblob(32) WHERE topic = ? AND partition = ? AND offset = 0",
        topic,
        partition,
    )
    with closing(fleetledger.open(f"sqlite:///{db}", readonly=True)) as reader:
        replayed = reader.replay_head(1, verifier=fleet_ledger.verifier)
        with pytest.raises(IntegrityError, match=f"{topic}/{partition}: the tree"):
            next(replayed)


def test_expired_events_are_skipped_while_their_trees_still_close(open_ledger: Open) -> None:
    """Context events removed by retention after the head: their leaves still close the tree,
    the replay counts them expired and yields the rest."""
    ledger = open_ledger()
    for n in range(5):
        ledger.append("context.retrieved", subject=f"t-{n}", data={"query": "q"})
        ledger.append("task.requested", subject=f"t-{n}", data={"goal": "g"})
    ledger.sign()
    assert ledger.maintain(datetime.now(UTC) + timedelta(days=8)) == 5

    replayed = ledger.replay_head(1)
    types = [event.type for event in replayed]

    assert types == ["task.requested"] * 5
    assert replayed.expired == 5


def test_writers_whose_clocks_disagree_are_merged_in_order_key_order(open_ledger: Open) -> None:
    """A writer whose clock is a second behind commits after one ahead, into the same
    partition: the partition is out of order, the replay is not."""
    now = datetime.now(UTC)
    ahead = open_ledger(clock=lambda: int((now + timedelta(seconds=1)).timestamp() * 1e9))
    behind = open_ledger(clock=lambda: int(now.timestamp() * 1e9), signer=False)
    for n in range(3):
        ahead.append("task.requested", subject="t-1", data={"goal": f"ahead {n}"})
    for _ in range(3):
        behind.append("task.started", subject="t-1")
    ahead.sign()
    stored = ahead.replay("t-1")
    offsets = [e.position.offset for e in sorted(stored, key=order_key) if e.position]
    assert offsets != sorted(offsets), "the partition should be out of order-key order"

    events = list(ahead.replay_head(1))

    keys = [order_key(event) for event in events]
    assert keys == sorted(keys)
    assert [e.type for e in events if e.subject == "t-1"] == ["task.started"] * 3 + [
        "task.requested"
    ] * 3


POLICY = """
[[rules]]
name = "agents read tasks"
effect = "allow"
actions = ["append", "read"]
principals = ["kind:agent"]
families = ["task"]

[[rules]]
name = "operations do anything"
effect = "allow"
actions = ["append", "read", "admin"]
principals = ["kind:service"]
"""


def test_events_the_principal_may_not_read_are_withheld_but_their_leaves_check(
    fleet_ledger: Ledger, db: Path
) -> None:
    """An agent sees the task family only; the other families are counted as withheld, and
    a tampered event among them still stops the replay."""
    everything = sum(1 for _ in fleet_ledger.replay_head(1))
    policy = Policy(parse_rules(tomllib.loads(POLICY)["rules"]))
    agent = Principal("planner", kind="agent")
    url = f"sqlite:///{db}"
    with closing(fleetledger.open(url, readonly=True, access=policy, principal=agent)) as reader:
        replayed = reader.replay_head(1, verifier=fleet_ledger.verifier)
        shown = list(replayed)
        assert {event.type.split(".")[0] for event in shown} == {"task"}
        assert len(shown) + replayed.withheld == everything

    offset, body = _sql(db, "SELECT offset, body FROM events WHERE topic LIKE '%.context' LIMIT 1")[
        0
    ]
    assert isinstance(body, bytes)
    _sql(
        db,
        "UPDATE events SET body = ? WHERE topic LIKE '%.context' AND offset = ?",
        body + b" ",
        offset,
    )
    with (
        closing(fleetledger.open(url, readonly=True, access=policy, principal=agent)) as reader,
        pytest.raises(IntegrityError, match="context"),
    ):
        list(reader.replay_head(1, verifier=fleet_ledger.verifier))


def _peak_replaying(open_ledger: Open, events: int) -> int:
    """Peak traced bytes while replaying a head over ``events`` task events, kept nowhere."""
    ledger = open_ledger()
    batch = [
        {"type": "task.requested", "subject": f"t-{n % 50}", "data": {"goal": "g" * 40}}
        for n in range(500)
    ]
    for _ in range(events // len(batch)):
        ledger.append_many(batch)
    ledger.sign()
    tracemalloc.start()
    try:
        for _ in ledger.replay_head("latest"):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_ledger(
    tmp_path: Path, signer: NoteSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With pages of 16 leaves, replaying 8000 events peaks about as high as 1000 do."""
    monkeypatch.setattr(fleet, "PAGE", 16)
    peaks = []
    for events in (1000, 8000):
        url = f"sqlite:///{tmp_path / f'{events}.db'}?checkpoint_events=1000000"
        opened: list[Ledger] = []

        def make(url: str = url, opened: list[Ledger] = opened, **options: object) -> Ledger:
            ledger = fleetledger.open(url, signer=signer, default_source="t", **options)  # type: ignore[arg-type]
            opened.append(ledger)
            return ledger

        try:
            peaks.append(_peak_replaying(make, events))
        finally:
            for ledger in opened:
                ledger.close()
    small, large = peaks
    assert large < small * 1.5 + 200_000, f"peaks {small} -> {large} bytes"


def test_a_head_given_as_its_signed_note_replays_as_its_number_does(fleet_ledger: Ledger) -> None:
    """An auditor's copy of the head note, not a number: the same events, no number."""
    (row,) = [r for r in fleet_ledger.log.checkpoints(fleet_ledger.namespace) if r.kind == "head"]
    by_number = [event.id for event in fleet_ledger.replay_head(1)]
    by_note = fleet_ledger.replay_head(row.note)

    assert [event.id for event in by_note] == by_number
    assert by_note.number is None


def test_a_ledger_that_keeps_no_trees_says_so() -> None:
    """memory:// signs nothing: there is no head to replay from."""
    with fleetledger.open("memory://") as ledger, pytest.raises(IntegrityError, match="memory"):
        ledger.replay_head(1)
