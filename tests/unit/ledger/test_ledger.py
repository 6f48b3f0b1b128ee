"""The synchronous Ledger: append, read, replay, tail, topics and maintenance on memory."""

from datetime import timedelta

import pytest

from fleetledger import (
    AccessDenied,
    AlreadyStored,
    ContractError,
    FamilyPolicy,
    IdConflict,
    Ledger,
    LedgerClosed,
    NotFound,
    PartitionKey,
    Position,
    Principal,
)
from fleetledger.testing import FakeClock, memory_ledger
from fleetledger.topics import partition_for


def request(ledger: Ledger, subject: str = "t-1", **attributes: object) -> Position:
    """Append a task.requested event for ``subject``."""
    return ledger.append(
        "task.requested", subject=subject, data={"goal": f"goal of {subject}"}, **attributes
    )


def count(ledger: Ledger) -> int:
    """Events retained across every topic."""
    return sum(topic.events for topic in ledger.topics())


def test_append_returns_the_position_of_the_stored_event(ledger: Ledger) -> None:
    """The first event of a task lands at offset 0 of its key's partition of the family topic."""
    position = request(ledger, "t-1")
    assert position == Position("fleet.task", partition_for("t-1", 4), 0)


def test_get_returns_the_event_as_appended(ledger: Ledger) -> None:
    """get(id) returns type, subject, source and data with the model's defaults filled in."""
    position = request(ledger, "t-1", tenant="acme")
    (stored,) = ledger.read("task", position.partition)
    event = ledger.get(stored.id)
    assert (event.type, event.subject, event.source, event.tenant) == (
        "task.requested",
        "t-1",
        "tests",
        "acme",
    )
    assert (event.data["goal"], event.data["priority"]) == ("goal of t-1", "normal")
    assert event.position == position


def test_events_of_one_task_get_consecutive_offsets(ledger: Ledger) -> None:
    """A task's events share one partition and number 0, 1, 2 in append order."""
    first = request(ledger, "t-1")
    second = ledger.append("task.started", subject="t-1")
    third = ledger.append("task.completed", subject="t-1")
    assert {first.partition, second.partition, third.partition} == {first.partition}
    assert [first.offset, second.offset, third.offset] == [0, 1, 2]


def test_each_family_is_appended_to_its_own_topic(ledger: Ledger) -> None:
    """The first segment of the type chooses the topic: tool.* goes to fleet.tool."""
    position = ledger.append(
        "tool.call.requested", subject="t-1", data={"call_id": "c-1", "tool": "search"}
    )
    assert position.topic == "fleet.tool"


def test_appending_an_id_twice_stores_it_once(ledger: Ledger) -> None:
    """Repeating an event (same id, same content) returns the original position, stores
    nothing new, and says so."""
    first = request(ledger, "t-1", id="evt-1")
    again = request(ledger, "t-1", id="evt-1")
    assert again == first
    assert isinstance(again, AlreadyStored)
    assert count(ledger) == 1


def test_an_id_stored_with_other_content_is_a_conflict(ledger: Ledger) -> None:
    """The same id with other content is refused, naming the id and where the original is."""
    first = request(ledger, "t-1", id="evt-1")
    with pytest.raises(IdConflict, match=rf"'evt-1'.*{first}") as caught:
        ledger.append("task.started", subject="t-1", id="evt-1")
    assert caught.value.position == first
    assert ledger.get("evt-1").type == "task.requested"


def test_a_conflict_in_a_batch_stores_none_of_it(ledger: Ledger) -> None:
    """A batch holding a conflicting id is refused whole: its other events are not stored."""
    request(ledger, "t-1", id="evt-1")
    with pytest.raises(IdConflict):
        ledger.append_many(
            [
                {"type": "task.started", "subject": "t-2"},
                {"type": "task.started", "subject": "t-1", "id": "evt-1"},
            ]
        )
    assert list(ledger.replay("t-2")) == []


def test_append_many_counts_what_it_appended_and_what_was_there(ledger: Ledger) -> None:
    """Appended says how many events were new and how many were already stored."""
    request(ledger, "t-1", id="evt-1")
    appended = ledger.append_many(
        [
            {
                "type": "task.requested",
                "subject": "t-1",
                "id": "evt-1",
                "data": {"goal": "goal of t-1"},
            },
            {"type": "task.started", "subject": "t-1"},
        ]
    )
    assert (appended.appended, appended.existing) == (1, 1)


