"""Partition checkpoints: C2SP tlog-checkpoint bodies in signed notes.

A checkpoint commits to one partition's tree at one size. Its note text is::

    <origin>                  which log: unique per partition, e.g. ledger.example.com/acme.task/0
    <tree size>               decimal, no leading zeros ("0" for the empty tree)
    <root hash>               standard padded base64 of the 32-byte RFC 6962 root
    [<extension line>]...     optional, non-empty, opaque (NOT RECOMMENDED by the spec)

followed by the blank line and signature lines of :mod:`fleetledger.integrity.note`. Checkpoints
are what a notary signs and a verifier trusts; proofs (:mod:`~fleetledger.integrity.proofs`)
connect events and older checkpoints to them. Before comparing two checkpoints, check they
have the same origin: a validly signed checkpoint of another partition proves nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fleetledger.errors import MalformedNote, WrongOrigin
from fleetledger.integrity import _lines
from fleetledger.integrity.note import NoteSigner, NoteVerifier, open_note, sign_note


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: which log (``origin``), how many leaves, and their root."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _lines.check_line(self.origin, "origin")
        _lines.check_tree(self.size, self.root)
        for line in self.extensions:
            _lines.check_line(line, "extension line")

    def body(self) -> str:
        """The note text that is signed: one field per line, each ending in a newline."""
        lines = [self.origin, str(self.size), _lines.encode_hash(self.root), *self.extensions]
        return "".join(f"{line}\n" for line in lines)

    def __repr__(self) -> str:
        root = _lines.encode_hash(self.root)
        return f"Checkpoint({self.origin!r}, size={self.size}, root={root!r})"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint body; raise :class:`MalformedNote` unless it is exactly one."""
        if not isinstance(text, str):
            raise MalformedNote(f"a checkpoint body is text, not {type(text).__name__}")
        if not text.endswith("\n"):
            raise MalformedNote("a checkpoint body ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedNote("a checkpoint body has an origin, a size and a root line")
        origin, size, root, *extensions = lines
        try:
            return cls(
                origin,
                _lines.decode_count(size, "tree size"),
                _lines.decode_hash(root, "root hash"),
                tuple(extensions),
            )
        except ValueError as exc:
            raise MalformedNote(f"not a checkpoint: {exc}") from None


def sign_checkpoint(
    origin: str,
    size: int,
    root: bytes,
    signer: NoteSigner,
    *,
    extensions: Sequence[str] = (),
) -> bytes:
    """The signed note of the checkpoint ``(origin, size, root)``, ready to store or publish."""
    return sign_note(Checkpoint(origin, size, root, tuple(extensions)).body(), signer)


def open_checkpoint(
    note: bytes,
    verifiers: NoteVerifier | Iterable[NoteVerifier],
    *,
    origin: str | None = None,
) -> Checkpoint:
    """The checkpoint in ``note``, once a trusted signature verifies and the origin matches.

    Raises :class:`MalformedNote`, :class:`BadSignature`, :class:`UnknownKey`, or
    :class:`WrongOrigin` when ``origin`` is given and the checkpoint is for another log.
    """
    checkpoint = Checkpoint.parse(open_note(note, verifiers).text)
    if origin is not None and checkpoint.origin != origin:
        raise WrongOrigin(expected=origin, actual=checkpoint.origin)
    return checkpoint
