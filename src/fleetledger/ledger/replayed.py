"""What :meth:`Ledger.replay_head` returns: the events shown, and what the replay checked."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from fleetledger.audit.fleet import HeadTally
from fleetledger.events.envelope import Event
from fleetledger.ledger.gate import Shown


class HeadReplay(Shown[Event]):
    """The events below a signed ledger head, in the ledger's order (see
    :mod:`fleetledger.audit.fleet`): an iterator like :meth:`Ledger.replay`'s, with
    ``withheld`` (events the principal may not read) and, as the iteration passes them, how
    many partitions were checked and how many signed leaves had no event to show."""

    def __init__(
        self, events: Iterable[Event], keep: Callable[[Event], bool], tally: HeadTally
    ) -> None:
        super().__init__(events, keep)
        self.tally = tally

    @property
    def number(self) -> int | None:
        """The head's number (from 1, in signing order); ``None`` for a head given as a note."""
        return self.tally.number

    @property
    def note(self) -> str:
        """The signed head note replayed."""
        return self.tally.note

    @property
    def size(self) -> int:
        """Leaves the head signed, across its partitions."""
        return self.tally.size

    @property
    def signatures_checked(self) -> bool:
        """Whether the head's signature was checked (a verifier key was known)."""
        return self.tally.signatures_checked

    @property
    def partitions(self) -> int:
        """Partition trees checked against the head so far."""
        return self.tally.partitions

    @property
    def expired(self) -> int:
        """Signed leaves whose events retention or compaction removed (so not shown)."""
        return self.tally.expired

    @property
    def foreign(self) -> int:
        """Signed leaves of records no ledger writer produced (not shown)."""
        return self.tally.foreign