def test_append_many_returns_one_position_per_event(ledger: Ledger) -> None:
    """append_many stores every event and returns their positions in order."""
    positions = ledger.append_many(
        [
            {"type": "task.requested", "subject": "t-1", "data": {"goal": "g"}},
            {"type": "task.started", "subject": "t-1"},
            {"type": "tool.call.started", "subject": "t-1", "data": {"call_id": "c", "tool": "x"}},
        ]
    )
    assert [(p.topic, p.offset) for p in positions] == [
        ("fleet.task", 0),
        ("fleet.task", 1),
        ("fleet.tool", 0),
    ]


def test_append_many_of_no_events_stores_nothing(ledger: Ledger) -> None:
    """An empty batch returns no positions."""
    assert ledger.append_many([]) == []
    assert count(ledger) == 0


def test_append_many_stores_a_repeated_id_once(ledger: Ledger) -> None:
    """Two events with one id in a batch are stored once and share a position."""
    event = {"type": "task.started", "subject": "t-1", "id": "evt-1"}
    first, second = ledger.append_many([event, event])
    assert first == second
    assert count(ledger) == 1


def test_get_of_an_unknown_id_raises_not_found(ledger: Ledger) -> None:
    """get names the id it could not find."""
    with pytest.raises(NotFound, match="evt-404"):
        ledger.get("evt-404")


def test_read_returns_a_partitions_events_from_an_offset(ledger: Ledger) -> None:
    """read(family, partition, offset) starts at the offset, in offset order."""
    positions = [request(ledger, "t-1", id=f"e{n}") for n in range(4)]
    events = ledger.read("task", positions[0].partition, 2)
    assert [e.id for e in events] == ["e2", "e3"]


def test_read_returns_at_most_limit_events(ledger: Ledger) -> None:
    """read stops after limit events."""
    partition = request(ledger, "t-1").partition
    for _ in range(4):
        request(ledger, "t-1")
    assert len(ledger.read("task", partition, limit=3)) == 3


def test_read_since_starts_at_the_first_event_recorded_at_or_after(
    ledger: Ledger, clock: FakeClock
) -> None:
    """read(since=) skips events recorded before the moment."""
    partition = request(ledger, "t-1", id="early").partition
    clock.advance(60)
    moment = clock.now()
    request(ledger, "t-1", id="on-time")
    clock.advance(60)
    request(ledger, "t-1", id="late")
    events = ledger.read("task", partition, since=moment)
    assert [e.id for e in events] == ["on-time", "late"]


def test_read_since_a_moment_after_every_event_is_empty(ledger: Ledger, clock: FakeClock) -> None:
    """A since later than the last event reads nothing."""
    partition = request(ledger, "t-1").partition
    assert ledger.read("task", partition, since=clock.now() + timedelta(seconds=1)) == []


def test_read_of_an_unknown_family_raises_not_found(ledger: Ledger) -> None:
    """read names the family it does not know."""
    with pytest.raises(NotFound, match="payments"):
        ledger.read("payments")


def test_replay_returns_a_tasks_events_across_families_in_append_order(ledger: Ledger) -> None:
    """replay(task) follows append order across topics and skips other tasks."""
    request(ledger, "t-1", id="a")
    request(ledger, "t-2", id="other")
    ledger.append(
        "tool.call.requested", subject="t-1", id="b", data={"call_id": "c", "tool": "search"}
    )
    ledger.append(
        "governance.approval.granted", subject="t-1", id="c", data={"approval_id": "ap-1"}
    )
    ledger.append("task.completed", subject="t-1", id="d")
    assert [e.id for e in ledger.replay("t-1")] == ["a", "b", "c", "d"]


def test_replay_can_be_limited_to_some_families(ledger: Ledger) -> None:
    """replay(families=) keeps only the named families."""
    request(ledger, "t-1", id="a")
    ledger.append(
        "tool.call.requested", subject="t-1", id="b", data={"call_id": "c", "tool": "search"}
    )
    assert [e.id for e in ledger.replay("t-1", families=["tool"])] == ["b"]


def test_replay_of_an_unknown_task_is_empty(ledger: Ledger) -> None:
    """A task without events replays nothing."""
    request(ledger, "t-1")
    assert list(ledger.replay("t-404")) == []


