"""Signing-key rotation: a handover note, signed by the old and the new key, and the key chain.

A ledger's heads are signed by one key at a time. To rotate, the signer stores, in one
transaction, a *handover note* and then a *handover head*: the ledger head of that moment
signed by both keys. From then on heads and checkpoints are signed by the new key alone.

The handover note is a signed note (:mod:`.note`) whose text is::

    <namespace> key handover
    old <verifier key string of the old key>
    new <verifier key string of the new key>
    head <base64 SHA-256 of the handover head's text>

signed by the old key and by the new key. The old key's signature is what makes the new key
trusted by whoever trusts the old one (a signature line names a key only by a 32-bit id, so
the public key itself must be in the signed text); the new key's signature shows its holder
took it over, so whoever trusts the new key can follow the chain back to the old one.

A verifier holding any key of the chain (the trust root) follows it: forwards, each handover
must be signed by the key in force and names the next one; backwards, each handover must be
signed by the key the verifier trusts for what follows it and names the one before.
:func:`key_chain` returns, for each stretch between handovers, the one key that may sign
there. So a head signed by the new key alone before the handover is refused by a verifier
trusting the old key, and a head signed by the old key alone after it is refused by anyone.
This module does no I/O.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from fleetledger.errors import BadSignature, InvalidKey, MalformedNote, NoteError, WrongOrigin
from fleetledger.integrity.note import NoteSigner, NoteVerifier, open_note, parse_note, sign_note

HANDOVER_SUFFIX = " key handover"


@dataclass(frozen=True, slots=True)
class KeyHandover:
    """What a handover note says: the namespace, the old and new keys, the head it hands over at."""

    namespace: str
    old: NoteVerifier
    new: NoteVerifier
    head: bytes
    """SHA-256 of the handover head's text (the note text both keys signed as a ledger head)."""

    def body(self) -> str:
        """The note text that is signed."""
        digest = base64.b64encode(self.head).decode()
        return (
            f"{self.namespace}{HANDOVER_SUFFIX}\nold {self.old.vkey}\nnew {self.new.vkey}\n"
            f"head {digest}\n"
        )

    @classmethod
    def parse(cls, text: str) -> KeyHandover:
        """Read a handover note's text; :class:`MalformedNote` unless it is exactly one."""
        lines = text.split("\n")
        if len(lines) != 5 or lines[4] or not lines[0].endswith(HANDOVER_SUFFIX):
            raise MalformedNote(
                f"a key handover has four lines after '<namespace>{HANDOVER_SUFFIX}'"
            )
        fields = [line.partition(" ") for line in lines[1:4]]
        if [word for word, _, _ in fields] != ["old", "new", "head"]:
            raise MalformedNote(
                "a key handover's lines are 'old <key>', 'new <key>', 'head <hash>'"
            )
        try:
            old, new = (NoteVerifier.from_vkey(value) for _, _, value in fields[:2])
            head = base64.b64decode(fields[2][2], validate=True)
        except (InvalidKey, ValueError) as exc:
            raise MalformedNote(f"not a key handover: {exc}") from None
        if len(head) != 32 or old == new:
            raise MalformedNote("a key handover names two different keys and a 32-byte hash")
        handover = cls(lines[0].removesuffix(HANDOVER_SUFFIX), old, new, head)
        if handover.body() != text:
            raise MalformedNote("a key handover is spelled the one way it is written")
        return handover


def head_digest(head_note: bytes) -> bytes:
    """SHA-256 of a signed head's text (its signatures left out)."""
    return hashlib.sha256(parse_note(head_note)[0].encode()).digest()


def sign_handover(
    namespace: str, head_text: str, old: NoteSigner, new: NoteSigner
) -> tuple[bytes, bytes]:
    """The handover note and the handover head (``head_text`` signed by both keys)."""
    head = sign_note(head_text, old, new)
    handover = KeyHandover(
        namespace, old.verifier, new.verifier, hashlib.sha256(head_text.encode()).digest()
    )
    return sign_note(handover.body(), old, new), head


