"""Consumer groups: poll, commit, resume, lag, seeking and splitting partitions."""

from datetime import timedelta

import pytest

from fleetledger import ConfigurationError, Ledger, LedgerClosed, NotFound
from fleetledger.testing import FakeClock


def start_tasks(ledger: Ledger, count: int, prefix: str = "t") -> list[str]:
    """Append one task.started event for each of ``count`` tasks; return their ids."""
    ids = [f"{prefix}-{n}" for n in range(count)]
    ledger.append_many([{"type": "task.started", "subject": i, "id": i} for i in ids])
    return ids


def test_a_new_group_reads_every_event_from_the_earliest(ledger: Ledger) -> None:
    """A group that never committed starts at the first retained event of each partition."""
    ids = start_tasks(ledger, 10)
    consumer = ledger.consumer("audit", ["task"])
    assert sorted(e.id for e in consumer.poll(max=100)) == sorted(ids)


def test_a_group_started_at_latest_reads_only_new_events(ledger: Ledger) -> None:
    """start='latest' skips what was appended before the consumer was made."""
    start_tasks(ledger, 5, "old")
    consumer = ledger.consumer("live", ["task"], start="latest")
    new = start_tasks(ledger, 3, "new")
    assert sorted(e.id for e in consumer.poll(max=100)) == sorted(new)


def test_poll_returns_at_most_max_events(ledger: Ledger) -> None:
    """poll(max=n) never returns more than n events."""
    start_tasks(ledger, 20)
    consumer = ledger.consumer("audit", ["task"])
    assert len(consumer.poll(max=7)) == 7


def test_poll_keeps_each_partitions_order(ledger: Ledger) -> None:
    """Events of one partition come out in offset order, across polls."""
    for n in range(30):
        ledger.append("task.checkpointed", subject=f"t-{n % 3}", data={"step": str(n)})
    consumer = ledger.consumer("audit", ["task"])
    seen: list[tuple[int, int]] = []
    while batch := consumer.poll(max=4):
        seen.extend((e.position.partition, e.position.offset) for e in batch if e.position)
    for partition in {p for p, _ in seen}:
        offsets = [o for p, o in seen if p == partition]
        assert offsets == list(range(len(offsets)))
    assert len(seen) == 30


def test_poll_with_nothing_new_returns_an_empty_list(ledger: Ledger) -> None:
    """A caught-up consumer polls an empty batch without waiting by default."""
    start_tasks(ledger, 2)
    consumer = ledger.consumer("audit", ["task"])
    consumer.poll()
    assert consumer.poll() == []


def test_poll_waits_up_to_its_timeout_for_new_events(ledger: Ledger) -> None:
    """poll(timeout=) returns empty once the timeout passes with nothing to read."""
    consumer = ledger.consumer("audit", ["task"])
    assert consumer.poll(timeout=0.05) == []


def test_iterating_a_consumer_yields_every_available_event(ledger: Ledger) -> None:
    """for event in consumer reads everything available now, then stops."""
    ids = start_tasks(ledger, 12)
    assert sorted(e.id for e in ledger.consumer("audit")) == sorted(ids)


def test_a_consumer_resumes_from_the_committed_offsets(ledger: Ledger) -> None:
    """A new consumer of a group starts where the group last committed."""
    start_tasks(ledger, 6, "first")
    consumer = ledger.consumer("audit", ["task"])
    consumer.poll(max=100)
    consumer.commit()
    later = start_tasks(ledger, 4, "later")
    resumed = ledger.consumer("audit", ["task"])
    assert sorted(e.id for e in resumed.poll(max=100)) == sorted(later)


def test_uncommitted_progress_is_read_again(ledger: Ledger) -> None:
    """Events polled but not committed are delivered again to the group's next consumer."""
    ids = start_tasks(ledger, 5)
    ledger.consumer("audit", ["task"]).poll(max=100)
    assert sorted(e.id for e in ledger.consumer("audit", ["task"]).poll(max=100)) == sorted(ids)


def test_groups_read_independently(ledger: Ledger) -> None:
    """One group's commits do not move another group."""
    ids = start_tasks(ledger, 5)
    runtime = ledger.consumer("runtime", ["task"])
    runtime.poll(max=100)
    runtime.commit()
    assert sorted(e.id for e in ledger.consumer("audit", ["task"]).poll(max=100)) == sorted(ids)


def test_a_consumer_reads_only_its_families(ledger: Ledger) -> None:
    """consumer(families=[...]) ignores events of other families."""
    start_tasks(ledger, 3)
    ledger.append(
        "tool.call.started", subject="t-0", id="tool-1", data={"call_id": "c", "tool": "x"}
    )
    assert [e.id for e in ledger.consumer("tools", ["tool"]).poll()] == ["tool-1"]


def test_lag_is_the_end_minus_the_committed_offset(ledger: Ledger) -> None:
    """ledger.lag(group) reports, per committed partition, how many events remain."""
    start_tasks(ledger, 8)
    consumer = ledger.consumer("audit", ["task"])
    consumer.poll(max=3)
    consumer.commit()
    rows = ledger.lag("audit")
    assert sum(row.lag for row in rows) == 5
    assert all(row.lag == row.end - row.committed for row in rows)


def test_lag_of_a_caught_up_group_is_zero(ledger: Ledger) -> None:
    """A group that committed everything has no lag."""
    start_tasks(ledger, 8)
    consumer = ledger.consumer("audit", ["task"])
    consumer.poll(max=100)
    consumer.commit()
    assert [row.lag for row in ledger.lag("audit")] == [0, 0, 0, 0]


