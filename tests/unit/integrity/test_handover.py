"""Key handover notes and the key chain a verifier follows from any key of it."""

import pytest

from fleetledger.errors import BadSignature, MalformedNote, NoteError
from fleetledger.integrity import (
    KeyHandover,
    NoteSigner,
    key_chain,
    open_handover,
    open_handover_head,
    sign_handover,
    sign_note,
)

HEAD = "fleet ledger head\n"
A, B, C = (NoteSigner.generate("fleet.example") for _ in range(3))


def test_a_handover_names_both_keys_and_the_head() -> None:
    """Opened, the note gives the old key, the new key and the head's digest."""
    note, head = sign_handover("fleet", HEAD, A, B)
    handover = open_handover(note, namespace="fleet")
    assert (handover.old, handover.new) == (A.verifier, B.verifier)
    assert open_handover_head(head, handover) == HEAD


def test_a_handover_signed_by_the_old_key_alone_is_refused() -> None:
    """The new key must sign too, or its holder never took it over."""
    note, _ = sign_handover("fleet", HEAD, A, B)
    text = note.decode().rsplit("\n\n", 1)[0] + "\n"
    with pytest.raises(BadSignature):
        open_handover(sign_note(text, A))


def test_a_head_other_than_the_one_handed_over_at_is_refused() -> None:
    """The handover binds one head; another head signed by both keys is not it."""
    note, _ = sign_handover("fleet", HEAD, A, B)
    other = sign_note("fleet ledger head\nfleet.task/0 0 " + "A" * 43 + "=\n", A, B)
    with pytest.raises(NoteError):
        open_handover_head(other, open_handover(note))


def test_a_handover_text_is_parsed_only_in_its_one_spelling() -> None:
    """Extra spaces or lines are refused, so one handover has one encoding."""
    note, _ = sign_handover("fleet", HEAD, A, B)
    text = note.decode().rsplit("\n\n", 1)[0] + "\n"
    with pytest.raises(MalformedNote):
        KeyHandover.parse(text.replace("old ", "old  "))


def test_the_chain_from_the_first_key_goes_forwards() -> None:
    """Trusting A, two handovers A to B to C make C the key in force."""
    notes = [sign_handover("fleet", HEAD, A, B)[0], sign_handover("fleet", HEAD, B, C)[0]]
    chain = key_chain(notes, A.verifier)
    assert chain.keys == (A.verifier, B.verifier, C.verifier)
    assert not chain.problems


def test_the_chain_from_the_last_key_goes_backwards() -> None:
    """Trusting C, the same handovers name B and then A for the stretches before."""
    notes = [sign_handover("fleet", HEAD, A, B)[0], sign_handover("fleet", HEAD, B, C)[0]]
    assert key_chain(notes, C.verifier).keys == (A.verifier, B.verifier, C.verifier)


def test_a_handover_from_a_key_not_in_force_breaks_the_chain() -> None:
    """A to B, then a handover from A again (a thief with the old key) is not followed."""
    notes = [sign_handover("fleet", HEAD, A, B)[0], sign_handover("fleet", HEAD, A, C)[0]]
    chain = key_chain(notes, A.verifier)
    assert chain.current == B.verifier
    assert [number for number, _ in chain.problems] == [1]
