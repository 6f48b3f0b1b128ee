"""Ledger.prove_order and verify_order: one event committed before another, proved offline."""

import base64
import json
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from fleetledger import Ledger, NotFound
from fleetledger.errors import BadSignature, ProofError, UnknownKey
from fleetledger.governance import parse_ordering
from fleetledger.integrity import (
    BundleEvent,
    BundleFindingKind,
    NoteSigner,
    NoteVerifier,
    OrderProof,
    read_bundle,
    read_order,
    sign_note,
    verify_bundle,
    verify_order,
)
from fleetledger.ledger.signing import load_signer, load_verifier, write_key_pair

Open = Callable[..., Ledger]
SUBJECT = "task-1"


@pytest.fixture
def ledger(open_ledger: Open) -> Ledger:
    """A ledger signing a head every 2 events, holding:

    head #1: grant (governance) and t0 (task); head #2 adds call (tool) and t1;
    head #3 adds t2 and t3, so t2 and the grant-for-c2 share no head boundary.
    """
    ledger = open_ledger(every=2)
    ledger.append(
        "governance.approval.granted",
        id="grant",
        subject=SUBJECT,
        data={"approval_id": "a1", "call_id": "c1"},
    )
    ledger.append("task.requested", id="t0", subject=SUBJECT, data={"goal": "g0"})
    ledger.append(
        "tool.call.started",
        id="call",
        subject=SUBJECT,
        data={"call_id": "c1", "tool": "payments.transfer"},
    )
    ledger.append("task.requested", id="t1", subject=SUBJECT, data={"goal": "g1"})
    ledger.append("task.requested", id="t2", subject=SUBJECT, data={"goal": "g2"})
    ledger.append(
        "tool.call.completed",
        id="done",
        subject=SUBJECT,
        data={"call_id": "c1", "tool": "payments.transfer"},
    )
    return ledger


def tampered(proof: OrderProof, change: Callable[[dict[str, Any]], None]) -> OrderProof:
    """The proof after a JSON edit, read back as a verifier would read the file."""
    document = json.loads(proof.dumps())
    change(document)
    return read_order(json.dumps(document))


def flip(value: str) -> str:
    """A base64 hash or body with its first byte changed."""
    raw = bytearray(base64.b64decode(value))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


# -- the two methods ---------------------------------------------------------------------------


def test_two_events_of_one_partition_are_ordered_by_their_leaves(
    ledger: Ledger, verifier: NoteVerifier
) -> None:
    """t0 and t1 share fleet.task's tree: one head, two inclusion proofs, leaf 0 < leaf 1."""
    proof = ledger.prove_order("t0", "t1", verifier)

    assert proof.method == "same-partition"
    assert proof.before is None
    assert (proof.earlier.leaf_index, proof.later.leaf_index) == (0, 1)
    result = verify_order(read_order(proof.dumps()), verifier)
    assert (result.earlier, result.later, result.method) == ("t0", "t1", "same-partition")


def test_events_of_two_partitions_are_ordered_by_an_older_head(
    ledger: Ledger, verifier: NoteVerifier
) -> None:
    """The grant is in head #1, the tool call is not: head #1 plus a consistent newer head."""
    proof = ledger.prove_order("grant", "call", verifier)

    assert proof.method == "across-partitions"
    assert proof.before is not None
    assert proof.before.head == ledger.prove_consistency(1, 1).old_head
    assert [(e.topic, e.old_size) for e in proof.before.consistency] == [
        ("fleet.governance", 1),
        ("fleet.tool", 0),
    ]
    assert verify_order(read_order(proof.dumps()), verifier).later == "call"


def test_a_partition_that_grew_between_the_heads_has_a_real_consistency_proof(
    ledger: Ledger, verifier: NoteVerifier
) -> None:
    """t0 (head #1) before done (head #3): fleet.task grew from 1 to 4 leaves, proved."""
    proof = ledger.prove_order("t0", "done", verifier)

    assert proof.before is not None
    task = proof.before.consistency[0]
    assert (task.topic, task.old_size, task.new_size) == ("fleet.task", 1, 3)
    assert task.proof
    verify_order(proof, verifier)


