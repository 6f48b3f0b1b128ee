"""Signing-key rotation on SQLite: a handover head signed by both keys, and verify follows it."""

from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from fleetledger import Ledger
from fleetledger.audit.verify import FindingKind
from fleetledger.errors import ConfigurationError
from fleetledger.integrity import NoteSigner, NoteVerifier, open_note, verify_bundle

Open = Callable[..., Ledger]
Append = Callable[[Ledger, int], list[int]]


@pytest.fixture
def new_signer() -> NoteSigner:
    return NoteSigner.generate("test.example/fleet")


@pytest.fixture
def rotated(open_ledger: Open, append_tasks: Append, new_signer: NoteSigner) -> None:
    """A ledger signed by the old key, rotated to the new one, then signed by the new key."""
    with open_ledger(every=2) as ledger:
        append_tasks(ledger, 4)
        ledger.rotate_key(new_signer)
        append_tasks(ledger, 4)


@pytest.mark.usefixtures("rotated")
def test_verify_with_the_old_key_follows_the_handover(
    open_ledger: Open, verifier: NoteVerifier
) -> None:
    """An auditor who only ever held the old public key still checks every head."""
    result = open_ledger(sign=False).verify(verifier)
    assert result.ok, result.findings


@pytest.mark.usefixtures("rotated")
def test_verify_with_the_new_key_follows_the_handover_back(
    open_ledger: Open, new_signer: NoteSigner
) -> None:
    """Whoever trusts the new key checks the heads signed before it by the old one too."""
    result = open_ledger(sign=False).verify(new_signer.verifier)
    assert result.ok, result.findings


@pytest.mark.usefixtures("rotated")
def test_the_handover_head_carries_both_signatures(
    open_ledger: Open, verifier: NoteVerifier, new_signer: NoteSigner
) -> None:
    """The head stored with the handover verifies with each key on its own."""
    kinds = [row.kind for row in open_ledger(sign=False).log.checkpoints("fleet")]
    handover = kinds.index("handover")
    note = open_ledger(sign=False).log.checkpoints("fleet")[handover + 1].note
    signed = open_note(note, [verifier, new_signer.verifier]).verified_by
    assert set(signed) == {verifier, new_signer.verifier}


def test_a_head_signed_by_the_new_key_alone_before_any_handover_is_refused(
    open_ledger: Open, append_tasks: Append, verifier: NoteVerifier, new_signer: NoteSigner
) -> None:
    """Without a handover signed by the old key, the new key is nobody's to trust."""
    with open_ledger(every=2) as ledger:
        append_tasks(ledger, 2)
    with open_ledger(every=2, sign=False, signer=new_signer) as ledger:
        append_tasks(ledger, 2)
    kinds = {f.kind for f in open_ledger(sign=False).verify(verifier).findings}
    assert FindingKind.BAD_SIGNATURE in kinds


@pytest.mark.usefixtures("rotated")
def test_a_head_signed_by_the_old_key_alone_after_the_handover_is_refused(
    open_ledger: Open, append_tasks: Append, verifier: NoteVerifier
) -> None:
    """After the handover the old key speaks for nothing: what it signs alone is suspect."""
    with open_ledger(every=2) as ledger:  # the old key, as a thief holding it would
        append_tasks(ledger, 2)
    kinds = {f.kind for f in open_ledger(sign=False).verify(verifier).findings}
    assert FindingKind.BAD_SIGNATURE in kinds


def test_rotating_to_the_key_in_force_is_refused(open_ledger: Open, signer: NoteSigner) -> None:
    """A handover to the same key would hand nothing over."""
    with open_ledger() as ledger, pytest.raises(ConfigurationError, match="in force"):
        ledger.rotate_key(signer)


def test_rotation_needs_the_ledger_opened_with_its_key(
    open_ledger: Open, new_signer: NoteSigner
) -> None:
    """Only the holder of the old key can hand over from it."""
    with open_ledger(sign=False) as ledger, pytest.raises(ConfigurationError):
        ledger.rotate_key(new_signer)


@pytest.mark.usefixtures("rotated")
def test_a_bundle_collected_after_rotation_verifies_with_the_old_key(
    open_ledger: Open, verifier: NoteVerifier
) -> None:
    """The bundle carries the handover, so an auditor with the old key follows it offline."""
    bundle = open_ledger(sign=False).evidence("task-1", verifier)
    checked = verify_bundle(bundle, verifier)
    assert checked.signer_proved, checked.findings


@pytest.mark.usefixtures("rotated")
def test_a_bundle_without_its_handovers_fails_with_the_old_key(
    open_ledger: Open, verifier: NoteVerifier, new_signer: NoteSigner
) -> None:
    """The old key alone does not vouch for a head only the new key signed."""
    bundle = open_ledger(sign=False).evidence("task-1", new_signer.verifier)
    stripped = msgspec.structs.replace(bundle, handovers=())
    assert not verify_bundle(stripped, verifier).ok


def test_rotated_key_signs_after_reopening(
    open_ledger: Open, append_tasks: Append, tmp_path: Path, verifier: NoteVerifier
) -> None:
    """A ledger reopened with the new key keeps signing heads the old key's chain accepts."""
    new = NoteSigner.generate("test.example/fleet")
    with open_ledger(every=2) as ledger:
        append_tasks(ledger, 2)
        ledger.rotate_key(new)
    with open_ledger(every=2, sign=False, signer=new) as ledger:
        append_tasks(ledger, 2)
    assert open_ledger(sign=False).verify(verifier).ok


@pytest.mark.usefixtures("rotated")
def test_a_rotation_is_recorded_as_an_administrative_act(
    open_ledger: Open, verifier: NoteVerifier, new_signer: NoteSigner
) -> None:
    """The handover is in the checkpoints; the act, with both public keys, is an event too."""
    ledger = open_ledger(sign=False)
    acts = [
        e.data
        for e in ledger.replay("fleetledger:admin")
        if e.type == "governance.admin.performed" and e.data["operation"] == "key.rotated"
    ]

    assert [(a["parameters"]["old"], a["parameters"]["new"]) for a in acts] == [
        (verifier.vkey, new_signer.verifier.vkey)
    ]
