"""The notary: signs checkpoints for a log whose writers do not (Kafka).

A Kafka ledger's writers are many processes with no shared tree, so its trees are kept by one
notary per namespace (``fleetledger notary``): it reads every partition of every family in
offset order, hashes each record as a leaf (a foreign record too, as the canonical encoding
of what it holds), and stores, in one transaction, the new leaves (kept apart from the
records, where retention and compaction do not reach them), a signed checkpoint per partition
that grew and one ledger head over all partitions, every ``every`` events and, once it has
caught up, at most every ``interval`` seconds. Every family is notarized, so a ledger head on
Kafka covers what a head on SQLite covers, and heads signed before a cutover from SQLite stay
provably consistent with heads signed after it.

Each checkpoint carries the notary's mark (first offset, next offset, frontier), so a
restarted notary resumes where its last checkpoint ended, after checking that checkpoint's
signature with its own key and that the frontier is the root it signed. A partition's tree
starts at its first record the notary saw: records the broker deleted before the notary ever
read them have no leaves. Run one notary per namespace; a second one signs the same
checkpoints again (the trees are the same), which wastes space but breaks no proof.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, cast

from fleetledger.backends.protocols import (
    HANDOVER,
    HEAD,
    PARTITION,
    Leaf,
    LeafRun,
    NewCheckpoint,
    NotarizedLog,
    NotaryMark,
    ReadableLog,
    TopicPartition,
    supports,
)
from fleetledger.errors import ConfigurationError, IntegrityError, NoteError
from fleetledger.integrity import (
    Frontier,
    LedgerHead,
    NoteSigner,
    NoteVerifier,
    PartitionHead,
    key_chain,
    leaf_hashes,
    open_checkpoint,
    sign_checkpoint,
    sign_handover,
    sign_ledger_head,
)
from fleetledger.topics import checkpoint_origin
from fleetledger.topics.naming import is_family_topic

_PAGE = 5000


class _Log(ReadableLog, NotarizedLog, Protocol):
    """What a notary reads and writes."""


@dataclass
class NotaryRound:
    """What one :meth:`Notary.run_once` did."""

    events: int = 0
    """Records hashed into the trees."""
    checkpoints: int = 0
    """Partition checkpoints signed (plus one head per signing)."""
    heads: int = 0

    def add(self, other: NotaryRound) -> None:
        """Count ``other`` in."""
        self.events += other.events
        self.checkpoints += other.checkpoints
        self.heads += other.heads


@dataclass
class _Tree:
    first: int
    next: int
    frontier: Frontier = field(default_factory=Frontier)
    signed: int = 0
    """The tree size of the partition's newest checkpoint."""
    stored: int = 0
    """How many of the tree's leaves the log stores (the notary stores the rest)."""
    pending: list[tuple[int, bytes]] = field(default_factory=list)
    """``(offset, leaf hash)`` of the leaves from ``stored`` on, to store with the next
    checkpoint."""


