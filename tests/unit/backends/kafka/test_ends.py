"""Proven partition ends: what lets a Kafka read or append skip a fetch without missing a record."""

from fleetledger.backends.kafka.ends import Ends

TP = ("fleet.task", 0)


def test_an_unfetched_partition_has_no_proven_end() -> None:
    """Until a fetch reaches it, nothing is proven and every ListOffsets answer needs a fetch."""
    ends = Ends()
    assert ends.end(TP) is None
    assert not ends.unchanged(TP, 0)


def test_a_fetch_that_reached_the_end_proves_it() -> None:
    """After a fetch met the end at 5, a watermark of at most 5 proves nothing new."""
    ends = Ends()
    ends.reached(TP, 5, 4)
    assert (ends.end(TP), ends.last(TP)) == (5, 4)
    assert ends.unchanged(TP, 5)
    assert not ends.unchanged(TP, 6)


def test_own_appends_right_after_the_end_move_it() -> None:
    """A record this process appended at the end offset extends the proven end."""
    ends = Ends()
    ends.reached(TP, 5, 4)
    ends.appended(TP, 5)
    ends.appended(TP, 6)
    assert (ends.end(TP), ends.last(TP)) == (7, 6)


def test_own_appends_past_a_gap_wait_until_the_gap_closes() -> None:
    """A record past a gap (someone else's, or a commit marker) does not move the end alone."""
    ends = Ends()
    ends.reached(TP, 5, 4)
    ends.appended(TP, 7)
    assert ends.end(TP) == 5
    ends.reached(TP, 7, 6)
    assert (ends.end(TP), ends.last(TP)) == (8, 7)


def test_an_older_fetch_never_moves_the_end_back() -> None:
    """A fetch that reached an earlier end than the proven one changes nothing."""
    ends = Ends()
    ends.reached(TP, 9, 8)
    ends.reached(TP, 6, 5)
    assert (ends.end(TP), ends.last(TP)) == (9, 8)


def test_an_empty_fetch_at_a_new_end_forgets_the_last_record() -> None:
    """A fetch that met a later end but delivered nothing cannot know the last record."""
    ends = Ends()
    ends.reached(TP, 5, 4)
    ends.reached(TP, 7, None)
    assert (ends.end(TP), ends.last(TP)) == (7, None)
