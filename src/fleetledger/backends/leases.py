"""Group membership by leases: how the embedded backends (SQLite, memory) split a consumer
group's partitions among its live members without a broker's group protocol.

Each member shows itself alive by renewing its membership, which expires ``session_timeout``
after the last renewal. Every member computes the same split from the same list of live
members (:func:`share`: the sorted partitions dealt round-robin to the sorted member names),
and holds a partition only through a **lease**, a row naming the member and an epoch:

- a member gives up the leases the split no longer gives it (:func:`rebalance`), between
  batches, after committing what it processed;
- it takes a partition the split gives it only when no live member holds its lease, with the
  epoch raised, so two members never hold one partition;
- a commit is refused (:class:`~fleetledger.errors.Fenced`) unless the member still holds the
  lease of every partition it commits, with the epoch it took it at, and is still a member.

Take-over bound: a member that stopped without leaving (``kill -9``) is no longer live
``session_timeout`` seconds after its last renewal; a survivor takes its partitions at its
next :meth:`LeasedMember.assignment`, which a runner calls at least every
``session_timeout / 3`` seconds while idle. So the partitions of a killed member are taken
over within about ``4/3 x session_timeout`` (plus the handler call in progress); those of a
member that left are taken at the survivors' next assignment.

A renewal runs on a thread of its own every ``session_timeout / 3`` seconds, so a handler
that takes longer than the session (retries with backoff) does not lose its partitions; the
leases themselves only move in :meth:`LeasedMember.assignment`, on the caller's thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import NamedTuple, Protocol

from fleetledger.errors import ConfigurationError, Fenced, LedgerError
from fleetledger.types import TopicPartition

__all__ = ["LeaseStore", "LeasedMember", "Moves", "now_ms", "rebalance", "share"]


def now_ms() -> int:
    """The wall clock in milliseconds: leases are shared between processes, so not monotonic."""
    return time.time_ns() // 1_000_000


def share(
    member: str, live: Sequence[str], partitions: Sequence[TopicPartition]
) -> list[TopicPartition]:
    """The partitions the deterministic split gives ``member`` among the ``live`` members."""
    members = sorted(set(live) | {member})
    index = members.index(member)
    return sorted(partitions)[index :: len(members)]


class Moves(NamedTuple):
    """What one member does to its leases: give up ``release``, take ``claim``."""

    release: list[TopicPartition]
    claim: list[TopicPartition]


def rebalance(
    member: str,
    live: Sequence[str],
    partitions: Sequence[TopicPartition],
    holders: Mapping[TopicPartition, str],
) -> Moves:
    """The leases ``member`` gives up and takes, given who holds each lease now."""
    mine = set(share(member, live, partitions))
    alive = set(live) | {member}
    release = sorted(tp for tp, holder in holders.items() if holder == member and tp not in mine)
    claim = sorted(tp for tp in mine if holders.get(tp) not in alive)
    return Moves(release, claim)


class LeaseStore(Protocol):
    """The shared state of memberships and leases: a SQLite file's tables, or memory. Each
    method is one atomic step."""

    def renew(self, group: str, member: str, session_ms: int, *, join: bool) -> bool:
        """Extend ``member``'s membership; with ``join``, add it if it is not one (any more).
        Whether it is a member afterwards."""
        ...

    def take(
        self, group: str, member: str, partitions: Sequence[TopicPartition], session_ms: int
    ) -> dict[TopicPartition, int]:
        """Renew (joining), drop expired members, apply :func:`rebalance`; return the leases
        ``member`` holds afterwards, with their epochs."""
        ...

    def commit_leased(
        self,
        group: str,
        member: str,
        epochs: Mapping[TopicPartition, int],
        offsets: Mapping[TopicPartition, int],
    ) -> None:
        """Store ``offsets`` if ``member`` is a live member holding each lease at the epoch in
        ``epochs``; otherwise raise :class:`Fenced` and store nothing."""
        ...

    def part(self, group: str, member: str) -> None:
        """Remove ``member`` and release its leases."""
        ...


class LeasedMember:
    """A :class:`~fleetledger.backends.protocols.GroupMember` over a :class:`LeaseStore`."""

    def __init__(
        self,
        store: LeaseStore,
        group: str,
        member: str,
        partitions: Sequence[TopicPartition],
        session_timeout: float,
    ) -> None:
        if not session_timeout > 0:
            raise ConfigurationError(f"session_timeout must be positive, not {session_timeout!r}")
        if not member:
            raise ConfigurationError("a group member needs a name")
        self._store = store
        self.group = group
        self._name = member
        self._partitions = list(partitions)
        self._session_ms = max(int(session_timeout * 1000), 1)
        self._epochs: dict[TopicPartition, int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._beats = threading.Thread(
            target=self._renew_forever, name=f"fleetledger-lease-{group}", daemon=True
        )
        self._beats.start()

    @property
    def name(self) -> str:
        """The member's name."""
        return self._name

    def assignment(self) -> list[TopicPartition]:
        """See :meth:`GroupMember.assignment`."""
        with self._lock:
            self._epochs = self._store.take(
                self.group, self._name, self._partitions, self._session_ms
            )
            return sorted(self._epochs)

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """See :meth:`GroupMember.commit`."""
        if not offsets:
            return
        with self._lock:
            epochs = dict(self._epochs)
        missing = [tp for tp in offsets if tp not in epochs]
        if missing:
            names = ", ".join(f"{t}/{p}" for t, p in missing)
            raise Fenced(f"member {self._name} of group {self.group!r} does not hold {names}")
        self._store.commit_leased(self.group, self._name, epochs, offsets)

    def leave(self) -> None:
        """See :meth:`GroupMember.leave`."""
        self._stop.set()
        if self._beats is not threading.current_thread():
            self._beats.join()
        with self._lock:
            self._epochs = {}
        self._store.part(self.group, self._name)

    def _renew_forever(self) -> None:
        """Keep the membership alive (not the leases' places) until :meth:`leave`."""
        interval = self._session_ms / 3000
        while not self._stop.wait(interval):
            try:
                self._store.renew(self.group, self._name, self._session_ms, join=False)
            except LedgerError:  # a closed or busy ledger: the next renewal tries again
                continue