def test_tail_returns_the_last_events_across_partitions(ledger: Ledger, clock: FakeClock) -> None:
    """tail(last=n) returns the n most recently recorded events overall, oldest first."""
    for n in range(6):
        clock.advance(1)
        request(ledger, f"t-{n}", id=f"e{n}")
    assert [e.id for e in ledger.tail(["task"], last=2)] == ["e4", "e5"]


def test_tail_orders_events_of_several_partitions_by_recorded_time(
    ledger: Ledger, clock: FakeClock
) -> None:
    """Events from different partitions come out in the order they were recorded."""
    subjects = ["t-1", "t-2", "t-3", "t-4", "t-5", "t-6"]
    for subject in subjects:
        clock.advance(1)
        request(ledger, subject, id=subject)
    assert [e.id for e in ledger.tail(["task"], last=10)] == subjects


def test_tail_with_follow_yields_events_appended_later(ledger: Ledger) -> None:
    """A following tail returns existing events, then events appended while it runs."""
    request(ledger, "t-1", id="before")
    events = ledger.tail(["task"], follow=True, timeout=10, poll_interval=0.01)
    assert next(events).id == "before"
    request(ledger, "t-1", id="after")
    assert next(events).id == "after"
    events.close()


def test_maintain_removes_events_past_their_familys_retention(
    ledger: Ledger, clock: FakeClock
) -> None:
    """maintain(now) applies retention: context events expire after 7 days, tasks never."""
    ledger.append("context.retrieved", subject="t-1", data={"query": "refund policy"})
    request(ledger, "t-1")
    assert ledger.maintain(clock.now() + timedelta(days=8)) == 1
    assert [e.type for e in ledger.replay("t-1")] == ["task.requested"]


def test_maintain_keeps_events_inside_their_retention(ledger: Ledger, clock: FakeClock) -> None:
    """A context event younger than 7 days survives maintain."""
    ledger.append("context.retrieved", subject="t-1", data={"query": "refund policy"})
    assert ledger.maintain(clock.now() + timedelta(days=6)) == 0


def test_maintain_without_a_time_uses_the_ledgers_clock(ledger: Ledger, clock: FakeClock) -> None:
    """maintain() measures retention with the clock the ledger stamps events with."""
    ledger.append("context.retrieved", subject="t-1", data={"query": "refund policy"})
    assert ledger.maintain() == 0
    clock.advance(timedelta(days=8).total_seconds())
    assert ledger.maintain() == 1


def test_maintain_compacts_the_state_family_to_the_latest_summary(ledger: Ledger) -> None:
    """state is compacted: only the latest summary of a task survives, at its own offset."""
    for status in ("requested", "running", "completed"):
        ledger.append(
            "state.summary",
            subject="t-1",
            data={"status": status, "last_event_type": "task.started"},
        )
    assert ledger.maintain() == 2
    (latest,) = ledger.replay("t-1")
    assert latest.data["status"] == "completed"
    assert latest.position is not None
    assert latest.position.offset == 2


def test_topics_list_every_family_with_its_retained_events(ledger: Ledger) -> None:
    """topics() names each built-in family's topic and counts its events."""
    request(ledger, "t-1")
    request(ledger, "t-2")
    topics = {info.family: info for info in ledger.topics()}
    assert set(topics) == {"task", "context", "tool", "governance", "evaluation", "state"}
    assert topics["task"].topic == "fleet.task"
    assert topics["task"].events == 2
    assert topics["tool"].events == 0


def test_a_namespace_prefixes_every_topic(clock: FakeClock) -> None:
    """open(namespace=) names topics {namespace}.{family}."""
    with memory_ledger(namespace="prod", default_source="tests", clock=clock) as ledger:
        assert request(ledger).topic == "prod.task"


def test_a_family_keyed_by_tenant_puts_each_tenants_events_in_one_partition(
    clock: FakeClock,
) -> None:
    """With key=tenant, events of one tenant share a partition whatever their task."""
    policy = FamilyPolicy(family="task", key=PartitionKey.TENANT)
    with memory_ledger(policies=[policy], clock=clock, default_source="tests") as ledger:
        positions = [
            ledger.append("task.started", subject=f"t-{n}", tenant="acme") for n in range(8)
        ]
    assert {p.partition for p in positions} == {partition_for("acme", 4)}
    assert [p.offset for p in positions] == list(range(8))


