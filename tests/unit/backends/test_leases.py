"""Group membership by leases: the deterministic split, and its rules on the memory backend."""

import time

import pytest

from fleetledger.backends.leases import rebalance, share
from fleetledger.backends.memory import MemoryBackend
from fleetledger.errors import Fenced
from fleetledger.topics import FamilyPolicy

PARTITIONS = [("ns.task", p) for p in range(4)]


@pytest.fixture
def backend() -> MemoryBackend:
    """A memory backend with one topic of four partitions."""
    made = MemoryBackend()
    made.create_topics({"ns.task": FamilyPolicy(family="task", partitions=4)})
    return made


def test_the_split_deals_sorted_partitions_to_sorted_members() -> None:
    """Two members: every other partition each, the same whoever computes it."""
    assert share("a", ["b", "a"], PARTITIONS) == [("ns.task", 0), ("ns.task", 2)]
    assert share("b", ["a", "b"], PARTITIONS) == [("ns.task", 1), ("ns.task", 3)]


def test_the_split_covers_every_partition_once() -> None:
    """Three members over four partitions: a partition each, one gets two, none twice."""
    members = ["a", "b", "c"]
    dealt = [tp for m in members for tp in share(m, members, PARTITIONS)]

    assert sorted(dealt) == PARTITIONS


def test_a_member_claims_only_partitions_no_live_member_holds() -> None:
    """A partition held by a live member waits for it to release; a dead holder's is taken."""
    holders = {("ns.task", 0): "b", ("ns.task", 2): "gone"}

    moves = rebalance("a", ["a", "b"], PARTITIONS, holders)

    assert moves.claim == [("ns.task", 2)]
    assert moves.release == []


def test_a_member_releases_what_the_split_gives_another() -> None:
    """b joined: a gives up the partitions now dealt to b."""
    holders = dict.fromkeys(PARTITIONS, "a")

    moves = rebalance("a", ["a", "b"], PARTITIONS, holders)

    assert moves.release == [("ns.task", 1), ("ns.task", 3)]


def test_two_members_end_up_splitting_the_partitions(backend: MemoryBackend) -> None:
    """a holds all until b joins; after one more assignment each, they split them."""
    a = backend.join("g", ["ns.task"], "a", 5.0)
    b = backend.join("g", ["ns.task"], "b", 5.0)

    assert a.assignment() == PARTITIONS
    assert b.assignment() == []
    assert a.assignment() == [("ns.task", 0), ("ns.task", 2)]
    assert b.assignment() == [("ns.task", 1), ("ns.task", 3)]
    a.leave()
    b.leave()


def test_a_member_that_left_has_its_partitions_taken_at_once(backend: MemoryBackend) -> None:
    """leave releases the leases: the other member's next assignment has them all."""
    a = backend.join("g", ["ns.task"], "a", 5.0)
    b = backend.join("g", ["ns.task"], "b", 5.0)
    a.assignment(), b.assignment(), a.assignment(), b.assignment()

    a.leave()

    assert b.assignment() == PARTITIONS
    b.leave()


def test_a_silent_member_is_taken_over_after_its_session(backend: MemoryBackend) -> None:
    """A member that stopped renewing (killed) loses its partitions once its session ran out."""
    backend.take("g", "killed", PARTITIONS, 300)  # joins, takes all, never renews
    survivor = backend.join("g", ["ns.task"], "survivor", 5.0)
    assert survivor.assignment() == []  # the live holder keeps them meanwhile

    time.sleep(0.35)

    assert survivor.assignment() == PARTITIONS
    survivor.leave()


def test_a_commit_of_a_partition_taken_over_is_fenced(backend: MemoryBackend) -> None:
    """The old holder's commit is refused, and nothing of it is stored."""
    stale = backend.join("g", ["ns.task"], "stale", 0.3)
    stale.assignment()
    stale.leave()  # its leases go; it keeps believing it holds them
    backend.renew("g", "stale", 300, join=True)
    newer = backend.join("g", ["ns.task"], "newer", 5.0)
    newer.assignment()

    with pytest.raises(Fenced):
        backend.commit_leased("g", "stale", dict.fromkeys(PARTITIONS, 1), {PARTITIONS[0]: 5})
    assert backend.committed("g") == {}
    newer.leave()


def test_a_member_commits_what_it_holds(backend: MemoryBackend) -> None:
    """The holder's commit is stored."""
    member = backend.join("g", ["ns.task"], "a", 5.0)
    member.assignment()

    member.commit({("ns.task", 1): 3})

    assert backend.committed("g") == {("ns.task", 1): 3}
    member.leave()


def test_a_commit_of_a_partition_never_held_is_fenced(backend: MemoryBackend) -> None:
    """A member can only commit partitions of its assignment."""
    a = backend.join("g", ["ns.task"], "a", 5.0)
    b = backend.join("g", ["ns.task"], "b", 5.0)
    a.assignment(), b.assignment(), a.assignment()

    with pytest.raises(Fenced, match="does not hold"):
        a.commit({("ns.task", 1): 3})
    a.leave()
    b.leave()