def test_the_proof_verifies_with_the_public_key_alone(
    ledger: Ledger, key_files: tuple[Any, Any]
) -> None:
    """Built without a verifier, checked with one read from the .pub file only."""
    proof = ledger.prove_order("grant", "call")

    verify_order(read_order(proof.dumps()), load_verifier(key_files[1]))


# -- refusals ----------------------------------------------------------------------------------


def test_the_reverse_order_in_one_partition_is_refused(ledger: Ledger) -> None:
    """t1 did not come before t0, and the refusal says the order is the reverse."""
    with pytest.raises(ProofError, match="the order is the reverse"):
        ledger.prove_order("t1", "t0")


def test_the_reverse_order_across_partitions_is_refused(ledger: Ledger) -> None:
    """call did not come before grant: head #1 holds the grant without the call."""
    with pytest.raises(ProofError, match="grant was committed before call"):
        ledger.prove_order("call", "grant")


def test_events_first_signed_under_one_head_across_partitions_have_no_proof(
    ledger: Ledger,
) -> None:
    """grant and t0 came under head #1 together: without a hash link, nothing orders them."""
    with pytest.raises(ProofError, match="includes t0 too"):
        ledger.prove_order("grant", "t0")


def test_an_event_is_not_before_itself(ledger: Ledger) -> None:
    """The same id twice is refused."""
    with pytest.raises(ProofError, match="same event"):
        ledger.prove_order("t0", "t0")


def test_an_event_no_head_covers_yet_is_not_found(ledger: Ledger) -> None:
    """An unsigned tail: no head covers both events yet."""
    ledger.append("task.requested", id="fresh", subject=SUBJECT, data={"goal": "g"})
    with pytest.raises(NotFound, match="no signed ledger head covers both"):
        ledger.prove_order("t0", "fresh")


def test_an_unknown_event_is_not_found(ledger: Ledger) -> None:
    """Ids are looked up before anything is proved."""
    with pytest.raises(NotFound, match="nope"):
        ledger.prove_order("nope", "t0")


# -- tampering ---------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", [("t0", "t1"), ("grant", "call")])
def test_swapping_the_two_events_is_rejected(
    ledger: Ledger, verifier: NoteVerifier, pair: tuple[str, str]
) -> None:
    """earlier and later exchanged: the leaves or the older head no longer show the order."""
    proof = ledger.prove_order(*pair)

    def swap(document: dict[str, Any]) -> None:
        document["earlier"], document["later"] = document["later"], document["earlier"]

    with pytest.raises(ProofError):
        verify_order(tampered(proof, swap), verifier)


def test_swapping_only_the_ids_is_rejected(ledger: Ledger, verifier: NoteVerifier) -> None:
    """The ids must be the ids inside the proved bodies."""
    proof = ledger.prove_order("t0", "t1")

    def swap(document: dict[str, Any]) -> None:
        document["earlier"]["id"], document["later"]["id"] = "t1", "t0"

    with pytest.raises(ProofError, match="body is not event"):
        verify_order(tampered(proof, swap), verifier)


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["earlier"].update(body=flip(d["earlier"]["body"])),
        lambda d: d["later"]["audit_path"].__setitem__(0, flip(d["later"]["audit_path"][0])),
        lambda d: d["before"].update(tree_size=d["before"]["tree_size"] + 1),
        lambda d: d["before"]["consistency"][0]["proof"].__setitem__(
            0, flip(d["before"]["consistency"][0]["proof"][0])
        ),
        lambda d: d["before"]["consistency"].reverse(),
        lambda d: d["later"].update(leaf_index=0),
        lambda d: d.update(method="same-partition"),
    ],
    ids=[
        "a body",
        "an audit path hash",
        "a tree size",
        "a consistency hash",
        "consistency order",
        "a leaf index",
        "the method",
    ],
)
def test_a_changed_document_is_rejected(
    ledger: Ledger, verifier: NoteVerifier, edit: Callable[[dict[str, Any]], None]
) -> None:
    """Every field the order rests on is covered by a hash, a signature or a check."""
    proof = ledger.prove_order("t0", "done")
    assert proof.before is not None
    assert proof.later.audit_path

    with pytest.raises(ProofError):
        verify_order(tampered(proof, edit), verifier)