class Notary:
    """Keeps the trees of a :class:`NotarizedLog` and signs them; see the module docstring."""

    def __init__(
        self,
        backend: ReadableLog,
        namespace: str,
        signer: NoteSigner,
        *,
        every: int = 1000,
        interval: float = 5.0,
    ) -> None:
        if not supports(backend, NotarizedLog):
            raise ConfigurationError(
                f"{type(backend).__name__} needs no notary: a SQLite ledger opened with a key"
                " signs its checkpoints as it appends"
            )
        if every < 1 or interval <= 0:
            raise ConfigurationError("a notary signs every >= 1 events and interval > 0 seconds")
        self._log = cast(_Log, backend)
        self.namespace = namespace
        self._signer = signer
        self._every = every
        self._interval = interval
        self._trees: dict[TopicPartition, _Tree] = {}
        self._resumed = False
        self._unsigned = 0
        self._last = time.monotonic()

    def run_once(self, *, final: bool = True) -> NotaryRound:
        """Hash every record appended since the last round; sign every ``every`` events, and at
        the end if ``final`` or ``interval`` seconds passed since the last signing."""
        result = NotaryRound()
        self._resume()
        for tp in self._partitions():
            tree = self._trees.get(tp) or self._start(tp)
            while records := self._log.bodies(*tp, tree.next, _PAGE):
                take = records[: self._every - self._unsigned]
                hashes = leaf_hashes(body for _, body in take)
                tree.frontier.extend_hashes(hashes)
                tree.pending += zip((offset for offset, _ in take), hashes, strict=True)
                tree.next = take[-1][0] + 1
                self._unsigned += len(take)
                result.events += len(take)
                if self._unsigned >= self._every:
                    self._sign(result)
        due = final or time.monotonic() - self._last >= self._interval
        if due and any(t.frontier.size != t.signed for t in self._trees.values()):
            self._sign(result)
        return result

    def rotate(self, signer: NoteSigner) -> NotaryRound:
        """Sign up to the end with the current key, then hand over to ``signer``: a key handover
        and a head signed by both keys, stored together; sign with ``signer`` from then on."""
        if signer.verifier == self._signer.verifier:
            raise ConfigurationError("the new signing key is the key in force")
        result = self.run_once(final=True)
        self._sign(result, handover_to=signer)
        self._signer = signer
        return result

    def run(
        self,
        stop: threading.Event,
        *,
        poll: float = 1.0,
        on_round: Callable[[NotaryRound], None] | None = None,
    ) -> NotaryRound:
        """Run rounds every ``poll`` seconds until ``stop`` is set, then sign what is left.

        ``on_round`` hears of every round that signed something. Returns the totals.
        """
        total = NotaryRound()
        while True:
            stopping = stop.is_set()
            done = self.run_once(final=stopping)
            total.add(done)
            if on_round is not None and done.heads:
                on_round(done)
            if stopping:
                return total
            stop.wait(poll)

    def _partitions(self) -> list[TopicPartition]:
        """Every partition of the namespace's families."""
        return [
            (topic, p)
            for topic, policy in sorted(self._log.topics().items())
            if is_family_topic(topic, self.namespace)
            for p in range(policy.partitions)
        ]

    def _start(self, tp: TopicPartition) -> _Tree:
        """A partition no checkpoint of this notary covers: its tree starts from the leaves the
        log stores already (a tree copied from another ledger), else from its first record."""
        stored = self._log.stored_tree(*tp)
        if not stored.size:
            start = self._log.offsets(tp[0])[tp[1]].start
            tree = self._trees[tp] = _Tree(start, start)
            return tree
        frontier = Frontier()
        first: int | None = None
        for leaf in self._pages(tp, 0, stored.size):
            frontier.append_hash(leaf.hash)
            if first is None and leaf.offset >= 0:
                first = leaf.offset
        begin = stored.next if first is None else first
        tree = self._trees[tp] = _Tree(begin, stored.next, frontier, stored=stored.size)
        return tree

    def _pages(self, tp: TopicPartition, start: int, end: int) -> Iterator[Leaf]:
        """The log's leaves ``[start, end)`` of a partition, read page by page."""
        while start < end:
            page = self._log.leaves(*tp, start, min(_PAGE, end - start))
            if not page:
                raise IntegrityError(f"{tp[0]}/{tp[1]} has no leaf {start}; run fleetledger verify")
            yield from page
            start = page[-1].idx + 1

    def _resume(self) -> None:
        """Pick up the trees of the newest checkpoints, once, checking they are this key's."""
        if self._resumed:
            return
        marks = self._log.notary_marks(self.namespace)
        notes = {
            (row.topic, row.partition, row.size): row.note
            for row in self._log.checkpoints(self.namespace)
            if row.kind == PARTITION
        }
        handovers = [
            row.note for row in self._log.checkpoints(self.namespace) if row.kind == HANDOVER
        ]
        keys = key_chain(handovers, self._signer.verifier, namespace=self.namespace).keys
        for tp, mark in marks.items():
            self._check_mark(tp, mark, notes.get((*tp, mark.frontier.size)), keys)
            size = mark.frontier.size
            stored = min(self._log.stored_tree(*tp).size, size)
            # Checkpoints signed before leaves were stored: their leaves go with the next one.
            backfill = [(leaf.offset, leaf.hash) for leaf in self._pages(tp, stored, size)]
            self._trees[tp] = _Tree(mark.first, mark.next, mark.frontier, size, stored, backfill)
        self._resumed = True

    def _check_mark(
        self,
        tp: TopicPartition,
        mark: NotaryMark,
        note: bytes | None,
        keys: tuple[NoteVerifier, ...],
    ) -> None:
        """The newest checkpoint verifies with a key of this key's chain (a partition that did
        not grow since a handover keeps the old key's checkpoint)."""
        origin = self._origin(tp)
        try:
            if note is None:
                raise NoteError("its note is missing")
            checkpoint = open_checkpoint(note, set(keys), origin=origin)
        except NoteError as exc:
            raise IntegrityError(
                f"cannot resume {origin}: its newest notary checkpoint does not verify with"
                f" this key ({exc}); run fleetledger verify"
            ) from exc
        if checkpoint.root != mark.frontier.root():
            raise IntegrityError(f"cannot resume {origin}: the stored tree is not the signed one")

    def _sign(self, result: NotaryRound, handover_to: NoteSigner | None = None) -> None:
        """Checkpoint every partition that grew, then one head over all, in one append."""
        grown = [(tp, t) for tp, t in sorted(self._trees.items()) if t.frontier.size != t.signed]
        signed: list[NewCheckpoint] = []
        for tp, tree in grown:
            size, root = tree.frontier.size, tree.frontier.root()
            note = sign_checkpoint(self._origin(tp), size, root, self._signer)
            mark = NotaryMark(tree.first, tree.next, tree.frontier.copy())
            signed.append(NewCheckpoint(PARTITION, *tp, size, root, note, mark))
        heads = [
            PartitionHead(topic, p, t.frontier.size, t.frontier.root())
            for (topic, p), t in self._trees.items()
            if t.frontier.size
        ]
        total = sum(head.size for head in heads)
        if handover_to is None:
            note = sign_ledger_head(self.namespace, heads, self._signer)
        else:
            text = LedgerHead.of(self.namespace, heads).body()
            handover, note = sign_handover(self.namespace, text, self._signer, handover_to)
            signed.append(NewCheckpoint(HANDOVER, self.namespace, None, total, None, handover))
        signed.append(NewCheckpoint(HEAD, self.namespace, None, total, None, note))
        runs = [LeafRun(*tp, tree.stored, tree.pending) for tp, tree in grown]
        self._log.store_notarized(self.namespace, runs, signed)
        for _, tree in grown:
            tree.signed, tree.stored, tree.pending = tree.frontier.size, tree.frontier.size, []
        result.checkpoints += len(grown)
        result.heads += 1
        self._unsigned, self._last = 0, time.monotonic()

    def _origin(self, tp: TopicPartition) -> str:
        return checkpoint_origin(self.namespace, *tp)
