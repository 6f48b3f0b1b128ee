"""Consumer groups move through event ids: on the destination they resume at the same event."""

from collections.abc import Callable

from fleetledger import Ledger
from fleetledger.mirror import mirror

Fill = Callable[..., list[str]]


def read_and_commit(ledger: Ledger, group: str, family: str, count: int) -> None:
    """Let ``group`` read ``count`` events of ``family`` and commit."""
    with ledger.consumer(group, [family]) as consumer:
        assert len(consumer.poll(max=count)) == count
        consumer.commit()


def next_ids(ledger: Ledger, group: str, family: str) -> list[str]:
    """The ids a consumer of ``group`` would read next."""
    with ledger.consumer(group, [family]) as consumer:
        return [event.id for event in consumer.poll(max=1000)]


def test_a_group_resumes_at_the_same_event_across_compaction_holes(
    src: Ledger, dst: Ledger, fill: Fill
) -> None:
    """With offsets shifted by compaction, the group still reads the same next events."""
    fill(src, tasks=8)
    fill(src, tasks=8)  # compaction will drop the first summary of each task
    src.maintain()
    read_and_commit(src, "projector", "state", 3)

    mirror(src, dst)

    assert next_ids(dst, "projector", "state") == next_ids(src, "projector", "state")
    assert dst.log.committed("projector") != src.log.committed("projector")


def test_a_group_that_read_everything_is_committed_at_the_destination_end(
    src: Ledger, dst: Ledger, fill: Fill
) -> None:
    """A caught-up group is caught up on the destination too: zero lag."""
    fill(src, tasks=4)
    read_and_commit(src, "audit", "task", 8)  # every task event: requested and started, x4

    mirror(src, dst)

    assert [row.lag for row in dst.lag("audit")] == [0] * len(dst.lag("audit"))


def test_a_group_never_moves_back_on_the_destination(src: Ledger, dst: Ledger, fill: Fill) -> None:
    """A group already further on the destination (after a cutover) keeps its position."""
    fill(src, tasks=4)
    read_and_commit(src, "audit", "task", 1)
    mirror(src, dst)
    read_and_commit(dst, "audit", "task", 4)
    ahead = dst.log.committed("audit")

    report = mirror(src, dst)

    assert dst.log.committed("audit") == ahead
    assert not any(row.moved for row in report.groups)


def test_the_report_lists_each_translated_position(src: Ledger, dst: Ledger, fill: Fill) -> None:
    """Each committed source partition appears once, with both sides' offsets."""
    fill(src, tasks=4)
    read_and_commit(src, "audit", "task", 2)

    report = mirror(src, dst)

    assert {(g.group, g.topic, g.partition) for g in report.groups} == {
        ("audit", t, p) for t, p in src.log.committed("audit")
    }


def test_without_groups_the_destination_groups_are_left_alone(
    src: Ledger, dst: Ledger, fill: Fill
) -> None:
    """groups=False copies events only."""
    fill(src, tasks=2)
    read_and_commit(src, "audit", "task", 2)

    report = mirror(src, dst, groups=False)

    assert report.groups == []
    assert dst.groups() == []
