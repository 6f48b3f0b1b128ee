"""Reading a ledger for the lake: each partition's leaves, in order, with the stored body of
each leaf's event when the exporter may show it, and the signed head that covers it.

Rows follow the leaves, not the records: a leaf whose event retention or compaction removed,
or whose event the access policy withholds from the exporter's principal, becomes a hash-only
row (its leaf hash and place, no body), so every partition's tree can be rebuilt from the
export alone. Leaves are read through the ledger's provable log; bodies exactly as stored.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from fleetledger.audit.prove import numbered_heads, provable
from fleetledger.backends.protocols import HANDOVER, HEAD, StoredCheckpoint
from fleetledger.errors import ConfigurationError, IntegrityError
from fleetledger.lake.columns import REMOVED, WITHHELD
from fleetledger.lake.progress import Progress, place
from fleetledger.lake.rows import Slot, kind_of_body
from fleetledger.lake.tables import head_sizes
from fleetledger.ledger import Ledger


class Cover:
    """Which signed ledger head first covers each leaf: per partition, the sizes the heads
    claim, in signing order (sizes never shrink from one head to the next)."""

    def __init__(self, notes: Sequence[StoredCheckpoint]) -> None:
        self._sizes: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
        for number, note in numbered_heads(list(notes)):
            for key, size in head_sizes(note).items():
                sizes, numbers = self._sizes.setdefault(key, ([], []))
                if not sizes or size > sizes[-1]:
                    sizes.append(size)
                    numbers.append(number)

    def head(self, topic: str, partition: int, leaf_index: int) -> int | None:
        """The number of the first head covering the leaf, ``None`` if none does yet."""
        found = self._sizes.get((topic, partition))
        if found is None:
            return None
        at = bisect_right(found[0], leaf_index)
        return found[1][at] if at < len(found[1]) else None


class Source:
    """A ledger as the exporter reads it (see the module)."""

    def __init__(self, ledger: Ledger) -> None:
        try:
            self._log = provable(ledger.log)
        except IntegrityError:
            raise ConfigurationError(
                "an export needs a ledger that keeps Merkle trees: sqlite:/// or kafka://"
            ) from None
        self._ledger = ledger
        self.namespace = ledger.namespace

    def partitions(self) -> list[tuple[str, str, int]]:
        """``(family, topic, partition)`` of every partition, in topic order."""
        return [
            (info.family, info.topic, partition)
            for info in self._ledger.topics()
            for partition in range(len(info.partitions))
        ]

    def notes(self) -> list[StoredCheckpoint]:
        """Every stored signed note (checkpoints, heads, handovers), in signing order."""
        return self._log.checkpoints(self.namespace)

    def slots(
        self, family: str, topic: str, partition: int, *, start: int, limit: int, cover: Cover
    ) -> list[Slot]:
        """Up to ``limit`` leaves of one partition from leaf ``start`` on, as rows to export."""
        leaves = self._log.leaves(topic, partition, start, limit)
        if not leaves:
            return []
        first, span = leaves[0].offset, leaves[-1].offset - leaves[0].offset + 1
        bodies = dict(self._ledger.log.bodies(topic, partition, first, span))
        shown = self._shown(family, partition, first, span)
        slots = []
        for leaf in leaves:
            body = bodies.get(leaf.offset)
            if body is None:
                kind = REMOVED
            elif shown is not None and leaf.offset not in shown:
                kind, body = WITHHELD, None
            else:
                kind = kind_of_body(body)
            head = cover.head(topic, partition, leaf.idx)
            slots.append(Slot(topic, partition, leaf.offset, leaf.idx, leaf.hash, head, kind, body))
        return slots

    def _shown(self, family: str, partition: int, offset: int, span: int) -> set[int] | None:
        """The offsets the exporter's principal may read (``None``: no policy, all of them)."""
        if not self._ledger.access.configured:
            return None
        page = self._ledger.read(family, partition, offset, limit=span)
        return {event.position.offset for event in page if event.position is not None}

    def dead_letters(self) -> list[dict[str, object]]:
        """The dead-letter records the exporter's principal may see, in order."""
        return list(self._ledger.dead_letters())


def covered_notes(notes: Sequence[StoredCheckpoint], progress: Progress) -> list[StoredCheckpoint]:
    """The leading ``notes`` whose every claim the exported rows reach (a head or checkpoint
    past them waits for the rows): so a verifier can tell rows dropped from a claim's range."""
    taken = []
    for note in notes:
        if note.kind == HEAD:
            claims = head_sizes(note)
        elif note.kind == HANDOVER or note.partition is None:
            claims = {}
        else:
            claims = {(note.topic, note.partition): note.size}
        if any(progress.leaves.get(place(*key), 0) < size for key, size in claims.items()):
            break
        taken.append(note)
    return taken
