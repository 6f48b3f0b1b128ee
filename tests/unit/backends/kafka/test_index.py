"""The id index: first positions of ids over a window of each partition's newest records."""

from fleetledger.backends.kafka.index import IdIndex
from fleetledger.events.envelope import Position

TP = ("t.task", 0)


def test_the_first_record_of_an_id_is_the_one_indexed() -> None:
    """A later copy of an id does not replace the first position."""
    index = IdIndex(window=10)
    index.begin(TP, 0)
    index.add(TP, [(0, "a"), (1, "b"), (2, "a")], end=3)
    assert index.get("a") == Position("t.task", 0, 0)
    assert index.is_copy(Position("t.task", 0, 2), "a")
    assert not index.is_copy(Position("t.task", 0, 0), "a")
    assert index.next(TP) == 3


def test_old_ids_leave_the_window() -> None:
    """Past ``window`` records, the oldest ids are forgotten and the covered range moves on."""
    index = IdIndex(window=2)
    index.begin(TP, 0)
    index.add(TP, [(0, "a"), (1, "b"), (2, "c")], end=3)
    assert index.get("a") is None
    assert index.get("c") == Position("t.task", 0, 2)
    assert index.start(TP) == 1
    assert not index.covers(TP, 0)
    assert index.covers(TP, 2)


def test_records_read_again_are_not_indexed_twice() -> None:
    """Adding an overlapping range only indexes what is past ``next``."""
    index = IdIndex(window=10)
    index.begin(TP, 5)
    index.add(TP, [(5, "a")], end=6)
    index.add(TP, [(5, "x"), (6, "b")], end=8)
    assert index.get("x") is None
    assert index.next(TP) == 8


def test_an_appended_record_is_remembered_ahead_of_reading() -> None:
    """remember() indexes this process's own appends; contiguous ones advance ``next``."""
    index = IdIndex(window=10)
    index.remember(Position("t.task", 0, 0), "unread")
    assert index.get("unread") is None  # the partition was never read: its first read indexes
    index.begin(TP, 0)
    index.remember(Position("t.task", 0, 0), "a")
    index.remember(Position("t.task", 0, 3), "b")
    assert index.next(TP) == 1
    assert index.get("b") == Position("t.task", 0, 3)
