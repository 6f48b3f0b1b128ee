"""Which signed head covers each leaf, and which notes an export may carry so far."""

from fleetledger.backends.protocols import HANDOVER, HEAD, PARTITION, StoredCheckpoint
from fleetledger.integrity import EMPTY_ROOT, NoteSigner, PartitionHead, sign_ledger_head
from fleetledger.lake.progress import Progress
from fleetledger.lake.source import Cover, covered_notes

SIGNER = NoteSigner.generate("lake.example/fleet")


def head(seq: int, **sizes: int) -> StoredCheckpoint:
    """A head over partitions named ``t<partition>`` of topic fleet.task."""
    lines = [PartitionHead("fleet.task", int(p[1:]), n, EMPTY_ROOT) for p, n in sizes.items()]
    note = sign_ledger_head("fleet", lines, SIGNER)
    return StoredCheckpoint(seq, HEAD, "fleet", None, sum(sizes.values()), None, note)


def test_a_leaf_is_covered_by_the_first_head_whose_size_passes_it() -> None:
    """Heads 1 (3 leaves) and 2 (5 leaves): leaf 2 by head 1, leaf 3 by head 2."""
    cover = Cover([head(0, t0=3), head(1, t0=5)])
    assert [cover.head("fleet.task", 0, leaf) for leaf in (0, 2, 3, 4)] == [1, 1, 2, 2]


def test_a_leaf_past_every_head_is_not_covered_yet() -> None:
    """Leaf 5 of a partition whose newest head claims 5 leaves."""
    assert Cover([head(0, t0=5)]).head("fleet.task", 0, 5) is None


def test_a_partition_no_head_names_is_not_covered() -> None:
    """Another partition."""
    assert Cover([head(0, t0=5)]).head("fleet.task", 1, 0) is None


def test_a_head_that_does_not_grow_a_partition_is_not_its_cover() -> None:
    """Head 2 repeats size 3 for t0: leaves 0..2 stay head 1's."""
    cover = Cover([head(0, t0=3), head(1, t0=3, t1=1)])
    assert cover.head("fleet.task", 0, 2) == 1
    assert cover.head("fleet.task", 1, 0) == 2


def test_notes_are_taken_until_one_claims_rows_not_yet_exported() -> None:
    """Head 1 within the rows, head 2 past them: only head 1 is taken, and nothing after."""
    handover = StoredCheckpoint(2, HANDOVER, "fleet", None, 0, None, b"")
    notes = [head(0, t0=3), head(1, t0=6), handover]
    taken = covered_notes(notes, Progress({"fleet.task/0": 4}))
    assert [note.seq for note in taken] == [0]


def test_a_partition_checkpoint_is_taken_once_its_rows_are() -> None:
    """A checkpoint at 4 leaves with 4 rows exported."""
    checkpoint = StoredCheckpoint(0, PARTITION, "fleet.task", 0, 4, EMPTY_ROOT, b"")
    assert covered_notes([checkpoint], Progress({"fleet.task/0": 4})) == [checkpoint]
