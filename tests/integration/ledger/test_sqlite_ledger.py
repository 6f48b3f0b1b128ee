"""The Ledger on real SQLite files: reopening, sharing a file, and identical bytes."""

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import fleetledger
from fleetledger import EventData, Ledger, Principal
from fleetledger.testing import FakeClock, memory_ledger


@pytest.fixture
def sqlite_ledger(sqlite_url: str, clock: FakeClock, principal: Principal) -> Iterator[Ledger]:
    """A ledger on a new SQLite file, on the fake clock."""
    with fleetledger.open(
        sqlite_url, clock=clock, principal=principal, default_source="tests"
    ) as ledger:
        yield ledger


def test_a_reopened_ledger_returns_every_event(sqlite_ledger: Ledger, sqlite_url: str) -> None:
    """Events appended before close are all there, unchanged, after reopening."""
    sqlite_ledger.append("task.requested", subject="t-1", id="a", data={"goal": "g"})
    sqlite_ledger.append_many([{"type": "task.started", "subject": "t-1", "id": "b"}])
    before = [e.to_dict() for e in sqlite_ledger.replay("t-1")]
    sqlite_ledger.close()
    with fleetledger.open(sqlite_url) as reopened:
        assert [e.to_dict() for e in reopened.replay("t-1")] == before


def test_a_consumer_resumes_from_its_commit_after_reopening(
    sqlite_ledger: Ledger, sqlite_url: str
) -> None:
    """A group's committed offsets live in the file, so a new process resumes there."""
    sqlite_ledger.append("task.started", subject="t-1", id="a")
    consumer = sqlite_ledger.consumer("audit", ["task"])
    consumer.poll()
    consumer.commit()
    sqlite_ledger.append("task.started", subject="t-1", id="b")
    sqlite_ledger.close()
    with fleetledger.open(sqlite_url) as reopened:
        assert [e.id for e in reopened.consumer("audit", ["task"]).poll()] == ["b"]


def test_the_same_event_has_the_same_bytes_on_memory_and_sqlite(
    sqlite_ledger: Ledger, clock: FakeClock, principal: Principal
) -> None:
    """Canonical bytes do not depend on the backend that stores them."""
    event = {
        "type": "evaluation.scored",
        "subject": "t-1",
        "id": "evt-1",
        "time": datetime(2025, 1, 1, tzinfo=UTC),
        "data": {"metric": "accuracy", "score": 0.75, "evaluator": "judge", "rationale": "ü"},
    }
    with memory_ledger(clock=clock, principal=principal, default_source="tests") as memory:
        memory.append_many([event])
        sqlite_ledger.append_many([event])
        in_memory = memory.log.find("evt-1")
    on_disk = sqlite_ledger.log.find("evt-1")
    assert in_memory is not None
    assert on_disk is not None
    assert on_disk.body == in_memory.body
    assert on_disk.position == in_memory.position


def test_two_ledgers_on_one_file_share_gap_free_offsets(sqlite_url: str) -> None:
    """Two ledger instances appending to one file interleave without gaps or repeats."""
    with (
        fleetledger.open(sqlite_url, default_source="a") as first,
        fleetledger.open(sqlite_url, default_source="b") as second,
    ):
        offsets = [
            (first if n % 2 else second).append("task.started", subject="t-1").offset
            for n in range(20)
        ]
    assert offsets == list(range(20))


def test_an_event_appended_by_one_ledger_is_read_by_another_at_once(sqlite_url: str) -> None:
    """A second ledger on the file sees an append as soon as it returned."""
    with (
        fleetledger.open(sqlite_url, default_source="a") as writer,
        fleetledger.open(sqlite_url) as reader,
    ):
        writer.append("task.started", subject="t-1", id="evt-1")
        assert reader.get("evt-1").subject == "t-1"


def test_namespaces_sharing_a_file_keep_their_events_apart(sqlite_url: str) -> None:
    """A ledger's consumers, tail and topics see only its own namespace."""
    with (
        fleetledger.open(sqlite_url, namespace="prod", default_source="p") as prod,
        fleetledger.open(sqlite_url, namespace="staging", default_source="s") as staging,
    ):
        prod.append("task.started", subject="t-1", id="prod-1")
        staging.append("task.started", subject="t-1", id="staging-1")
        assert [e.id for e in prod.consumer("audit").poll()] == ["prod-1"]
        assert [e.id for e in prod.tail()] == ["prod-1"]
        assert {info.topic.split(".")[0] for info in prod.topics()} == {"prod"}


def test_a_registered_familys_topic_survives_reopening(sqlite_url: str) -> None:
    """A user family's topic and its events are in the file after reopening."""

    class Invoice(EventData, kw_only=True):
        """An invoice was issued."""

        number: str

    with fleetledger.open(sqlite_url, default_source="tests") as ledger:
        ledger.register("billing.invoiced", Invoice)
        position = ledger.append("billing.invoiced", subject="t-1", data={"number": "42"})
    with fleetledger.open(sqlite_url) as reopened:
        reopened.register("billing.invoiced", Invoice)
        (event,) = reopened.read("billing", position.partition)
    assert (event.data, event.position) == ({"number": "42"}, position)


def test_the_file_passes_sqlites_integrity_check(sqlite_ledger: Ledger, sqlite_url: str) -> None:
    """After appends, retention and commits the database is structurally sound."""
    for n in range(50):
        sqlite_ledger.append("context.retrieved", subject=f"t-{n}", data={"query": "q"})
    sqlite_ledger.consumer("audit").commit()
    sqlite_ledger.maintain(datetime(2030, 1, 1, tzinfo=UTC))
    sqlite_ledger.close()
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_replay_reads_only_its_own_namespace(tmp_path: Path) -> None:
    """Two namespaces in one file keep their task timelines apart."""
    url = f"sqlite:///{tmp_path}/shared.db"
    with fleetledger.open(url, namespace="a") as a, fleetledger.open(url, namespace="b") as b:
        a.append("task.started", subject="t-1", source="tests")
        b.append("task.started", subject="t-1", source="tests")
        assert [e.position.topic for e in a.replay("t-1")] == ["a.task"]  # type: ignore[union-attr]


def test_a_writer_that_read_an_event_stamps_after_it_whatever_its_clock(
    tmp_path: Path, principal: Principal
) -> None:
    """Writers on different clocks share a file: an effect appended after reading its cause is
    recorded after it, so replay never shows the effect first."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ahead = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    behind = FakeClock(datetime(2025, 1, 1, tzinfo=UTC))
    with fleetledger.open(url, clock=ahead, default_source="a", principal=principal) as one:
        cause = one.append("task.requested", subject="t-1", data={"goal": "g"})
    with fleetledger.open(url, clock=behind, default_source="b", principal=principal) as two:
        (read,) = two.replay("t-1")
        two.append("task.started", subject="t-1", causationid=read.id)
        history = [e.type for e in two.replay("t-1")]
    assert cause.offset == 0
    assert history == ["task.requested", "task.started"]