def test_a_family_keyed_by_tenant_refuses_events_without_one(clock: FakeClock) -> None:
    """An event lacking its family's partition key is refused, naming the attribute."""
    policy = FamilyPolicy(family="task", key=PartitionKey.TENANT)
    ledger = memory_ledger(policies=[policy], clock=clock, default_source="tests")
    with ledger, pytest.raises(ContractError, match="tenant") as caught:
        ledger.append("task.started", subject="t-1")
    assert caught.value.field == "tenant"


def test_a_correction_must_name_an_existing_event(ledger: Ledger) -> None:
    """supersedes pointing at no stored event is refused."""
    with pytest.raises(ContractError, match="no event") as caught:
        ledger.append("task.completed", subject="t-1", supersedes="evt-404")
    assert caught.value.field == "supersedes"


def test_a_correction_must_stay_in_the_family_it_corrects(ledger: Ledger) -> None:
    """supersedes pointing at an event of another family is refused."""
    request(ledger, "t-1", id="evt-1")
    with pytest.raises(ContractError, match="same task and family") as caught:
        ledger.append(
            "tool.call.failed",
            subject="t-1",
            supersedes="evt-1",
            data={"call_id": "c", "tool": "x", "error": "boom"},
        )
    assert caught.value.field == "supersedes"


def test_a_correction_is_stored_with_the_id_it_corrects(ledger: Ledger) -> None:
    """A valid correction is appended, never updating the original in place."""
    request(ledger, "t-1", id="evt-1")
    request(ledger, "t-1", id="evt-2", supersedes="evt-1")
    assert ledger.get("evt-2").supersedes == "evt-1"
    assert ledger.get("evt-1").supersedes is None


def test_a_closed_ledger_refuses_appends(ledger: Ledger) -> None:
    """append after close raises LedgerClosed."""
    ledger.close()
    with pytest.raises(LedgerClosed):
        request(ledger)


def test_a_closed_ledger_refuses_reads(ledger: Ledger) -> None:
    """get after close raises LedgerClosed."""
    request(ledger, id="evt-1")
    ledger.close()
    with pytest.raises(LedgerClosed):
        ledger.get("evt-1")


def test_replay_shows_history_as_recorded_by_default(ledger: Ledger) -> None:
    """A correction is a new event; the original stays in the recorded history."""
    request(ledger, "t-1", id="e1")
    ledger.append(
        "task.requested",
        subject="t-1",
        id="e2",
        source="tests",
        data={"goal": "corrected goal"},
        supersedes="e1",
    )
    assert [e.id for e in ledger.replay("t-1")] == ["e1", "e2"]


def test_replay_as_corrected_leaves_superseded_events_out(ledger: Ledger) -> None:
    """replay(corrected=True) shows the correction in place of the event it corrects."""
    request(ledger, "t-1", id="e1")
    request(ledger, "t-1", id="e2")
    ledger.append(
        "task.requested",
        subject="t-1",
        id="e3",
        source="tests",
        data={"goal": "corrected goal"},
        supersedes="e1",
    )
    assert [e.id for e in ledger.replay("t-1", corrected=True)] == ["e2", "e3"]


def test_the_opener_is_stamped_and_acting_for_another_needs_the_right(
    clock: FakeClock, principal: Principal
) -> None:
    """In-process code stamps the principal it opened with; acting for someone else is refused
    unless the ledger was opened with the delegation right."""
    other = Principal("alice@example.com", "user")
    with memory_ledger(clock=clock, principal=principal, default_source="tests") as ledger:
        with pytest.raises(AccessDenied, match="delegate=True"):
            ledger.acting_for(other)
        ledger.append("task.started", subject="t-1", id="own")
        assert ledger.get("own").authid == principal.id


def test_a_delegating_ledger_stamps_the_principal_it_acts_for(
    clock: FakeClock, principal: Principal
) -> None:
    """The server's ledger (delegate=True) stamps the principal a token authenticated."""
    other = Principal("alice@example.com", "user")
    opened = memory_ledger(clock=clock, principal=principal, default_source="t", delegate=True)
    with opened as ledger:
        ledger.acting_for(other).append("task.started", subject="t-1", id="theirs")
        ledger.append("task.started", subject="t-1", id="own")
        assert (ledger.get("theirs").authid, ledger.get("theirs").authtype) == (other.id, "user")
        assert ledger.get("own").authid == principal.id