def test_a_changed_head_fails_its_signature(ledger: Ledger, verifier: NoteVerifier) -> None:
    """A head line edited (a bigger tree) no longer matches the signature."""
    proof = ledger.prove_order("grant", "call")

    def edit(document: dict[str, Any]) -> None:
        document["before"]["head"] = document["before"]["head"].replace(
            "fleet.task/3 1", "fleet.task/3 2"
        )

    with pytest.raises(BadSignature):
        verify_order(tampered(proof, edit), verifier)


def test_another_key_is_refused(ledger: Ledger, tmp_path: Any) -> None:
    """A proof checks against the ledger's key only: another key finds no trusted signature."""
    proof = ledger.prove_order("grant", "call")
    (tmp_path / "other").mkdir()
    other = load_verifier(write_key_pair("other.example/fleet", tmp_path / "other")[1])

    with pytest.raises(UnknownKey):
        verify_order(proof, other)


def test_heads_re_signed_by_a_forger_are_refused(
    ledger: Ledger, verifier: NoteVerifier, tmp_path: Any
) -> None:
    """A head re-signed with a forger's key of the same name finds no trusted signature."""
    (tmp_path / "f").mkdir()
    forger: NoteSigner = load_signer(write_key_pair("test.example/fleet", tmp_path / "f")[0])
    proof = ledger.prove_order("t0", "t1")

    def edit(document: dict[str, Any]) -> None:
        document["head"] = sign_note(document["head"].split("\n\n")[0] + "\n", forger).decode()

    with pytest.raises(UnknownKey):
        verify_order(tampered(proof, edit), verifier)


def test_a_file_that_is_not_an_order_proof_is_refused() -> None:
    """Another format, a missing field or an unknown one: no computed root, a clear refusal."""
    with pytest.raises(ProofError, match="not an order proof"):
        read_order(b'{"format": "fleetledger-evidence", "version": 1}')
    with pytest.raises(ProofError, match="malformed order proof"):
        read_order(b'{"format": "fleetledger-order", "version": 1}')
    with pytest.raises(ProofError, match="not an order proof"):
        read_order(b"\xff")


# -- the hash link -----------------------------------------------------------------------------

PAYMENTS = parse_ordering(
    [
        {
            "name": "payments need an approval",
            "when": {"type": "tool.call.started", "data": {"tool": "payments.*"}},
            "requires": {"type": "governance.approval.granted"},
            "join": ["subject", "data.call_id"],
        }
    ]
)


@pytest.fixture
def linked(open_ledger: Open) -> Ledger:
    """A ledger with the payments rule: two grants, then a call stamped after the first, all
    under one head (signed once, at the end)."""
    ledger = open_ledger(every=1000, ordering=PAYMENTS)
    for call_id in ("c1", "c2"):
        ledger.append(
            "governance.approval.granted",
            id=f"grant-{call_id}",
            subject=SUBJECT,
            data={"approval_id": f"a-{call_id}", "call_id": call_id},
        )
    ledger.append(
        "tool.call.started",
        id="call",
        subject=SUBJECT,
        data={"call_id": "c1", "tool": "payments.transfer"},
    )
    ledger.sign()
    return ledger


def test_a_stamped_pair_under_one_head_is_ordered_by_its_hash_link(
    linked: Ledger, verifier: NoteVerifier
) -> None:
    """The grant and the call were first signed by the same head, in two partitions: only
    the call's bytes naming the grant's leaf order them."""
    assert len(linked.heads()) == 1
    proof = linked.prove_order("grant-c1", "call", verifier)

    assert proof.method == "hash-link"
    assert proof.before is None
    assert proof.earlier.topic != proof.later.topic
    result = verify_order(read_order(proof.dumps()), verifier)
    assert (result.earlier, result.later, result.method) == ("grant-c1", "call", "hash-link")