def test_lag_grows_with_events_appended_after_the_commit(ledger: Ledger) -> None:
    """Appends after a commit show up as lag."""
    consumer = ledger.consumer("audit", ["task"])
    consumer.commit()
    start_tasks(ledger, 4)
    assert sum(row.lag for row in ledger.lag("audit")) == 4


def test_lag_of_every_group_lists_each_group(ledger: Ledger) -> None:
    """ledger.lag() without a group covers every group that committed."""
    ledger.consumer("audit", ["task"]).commit()
    ledger.consumer("runtime", ["tool"]).commit()
    assert {row.group for row in ledger.lag()} == {"audit", "runtime"}
    assert ledger.groups() == ["audit", "runtime"]


def test_lag_of_a_group_that_never_committed_raises_not_found(ledger: Ledger) -> None:
    """Asking for an unknown group's lag names the group."""
    with pytest.raises(NotFound, match="ghost"):
        ledger.lag("ghost")


def test_consumer_lag_counts_from_its_uncommitted_positions(ledger: Ledger) -> None:
    """consumer.lag() uses where the consumer is, before it commits."""
    start_tasks(ledger, 8)
    consumer = ledger.consumer("audit", ["task"])
    consumer.poll(max=3)
    assert sum(row.lag for row in consumer.lag()) == 5


def test_seek_to_time_moves_to_the_first_event_recorded_at_or_after(
    ledger: Ledger, clock: FakeClock
) -> None:
    """seek_to_time skips events recorded before the moment, on every partition."""
    start_tasks(ledger, 4, "before")
    clock.advance(60)
    moment = clock.now()
    after = start_tasks(ledger, 4, "after")
    consumer = ledger.consumer("audit", ["task"])
    consumer.seek_to_time(moment)
    assert sorted(e.id for e in consumer.poll(max=100)) == sorted(after)


def test_seek_to_a_time_after_every_event_reads_nothing(ledger: Ledger, clock: FakeClock) -> None:
    """Seeking past the last event leaves the consumer at the end."""
    start_tasks(ledger, 4)
    consumer = ledger.consumer("audit", ["task"])
    consumer.seek_to_time(clock.now() + timedelta(seconds=1))
    assert consumer.poll() == []


def test_seek_moves_one_partition(ledger: Ledger) -> None:
    """seek(topic, partition, offset) rereads that partition from the offset."""
    position = ledger.append("task.started", subject="t-1", id="a")
    ledger.append("task.started", subject="t-1", id="b")
    consumer = ledger.consumer("audit", ["task"])
    consumer.poll()
    consumer.seek(position.topic, position.partition, 1)
    assert [e.id for e in consumer.poll()] == ["b"]


def test_seek_of_an_unassigned_partition_is_refused(ledger: Ledger) -> None:
    """A consumer can only seek partitions it reads."""
    consumer = ledger.consumer("audit", ["task"])
    with pytest.raises(ConfigurationError, match="not assigned"):
        consumer.seek("fleet.tool", 0, 0)


def test_members_split_the_partitions_between_them(ledger: Ledger) -> None:
    """member/members give each member a disjoint share covering every partition."""
    shares = [ledger.consumer("audit", ["task", "tool"], member=m, members=3) for m in range(3)]
    assigned = [tp for consumer in shares for tp in consumer.assignment]
    assert len(assigned) == len(set(assigned)) == 8


def test_members_together_read_every_event_once(ledger: Ledger) -> None:
    """Events of the group's partitions are delivered to exactly one member."""
    ids = start_tasks(ledger, 40)
    members = [ledger.consumer("audit", ["task"], member=m, members=2) for m in range(2)]
    read = [e.id for consumer in members for e in consumer.poll(max=100)]
    assert sorted(read) == sorted(ids)


def test_a_member_outside_the_group_size_is_refused(ledger: Ledger) -> None:
    """member must be in [0, members)."""
    with pytest.raises(ConfigurationError, match="member"):
        ledger.consumer("audit", member=2, members=2)


def test_a_group_needs_a_name(ledger: Ledger) -> None:
    """A blank group name is refused."""
    with pytest.raises(ConfigurationError, match="name"):
        ledger.consumer("  ")


def test_an_unknown_start_is_refused(ledger: Ledger) -> None:
    """start must be 'earliest' or 'latest'."""
    with pytest.raises(ConfigurationError, match="start"):
        ledger.consumer("audit", start="middle")  # type: ignore[arg-type]


def test_a_closed_consumer_refuses_to_poll(ledger: Ledger) -> None:
    """poll after close raises LedgerClosed."""
    with ledger.consumer("audit") as consumer:
        pass
    with pytest.raises(LedgerClosed):
        consumer.poll()


def test_a_commit_older_than_retention_resumes_at_the_first_retained_event(
    ledger: Ledger, clock: FakeClock
) -> None:
    """A group whose committed offset was deleted by retention resumes at the start."""
    consumer = ledger.consumer("diag", ["context"])
    consumer.commit()
    ledger.append("context.retrieved", subject="t-1", id="old", data={"query": "q"})
    clock.advance(timedelta(days=8).total_seconds())
    ledger.append("context.retrieved", subject="t-1", id="new", data={"query": "q"})
    ledger.maintain()
    assert [e.id for e in ledger.consumer("diag", ["context"]).poll()] == ["new"]


def test_poll_returns_max_events_whenever_that_many_are_there(ledger: Ledger) -> None:
    """Events spread unevenly over partitions: poll(max=N) still returns N of them."""
    for n in range(30):  # every event on one task: one partition of the four
        ledger.append("task.started", subject="t-1", id=f"e-{n}")
    ledger.append("task.started", subject="t-2", id="other")
    with ledger.consumer("g", ["task"]) as consumer:
        assert len(consumer.poll(max=20)) == 20
        assert len(consumer.poll(max=20)) == 11
