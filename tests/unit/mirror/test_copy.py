"""Copying: partitions, order, ids and bytes kept; offsets free; resumable without duplicates."""

from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest

from fleetledger import ConfigurationError, FamilyPolicy, IntegrityError, Ledger, Position
from fleetledger.backends.protocols import Record
from fleetledger.mirror import mirror
from fleetledger.testing import FakeClock, memory_ledger

Fill = Callable[..., list[str]]
Contents = Callable[[Ledger], dict[tuple[str, int], list[tuple[object, ...]]]]


class Stop(Exception):
    """Raised from a progress callback to cut a mirror short."""


def stop_after(batches: int) -> Callable[[str, int, int], None]:
    """A progress callback that raises once ``batches`` copy batches went through."""
    seen = {"calls": 0}

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "copying" and done:
            seen["calls"] += 1
            if seen["calls"] > batches:
                raise Stop

    return progress


def test_a_mirror_keeps_partitions_order_ids_and_bytes(
    src: Ledger, dst: Ledger, fill: Fill, contents: Contents
) -> None:
    """Every record lands in the same topic and partition, in the same order, byte for byte."""
    fill(src, tasks=20)

    mirror(src, dst)

    assert contents(dst) == contents(src)


def test_a_mirror_reports_how_many_events_it_copied(src: Ledger, dst: Ledger, fill: Fill) -> None:
    """The report counts the events appended to the destination."""
    ids = fill(src, tasks=5)

    report = mirror(src, dst)

    assert report.copied == len(ids)


def test_a_mirror_ends_with_a_passing_check_of_every_partition(
    src: Ledger, dst: Ledger, fill: Fill
) -> None:
    """The report checks every partition of every topic, and all match."""
    fill(src, tasks=5)

    report = mirror(src, dst)

    assert report.ok
    assert len(report.checks) == sum(len(info.partitions) for info in src.topics())


def test_a_second_mirror_copies_nothing(src: Ledger, dst: Ledger, fill: Fill) -> None:
    """Mirroring again an unchanged source finds every partition up to date."""
    fill(src, tasks=5)
    mirror(src, dst)

    assert mirror(src, dst).copied == 0


def test_a_later_mirror_copies_only_the_new_events(
    src: Ledger, dst: Ledger, fill: Fill, contents: Contents
) -> None:
    """Events appended after a mirror are copied by the next one, after the others."""
    fill(src, tasks=5)
    mirror(src, dst)
    new = fill(src, tasks=3, prefix="later")

    report = mirror(src, dst)

    assert report.copied == len(new)
    assert contents(dst) == contents(src)


def test_an_interrupted_mirror_resumes_without_duplicates(
    src: Ledger, dst: Ledger, fill: Fill, contents: Contents
) -> None:
    """A mirror stopped after two batches, then run again, leaves an identical copy."""
    ids = fill(src, tasks=30)
    with pytest.raises(Stop):
        mirror(src, dst, batch_size=7, progress=stop_after(2))
    partial = sum(info.events for info in dst.topics())

    report = mirror(src, dst, batch_size=7)

    assert 0 < partial < len(ids)
    assert report.copied == len(ids) - partial
    assert contents(dst) == contents(src)


def test_copies_are_batched_per_partition(
    src: Ledger, dst: Ledger, fill: Fill, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No append call carries more than batch_size records, nor two partitions."""
    fill(src, tasks=30)
    calls: list[Sequence[Record]] = []
    append = dst.log.append

    def spy(records: Sequence[Record]) -> list[Position]:
        calls.append(records)
        return append(records)

    monkeypatch.setattr(dst.log, "append", spy)

    mirror(src, dst, batch_size=5)

    assert max(len(records) for records in calls) == 5
    assert all(len({(r.topic, r.partition) for r in records}) == 1 for records in calls)


def test_compaction_holes_on_the_source_copy_densely_and_check(
    src: Ledger, dst: Ledger, fill: Fill, contents: Contents
) -> None:
    """A compacted source with holes copies to gap-free offsets, and the check still passes."""
    fill(src, tasks=4)
    fill(src, tasks=4)  # a second summary per task: compaction drops the first ones
    assert src.maintain() > 0

    report = mirror(src, dst)

    assert report.ok
    assert contents(dst) == contents(src)
    assert dst.log.offsets("fleet.state") != src.log.offsets("fleet.state")


def test_a_resume_after_the_source_expired_the_copied_tail_copies_only_newer_events(
    src: Ledger, dst: Ledger, clock: FakeClock
) -> None:
    """When the destination's last event has left the source, the mirror resumes by time."""
    where = src.append("context.retrieved", subject="t-1", data={"query": "old"})
    mirror(src, dst)
    clock.advance(timedelta(days=8).total_seconds())
    src.maintain()
    src.append("context.retrieved", subject="t-1", data={"query": "new"})

    report = mirror(src, dst, check=False)

    copied = dst.read("context", where.partition)
    assert report.copied == 2  # the new event, and governance's record of the retention run
    assert [event.data["query"] for event in copied] == ["old", "new"]


def test_missing_topics_are_created_with_the_source_policy(clock: FakeClock) -> None:
    """A family only the source has is created on the destination with the same policy."""
    audit = FamilyPolicy(family="audit", partitions=2, retention_ms=60_000)
    with (
        memory_ledger(clock=clock, policies=[audit]) as src,
        memory_ledger(clock=clock) as dst,
    ):
        report = mirror(src, dst)

        assert report.created == ["fleet.audit"]
        assert dst.log.topics()["fleet.audit"] == audit


def test_a_destination_topic_with_another_partition_count_is_refused_before_writing(
    clock: FakeClock, fill: Fill
) -> None:
    """A partition-count conflict raises ConfigurationError naming the topic; nothing is copied."""
    with (
        memory_ledger(clock=clock, default_source="tests") as src,
        memory_ledger(clock=clock, policies=[FamilyPolicy(family="task", partitions=2)]) as dst,
    ):
        fill(src, tasks=3)

        with pytest.raises(ConfigurationError, match=r"fleet\.task has 2 partitions there, 4"):
            mirror(src, dst)

        assert sum(info.events for info in dst.topics()) == 0


def test_a_destination_in_another_namespace_is_refused(clock: FakeClock) -> None:
    """A mirror keeps topic names, so the destination must use the source's namespace."""
    with (
        memory_ledger(clock=clock) as src,
        memory_ledger(clock=clock, namespace="other") as dst,
        pytest.raises(ConfigurationError, match="namespace 'other' is not the source's 'fleet'"),
    ):
        mirror(src, dst)


def test_an_id_the_destination_holds_in_another_topic_is_an_integrity_error(
    src: Ledger, dst: Ledger
) -> None:
    """The destination holding other data under a copied id is refused, never merged."""
    position = src.append("task.requested", subject="t-1", data={"goal": "g"})
    event_id = src.read("task", position.partition)[0].id
    dst.append("evaluation.feedback", subject="t-1", id=event_id, data={"rating": 3})

    with pytest.raises(IntegrityError, match=event_id):
        mirror(src, dst)