def test_an_unlinked_pair_under_one_head_still_has_no_proof(linked: Ledger) -> None:
    """The call names grant-c1, not grant-c2: nothing orders grant-c2 before it."""
    with pytest.raises(ProofError, match="includes"):
        linked.prove_order("grant-c2", "call")


def test_the_reverse_of_a_hash_link_is_refused(linked: Ledger) -> None:
    """The call names the grant: it cannot have come before it."""
    with pytest.raises(ProofError, match="reverse"):
        linked.prove_order("call", "grant-c1")


def test_a_hash_link_proof_for_another_earlier_event_is_rejected(
    linked: Ledger, verifier: NoteVerifier
) -> None:
    """grant-c2, included in the same head, put in as ``earlier``: the call does not name it."""
    proof = linked.prove_order("grant-c1", "call", verifier)
    other = linked.prove_order("grant-c1", "grant-c2", verifier).later

    def swap(document: dict[str, Any]) -> None:
        document["earlier"] = json.loads(msgspec.json.encode(other))

    with pytest.raises(ProofError, match="do not name event grant-c2"):
        verify_order(tampered(proof, swap), verifier)


def test_a_changed_link_in_the_later_body_is_rejected(
    linked: Ledger, verifier: NoteVerifier
) -> None:
    """Editing the leaf the call names breaks the call's inclusion in the signed head."""
    proof = linked.prove_order("grant-c1", "call", verifier)

    def relink(document: dict[str, Any]) -> None:
        body = json.loads(base64.b64decode(document["later"]["body"]))
        body["orderedafterleaf"] = flip(body["orderedafterleaf"])
        document["later"]["body"] = base64.b64encode(
            json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        ).decode()

    with pytest.raises(ProofError, match="not included"):
        verify_order(tampered(proof, relink), verifier)


def test_a_pair_without_a_link_cannot_claim_the_hash_link_method(
    ledger: Ledger, verifier: NoteVerifier
) -> None:
    """Relabelling a same-partition proof as hash-link fails: t1's bytes name nothing."""
    proof = ledger.prove_order("t0", "t1", verifier)

    def relabel(document: dict[str, Any]) -> None:
        document["method"] = "hash-link"

    with pytest.raises(ProofError, match="do not name"):
        verify_order(tampered(proof, relabel), verifier)


def test_a_hash_link_proof_with_an_older_head_is_malformed(
    linked: Ledger, verifier: NoteVerifier
) -> None:
    """The format says "before": null for hash-link; anything else is refused."""
    proof = linked.prove_order("grant-c1", "call", verifier)

    def add_before(document: dict[str, Any]) -> None:
        document["before"] = {
            "head": document["head"],
            "tree_size": 1,
            "audit_path": [],
            "consistency": [],
        }

    with pytest.raises(ProofError, match="null"):
        verify_order(tampered(proof, add_before), verifier)


def test_an_evidence_bundle_proves_the_approval_came_before_the_call(
    linked: Ledger, verifier: NoteVerifier
) -> None:
    """The task's bundle carries both events; the call's bytes name the grant's leaf, so the
    bundle alone, checked offline, proves the pair ordered."""
    bundle = read_bundle(linked.evidence(SUBJECT, verifier).dumps())

    result = verify_bundle(bundle, verifier)

    assert result.ok, result.findings
    assert result.ordered == (("grant-c1", "call"),)


def test_a_bundle_whose_link_names_another_leaf_is_a_finding(
    linked: Ledger, verifier: NoteVerifier
) -> None:
    """A call whose bytes were changed to name another leaf for its grant: the link no longer
    holds (besides the call's inclusion failing)."""
    bundle = linked.evidence(SUBJECT, verifier)

    def relinked(event: BundleEvent) -> BundleEvent:
        body = json.loads(event.body)
        if body["id"] != "call":
            return event
        body["orderedafterleaf"] = base64.b64encode(bytes(32)).decode()
        return msgspec.structs.replace(event, body=json.dumps(body).encode())

    forged = msgspec.structs.replace(bundle, events=tuple(map(relinked, bundle.events)))

    result = verify_bundle(forged, verifier)

    assert BundleFindingKind.BROKEN_ORDER in {finding.kind for finding in result.findings}
    assert result.ordered == ()
