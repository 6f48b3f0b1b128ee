"""The check: count and digest per partition, and where the first difference is."""

from collections.abc import Callable

from fleetledger import Ledger
from fleetledger.backends.protocols import Record
from fleetledger.mirror import Match, compare, mirror
from fleetledger.mirror.check import check_partition, digest
from fleetledger.mirror.copy import to_record

Fill = Callable[..., list[str]]


def copy_raw(dst: Ledger, records: list[Record]) -> None:
    """Append ``records`` to ``dst`` as they are (a hand-made destination)."""
    dst.log.append(records)


def task_records(ledger: Ledger, partition: int) -> list[Record]:
    """The records of one task partition, ready to append elsewhere."""
    return [to_record(r) for r in ledger.log.read("fleet.task", partition, 0, 1000)]


def busiest(ledger: Ledger) -> int:
    """The task partition holding the most events."""
    ends = [p.end for p in ledger.log.offsets("fleet.task")]
    return ends.index(max(ends))


def test_identical_ledgers_match_on_every_partition(src: Ledger, dst: Ledger, fill: Fill) -> None:
    """After a mirror, compare finds every partition the same, with equal digests."""
    fill(src, tasks=6)
    mirror(src, dst, check=False)

    checks = compare(src, dst)

    assert {c.match for c in checks} == {Match.SAME}
    assert all(c.source == c.destination for c in checks)


def test_an_extra_event_on_the_destination_is_ahead(src: Ledger, dst: Ledger, fill: Fill) -> None:
    """An event appended only to the destination makes its partition ahead, by id."""
    fill(src, tasks=3)
    mirror(src, dst, check=False)
    position = dst.append("task.requested", subject="t-0", data={"goal": "extra"})

    [check] = [c for c in compare(src, dst) if not c.ok]

    assert (check.topic, check.partition) == ("fleet.task", position.partition)
    assert check.match is Match.AHEAD
    assert check.destination.events == check.source.events + 1
    assert "1 event(s) after the source's last" in check.detail


def test_a_destination_missing_the_newest_events_is_behind(
    src: Ledger, dst: Ledger, fill: Fill
) -> None:
    """A destination holding a strict prefix of the source is behind."""
    fill(src, tasks=6)
    partition = busiest(src)
    copy_raw(dst, task_records(src, partition)[:-2])

    check = check_partition(src.log, dst.log, "fleet.task", partition)

    assert check.match is Match.BEHIND
    assert "lacks the source's last 2 event(s)" in check.detail


def test_an_event_with_other_bytes_differs(src: Ledger, dst: Ledger, fill: Fill) -> None:
    """Same id, modified body: the partition differs, naming the event."""
    fill(src, tasks=6)
    partition = busiest(src)
    records = task_records(src, partition)
    records[1] = records[1]._replace(body=records[1].body.replace(b'"tests"', b'"forged"'))
    copy_raw(dst, records)

    check = check_partition(src.log, dst.log, "fleet.task", partition)

    assert check.match is Match.DIFFERS
    assert check.detail.startswith(f"event {records[1].id} has other bytes")


def test_reordered_events_differ(src: Ledger, dst: Ledger, fill: Fill) -> None:
    """The same events in another order make the partition differ at the first swap."""
    fill(src, tasks=6)
    partition = busiest(src)
    records = task_records(src, partition)
    records[0], records[1] = records[1], records[0]
    copy_raw(dst, records)

    check = check_partition(src.log, dst.log, "fleet.task", partition)

    assert check.match is Match.DIFFERS
    assert check.detail.startswith("event #1 is")


def test_a_partition_the_destination_lacks_counts_as_empty(
    src: Ledger, dst: Ledger, fill: Fill
) -> None:
    """A source partition missing on the destination side is compared with nothing."""
    fill(src, tasks=2)
    partition = busiest(src)

    check = check_partition(src.log, None, "fleet.task", partition)

    assert check.match is Match.BEHIND
    assert check.destination.events == 0


def test_until_bounds_the_source_side(src: Ledger, dst: Ledger, fill: Fill) -> None:
    """Source events at or past ``until`` are left out: what was copied is what is checked."""
    fill(src, tasks=6)
    partition = busiest(src)
    records = task_records(src, partition)
    copy_raw(dst, records[:-1])

    check = check_partition(src.log, dst.log, "fleet.task", partition, until=len(records) - 1)

    assert check.ok


def test_the_digest_ignores_offsets(src: Ledger, dst: Ledger, fill: Fill) -> None:
    """The same events at other offsets have the same digest."""
    fill(src, tasks=4)
    fill(src, tasks=4)
    src.maintain()
    mirror(src, dst, check=False)

    for partition in range(4):
        assert digest(src.log, "fleet.state", partition) == digest(
            dst.log, "fleet.state", partition
        )


def test_compare_reports_progress_up_to_its_total(src: Ledger, dst: Ledger, fill: Fill) -> None:
    """The checking stage ends with done == total."""
    fill(src, tasks=3)
    mirror(src, dst, check=False)
    calls: list[tuple[str, int, int]] = []

    compare(src, dst, progress=lambda *call: calls.append(call))

    assert calls[-1][0] == "checking"
    assert calls[-1][1] == calls[-1][2] > 0