def open_handover(note: bytes, *, namespace: str | None = None) -> KeyHandover:
    """The handover in ``note`` once both keys it names have signed it.

    Which of the two keys to trust is the caller's decision (:func:`key_chain`).
    """
    text, _ = parse_note(note)
    handover = KeyHandover.parse(text)
    if namespace is not None and handover.namespace != namespace:
        raise WrongOrigin(expected=namespace, actual=handover.namespace)
    opened = open_note(note, (handover.old, handover.new))
    if len(opened.verified_by) != 2:
        missing = handover.new if handover.old in opened.verified_by else handover.old
        raise BadSignature(missing.name, missing.key_id)
    return handover


def open_handover_head(note: bytes, handover: KeyHandover) -> str:
    """The text of the handover head ``note`` once it is the one ``handover`` names, signed by
    both keys."""
    opened = open_note(note, (handover.old, handover.new))
    if hashlib.sha256(opened.text.encode()).digest() != handover.head:
        raise NoteError("the head is not the one the key handover names")
    if len(opened.verified_by) != 2:
        raise NoteError("a handover head is signed by both the old and the new key")
    return opened.text


@dataclass(frozen=True, slots=True)
class KeyChain:
    """The key in force in each stretch: ``keys[i]`` before handover ``i``, ``keys[-1]`` after
    the last; ``problems`` says which handovers could not be followed (and why)."""

    keys: tuple[NoteVerifier, ...]
    handovers: tuple[KeyHandover | None, ...]
    problems: tuple[tuple[int, str], ...] = ()

    @property
    def current(self) -> NoteVerifier:
        """The key that signs from the last handover on."""
        return self.keys[-1]


def key_chain(
    notes: Sequence[bytes], trusted: NoteVerifier, *, namespace: str | None = None
) -> KeyChain:
    """Follow the handover ``notes`` (in the order stored) from the ``trusted`` key.

    The trusted key is placed where the chain names it (first as an old key, else the stretch
    its handover starts); without it anywhere, it is the key of every stretch. A handover that
    does not verify, or is not signed by the key in force, breaks the chain there: the stretches
    beyond keep the last key followed, so what the new key signed there is refused.
    """
    opened: list[KeyHandover | None] = []
    problems: list[tuple[int, str]] = []
    for number, note in enumerate(notes):
        try:
            opened.append(open_handover(note, namespace=namespace))
        except NoteError as exc:
            opened.append(None)
            problems.append((number, str(exc)))
    start = _place(opened, trusted)
    keys: list[NoteVerifier] = [trusted] * (len(opened) + 1)
    for i in range(start, len(opened)):  # forwards
        handover = opened[i]
        if handover is not None and handover.old == keys[i]:
            keys[i + 1] = handover.new
        else:
            keys[i + 1] = keys[i]
            _broken(problems, i, handover, keys[i])
    for i in range(start - 1, -1, -1):  # backwards
        handover = opened[i]
        if handover is not None and handover.new == keys[i + 1]:
            keys[i] = handover.old
        else:
            keys[i] = keys[i + 1]
            _broken(problems, i, handover, keys[i + 1])
    return KeyChain(tuple(keys), tuple(opened), tuple(sorted(problems)))


def _place(opened: Sequence[KeyHandover | None], trusted: NoteVerifier) -> int:
    """The stretch whose key is ``trusted``."""
    for i, handover in enumerate(opened):
        if handover is not None and handover.old == trusted:
            return i
        if handover is not None and handover.new == trusted:
            return i + 1
    return 0


def _broken(
    problems: list[tuple[int, str]], i: int, handover: KeyHandover | None, key: NoteVerifier
) -> None:
    if handover is not None:
        problems.append((i, f"the key handover is not signed by the key in force, {key.vkey}"))
