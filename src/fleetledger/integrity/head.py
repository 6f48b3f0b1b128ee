"""The ledger head: one signed note committing to the tree head of every partition at once.

Partition checkpoints each speak for one partition; the ledger head is a consistent cut of
the whole fleet, so a verifier holding one head can check any event of any partition, and
an evidence bundle needs one signature however many partitions its task touched.

Format (version 1). The head is a signed note (:mod:`fleetledger.integrity.note`) whose text is::

    <namespace> ledger head
    <topic>/<partition> <tree size> <root hash>
    <topic>/<partition> <tree size> <root hash>
    ...

- ``namespace`` is non-empty, with no whitespace and no control characters; the first line is
  the namespace, one space, and the literal ``ledger head``. It is the head's origin: a head
  of another namespace is refused when a namespace is expected.
- One line per partition, each ending in a newline: ``topic`` uses only ``A-Z a-z 0-9 . _ -``
  (the Kafka topic alphabet, at most 249 characters); ``partition`` and ``tree size`` are
  decimals without leading zeros; ``root hash`` is the standard padded base64 of the 32-byte
  RFC 6962 root (44 characters), and is the empty-tree root when the size is 0.
- Lines are sorted by topic (byte order), then by partition number (as an integer), and no
  ``(topic, partition)`` appears twice. A head with no partitions is the first line alone.

So every head has exactly one encoding, and a verifier in any language checks it with an
Ed25519 note verifier, a line split and a base64 decoder. The partition lines are the same
``(size, root)`` a partition checkpoint carries, so a head and a checkpoint of the same
partition at the same size agree exactly, and consistency proofs connect either to later ones.
This is not a tlog-checkpoint (its second line is not a tree size), so a checkpoint parser can
never mistake one for the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from fleetledger.errors import MalformedNote, NotFound, WrongOrigin
from fleetledger.integrity import _lines
from fleetledger.integrity.note import NoteSigner, NoteVerifier, open_note, sign_note

HEAD_SUFFIX = " ledger head"
_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}\Z")


@dataclass(frozen=True, slots=True)
class PartitionHead:
    """One partition's tree head as a ledger head records it."""

    topic: str
    partition: int
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.topic, str) or not _TOPIC.match(self.topic):
            raise ValueError(f"a topic name uses only A-Z a-z 0-9 . _ -: {self.topic!r}")
        _lines.check_count(self.partition, "partition")
        _lines.check_tree(self.size, self.root)

    def line(self) -> str:
        """The head line for this partition, without its newline."""
        return f"{self.topic}/{self.partition} {self.size} {_lines.encode_hash(self.root)}"

    @classmethod
    def parse(cls, line: str) -> PartitionHead:
        """Read one head line; raise ``ValueError`` unless it is exactly one."""
        if not isinstance(line, str):
            raise ValueError(f"a head line is text, not {type(line).__name__}")
        fields = line.split(" ")
        if len(fields) != 3 or "/" not in fields[0]:
            raise ValueError(
                f"a head line is '<topic>/<partition> <size> <root>': {_lines.show(line)}"
            )
        topic, partition = fields[0].rsplit("/", 1)
        return cls(
            topic,
            _lines.decode_count(partition, "partition"),
            _lines.decode_count(fields[1], "tree size"),
            _lines.decode_hash(fields[2], "root hash"),
        )

    def __repr__(self) -> str:
        return f"PartitionHead({self.line()!r})"

    @property
    def key(self) -> tuple[str, int]:
        """Where the partition sorts in a head: by topic, then by partition number."""
        return self.topic, self.partition


@dataclass(frozen=True, slots=True)
class LedgerHead:
    """The tree heads of all partitions of one namespace, in head order."""

    namespace: str
    partitions: tuple[PartitionHead, ...]

    def __post_init__(self) -> None:
        _lines.check_line(self.namespace, "namespace")
        if any(c.isspace() for c in self.namespace):
            raise ValueError(f"a namespace has no whitespace: {self.namespace!r}")
        keys = [head.key for head in self.partitions]
        if any(a >= b for a, b in pairwise(keys)):
            raise ValueError("partition heads are sorted by topic and partition, each once")

    @classmethod
    def of(cls, namespace: str, heads: Iterable[PartitionHead]) -> LedgerHead:
        """A head over ``heads`` in any order (each partition at most once)."""
        return cls(namespace, tuple(sorted(heads, key=lambda head: head.key)))

    def body(self) -> str:
        """The note text that is signed."""
        lines = [f"{self.namespace}{HEAD_SUFFIX}", *(head.line() for head in self.partitions)]
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> LedgerHead:
        """Read a head body; raise :class:`MalformedNote` unless it is exactly one."""
        if not isinstance(text, str):
            raise MalformedNote(f"a ledger head is text, not {type(text).__name__}")
        if not text.endswith("\n"):
            raise MalformedNote("a ledger head ends with a newline")
        first, *rest = text[:-1].split("\n")
        if not first.endswith(HEAD_SUFFIX):
            raise MalformedNote(f"a ledger head starts with '<namespace>{HEAD_SUFFIX}'")
        try:
            heads = tuple(PartitionHead.parse(line) for line in rest)
            return cls(first.removesuffix(HEAD_SUFFIX), heads)
        except ValueError as exc:
            raise MalformedNote(f"not a ledger head: {exc}") from None

    def partition(self, topic: str, partition: int) -> PartitionHead:
        """The head of one partition; :class:`NotFound` if the head does not cover it."""
        for head in self.partitions:
            if head.key == (topic, partition):
                return head
        raise NotFound(f"the ledger head has no partition {topic}/{partition}")


def sign_ledger_head(namespace: str, heads: Iterable[PartitionHead], signer: NoteSigner) -> bytes:
    """The signed ledger head over ``heads`` (any order), ready to store or publish."""
    return sign_note(LedgerHead.of(namespace, heads).body(), signer)


def open_ledger_head(
    note: bytes,
    verifiers: NoteVerifier | Iterable[NoteVerifier],
    *,
    namespace: str | None = None,
) -> LedgerHead:
    """The ledger head in ``note``, once a trusted signature verifies and the namespace matches.

    Raises :class:`MalformedNote`, :class:`BadSignature`, :class:`UnknownKey`, or
    :class:`WrongOrigin` when ``namespace`` is given and the head is of another namespace.
    """
    head = LedgerHead.parse(open_note(note, verifiers).text)
    if namespace is not None and head.namespace != namespace:
        raise WrongOrigin(expected=namespace, actual=head.namespace)
    return head
