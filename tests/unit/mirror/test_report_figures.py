"""The mirror's report says how many bytes it sent and how far it copied each partition."""

from fleetledger import Ledger
from fleetledger.mirror import mirror

from .conftest import Fill


def test_the_report_counts_the_bytes_of_the_events_it_sent(
    src: Ledger, dst: Ledger, fill: Fill
) -> None:
    """``bytes`` is the sum of the stored bodies copied."""
    fill(src, tasks=3)
    stored = sum(
        len(r.body)
        for info in src.topics()
        for p in range(len(info.partitions))
        for r in src.log.read(info.topic, p, 0, 1000)
    )

    assert mirror(src, dst).bytes == stored


def test_the_report_says_up_to_which_source_offset_each_partition_was_copied(
    src: Ledger, dst: Ledger, fill: Fill
) -> None:
    """``positions`` holds each partition's end offset on the source as the copy found it."""
    fill(src, tasks=3)

    positions = mirror(src, dst).positions

    assert positions == {
        (info.topic, p): span.end for info in src.topics() for p, span in enumerate(info.partitions)
    }
