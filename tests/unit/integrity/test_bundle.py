"""Evidence bundles checked offline: a good bundle verifies, every kind of tampering is found."""

import base64
import json

import msgspec
import pytest

from fleetledger.integrity import (
    BundleEvent,
    BundleFindingKind,
    BundleVerification,
    EvidenceBundle,
    ExcludedEvent,
    MalformedBundle,
    ManifestEntry,
    NoteSigner,
    PartitionHead,
    inclusion_proof,
    leaf_hash,
    read_bundle,
    sign_checkpoint,
    sign_ledger_head,
    subtrees_of,
    tree_root,
    verify_bundle,
)

Kind = BundleFindingKind
TASK = "task-1"
OTHER = "task-2"
# Two partitions of the ledger "fleet": who each leaf belongs to, in leaf order.
PARTITIONS = {
    ("fleet.task", 0): [TASK, OTHER, TASK, OTHER, TASK],
    ("fleet.tool", 1): [OTHER, TASK, OTHER],
}


def body(topic: str, partition: int, index: int, subject: str) -> bytes:
    """A stored event: canonical JSON with a unique id and the given subject."""
    event = {"id": f"{topic}-{partition}-{index}", "subject": subject, "type": "task.requested"}
    return json.dumps(event, sort_keys=True, separators=(",", ":")).encode()


def bodies(topic: str, partition: int) -> list[bytes]:
    """Every stored event of one partition, in leaf order."""
    subjects = PARTITIONS[(topic, partition)]
    return [body(topic, partition, i, s) for i, s in enumerate(subjects)]


def prove(topic: str, partition: int, index: int) -> BundleEvent:
    """Leaf ``index`` of a partition with its audit path in the partition's whole tree."""
    hashes = [leaf_hash(b) for b in bodies(topic, partition)]
    path = inclusion_proof(subtrees_of(hashes), index=index, size=len(hashes))
    return BundleEvent(
        topic=topic,
        partition=partition,
        offset=index,
        leaf_index=index,
        tree_size=len(hashes),
        body=bodies(topic, partition)[index],
        audit_path=tuple(path),
    )


def heads() -> list[PartitionHead]:
    """The tree head of every partition."""
    return [
        PartitionHead(topic, partition, len(subjects), tree_root(hashes_of(topic, partition)))
        for (topic, partition), subjects in PARTITIONS.items()
    ]


def hashes_of(topic: str, partition: int) -> list[bytes]:
    """The leaf hashes of one partition."""
    return [leaf_hash(b) for b in bodies(topic, partition)]


def collect(notary: NoteSigner, *, namespace: str = "fleet") -> EvidenceBundle:
    """What a collector hands out for TASK: its events, the manifest, the head, checkpoints."""
    events = [
        prove(topic, partition, index)
        for (topic, partition), subjects in PARTITIONS.items()
        for index, subject in enumerate(subjects)
        if subject == TASK
    ]
    checkpoints = [
        sign_checkpoint(f"fleet/{h.topic}/{h.partition}", h.size, h.root, notary).decode()
        for h in heads()
    ]
    return EvidenceBundle(
        namespace="fleet",
        task=TASK,
        head=sign_ledger_head(namespace, heads(), notary).decode(),
        key=notary.verifier.vkey,
        checkpoints=tuple(checkpoints),
        manifest=manifest(events),
        events=tuple(events),
    )


def manifest(events: list[BundleEvent]) -> tuple[ManifestEntry, ...]:
    """The manifest listing exactly ``events``."""
    partitions = sorted({(e.topic, e.partition) for e in events})
    return tuple(
        ManifestEntry(
            topic=topic,
            partition=partition,
            leaves=tuple(
                e.leaf_index for e in events if (e.topic, e.partition) == (topic, partition)
            ),
        )
        for topic, partition in partitions
    )


def kinds(result: BundleVerification, event: int | None = None) -> set[Kind]:
    """The kinds of finding, of one event when ``event`` is given."""
    return {f.kind for f in result.findings if event is None or f.event == event}


def with_event(bundle: EvidenceBundle, number: int, **changes: object) -> EvidenceBundle:
    """``bundle`` with event ``number`` changed, the manifest left as it was."""
    events = list(bundle.events)
    events[number] = msgspec.structs.replace(events[number], **changes)
    return msgspec.structs.replace(bundle, events=tuple(events))


@pytest.fixture(scope="module")
def notary() -> NoteSigner:
    """The ledger's signer."""
    return NoteSigner.generate("ledger.example.com/fleet")


@pytest.fixture(scope="module")
def bundle(notary: NoteSigner) -> EvidenceBundle:
    """A good bundle of TASK: four events in two partitions."""
    return collect(notary)


def test_a_good_bundle_verifies_with_the_key_the_auditor_trusts(
    bundle: EvidenceBundle, notary: NoteSigner
) -> None:
    """Every check holds, and because the key was given, the signer is proved."""
    result = verify_bundle(bundle, notary.verifier)

    assert result.findings == ()
    assert (result.events, result.partitions, result.checkpoints) == (4, 2, 2)
    assert result.key_source == "given"
    assert result.signer_proved


def test_without_a_key_the_bundles_own_key_proves_integrity_not_the_signer(
    bundle: EvidenceBundle,
) -> None:
    """The bundle's key checks it, and the result says the signer is not proved."""
    result = verify_bundle(bundle)

    assert result.ok
    assert result.key_source == "bundle"
    assert not result.signer_proved


def test_a_bundle_with_no_key_at_all_is_a_finding(bundle: EvidenceBundle) -> None:
    """With no key given and none in the bundle nothing can check the head's signature."""
    result = verify_bundle(msgspec.structs.replace(bundle, key=None))

    assert kinds(result) == {Kind.NO_KEY}


def test_a_flipped_body_byte_is_a_finding(bundle: EvidenceBundle, notary: NoteSigner) -> None:
    """An event whose bytes changed no longer leads to the head's root."""
    changed = bundle.events[1].body.replace(b"task.requested", b"task.requestes")

    result = verify_bundle(with_event(bundle, 1, body=changed), notary.verifier)

    assert kinds(result) == {Kind.NOT_INCLUDED}
    assert kinds(result, 1) == {Kind.NOT_INCLUDED}


def test_a_wrong_audit_path_hash_is_a_finding(bundle: EvidenceBundle, notary: NoteSigner) -> None:
    """A changed hash in an audit path leads elsewhere than the head's root."""
    path = (bytes(32), *bundle.events[0].audit_path[1:])

    result = verify_bundle(with_event(bundle, 0, audit_path=path), notary.verifier)

    assert kinds(result, 0) == {Kind.NOT_INCLUDED}


def test_a_wrong_leaf_index_is_a_finding(bundle: EvidenceBundle, notary: NoteSigner) -> None:
    """An event moved to another leaf index does not verify there."""
    result = verify_bundle(with_event(bundle, 0, leaf_index=1), notary.verifier)

    assert Kind.NOT_INCLUDED in kinds(result, 0)


def test_a_tree_size_other_than_the_heads_is_a_finding(
    bundle: EvidenceBundle, notary: NoteSigner
) -> None:
    """Each proof is against the head's size for its partition, not a size of its own."""
    result = verify_bundle(with_event(bundle, 2, tree_size=2), notary.verifier)

    assert kinds(result, 2) == {Kind.NOT_INCLUDED}


def test_a_bundle_signed_with_another_key_is_a_finding(
    bundle: EvidenceBundle, notary: NoteSigner
) -> None:
    """A forger's bundle carries the forger's key: the auditor's key finds both."""
    forger = NoteSigner.generate("ledger.example.com/fleet")

    result = verify_bundle(collect(forger), notary.verifier)

    assert kinds(result) == {Kind.OTHER_KEY, Kind.BAD_SIGNATURE}


def test_a_given_key_other_than_the_bundles_is_a_finding(
    bundle: EvidenceBundle, notary: NoteSigner
) -> None:
    """Even when the head verifies, a bundle naming another key than the auditor's is reported."""
    other = NoteSigner.generate("someone-else").verifier.vkey

    result = verify_bundle(msgspec.structs.replace(bundle, key=other), notary.verifier)

    assert kinds(result) == {Kind.OTHER_KEY}


def test_a_head_of_another_namespace_is_a_finding(notary: NoteSigner) -> None:
    """A validly signed head of another ledger proves nothing about this one."""
    result = verify_bundle(collect(notary, namespace="staging"), notary.verifier)

    assert kinds(result) == {Kind.WRONG_NAMESPACE}


def test_a_changed_head_is_a_bad_signature(bundle: EvidenceBundle, notary: NoteSigner) -> None:
    """Editing the head's text (here, a tree size) breaks its signature."""
    head = bundle.head.replace("fleet.task/0 5 ", "fleet.task/0 6 ")

    result = verify_bundle(msgspec.structs.replace(bundle, head=head), notary.verifier)

    assert Kind.BAD_SIGNATURE in kinds(result)


def test_a_missing_event_is_a_finding(bundle: EvidenceBundle, notary: NoteSigner) -> None:
    """An event dropped from the events but still in the manifest is missing."""
    result = verify_bundle(
        msgspec.structs.replace(bundle, events=bundle.events[1:]), notary.verifier
    )

    assert kinds(result) == {Kind.MISSING}
    assert "fleet.task/0 leaf 0" in result.findings[0].detail


def test_an_event_the_manifest_does_not_list_is_a_finding(
    bundle: EvidenceBundle, notary: NoteSigner
) -> None:
    """An event added without its manifest line is unlisted."""
    smaller = manifest(list(bundle.events[1:]))

    result = verify_bundle(msgspec.structs.replace(bundle, manifest=smaller), notary.verifier)

    assert kinds(result) == {Kind.UNLISTED}
    assert kinds(result, 0) == {Kind.UNLISTED}


def test_a_duplicated_event_is_a_finding(bundle: EvidenceBundle, notary: NoteSigner) -> None:
    """The same event twice counts once, and the second copy is reported."""
    doubled = (*bundle.events, bundle.events[0])

    result = verify_bundle(msgspec.structs.replace(bundle, events=doubled), notary.verifier)

    assert kinds(result) == {Kind.DUPLICATE}
    assert kinds(result, 4) == {Kind.DUPLICATE}


def test_an_event_of_another_task_is_a_finding(bundle: EvidenceBundle, notary: NoteSigner) -> None:
    """A validly proved event of another subject does not belong in this task's bundle."""
    events = [*bundle.events, prove("fleet.task", 0, 1)]
    foreign = msgspec.structs.replace(bundle, events=tuple(events), manifest=manifest(events))

    result = verify_bundle(foreign, notary.verifier)

    assert kinds(result) == {Kind.FOREIGN_SUBJECT}
    assert OTHER in result.findings[0].detail


def test_a_checkpoint_that_disagrees_with_the_head_is_a_finding(
    bundle: EvidenceBundle, notary: NoteSigner
) -> None:
    """A checkpoint of a partition at another size than the head's is reported."""
    stale = sign_checkpoint("fleet/fleet.task/0", 1, leaf_hash(bodies("fleet.task", 0)[0]), notary)
    changed = msgspec.structs.replace(bundle, checkpoints=(stale.decode(),))

    result = verify_bundle(changed, notary.verifier)

    assert kinds(result) == {Kind.CHECKPOINT_MISMATCH}


def test_an_empty_bundle_is_a_finding(bundle: EvidenceBundle, notary: NoteSigner) -> None:
    """A bundle emptied of events and manifest proves nothing, and says so."""
    empty = msgspec.structs.replace(bundle, events=(), manifest=())

    result = verify_bundle(empty, notary.verifier)

    assert kinds(result) == {Kind.MISSING}


def test_a_bundle_reads_back_from_its_file_bytes(bundle: EvidenceBundle) -> None:
    """dumps() then read_bundle() gives the same bundle."""
    assert read_bundle(bundle.dumps()) == bundle


def test_the_file_uses_the_documented_field_names_and_base64(bundle: EvidenceBundle) -> None:
    """Top-level and event fields are the documented ones; bodies are standard base64."""
    document = json.loads(bundle.dumps())

    assert list(document) == [
        "format",
        "version",
        "namespace",
        "task",
        "head",
        "key",
        "checkpoints",
        "manifest",
        "events",
        "excluded",
    ]
    assert (document["format"], document["version"]) == ("fleetledger-evidence", 1)
    event = document["events"][0]
    assert set(event) == {
        "topic",
        "partition",
        "offset",
        "leaf_index",
        "tree_size",
        "body",
        "audit_path",
    }
    assert base64.b64decode(event["body"], validate=True) == bundle.events[0].body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not an evidence bundle"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"format": "something-else", "version": 1}', 'no "format"'),
        (b'{"format": "fleetledger-evidence", "version": 2}', "version 2"),
        (b'{"format": "fleetledger-evidence", "version": 1}', "missing required field"),
    ],
)
def test_a_file_that_is_not_a_bundle_is_a_clear_error(data: bytes, message: str) -> None:
    """Malformed input raises MalformedBundle saying what is wrong, not a finding."""
    with pytest.raises(MalformedBundle, match=message):
        read_bundle(data)


def test_a_body_that_is_not_base64_is_malformed(bundle: EvidenceBundle) -> None:
    """The error names where in the document the bad value sits."""
    document = json.loads(bundle.dumps())
    document["events"][0]["body"] = "not base64!"

    with pytest.raises(MalformedBundle, match=r"events\[0\]\.body"):
        read_bundle(json.dumps(document))


def test_excluded_events_are_counted_and_do_not_fail_the_bundle(
    bundle: EvidenceBundle, notary: NoteSigner
) -> None:
    """Events no head can cover are named in the bundle, reported, and not proved."""
    named = ExcludedEvent(id="e-9", topic="fleet.state", partition=0, offset=4, reason="compacted")
    result = verify_bundle(msgspec.structs.replace(bundle, excluded=(named,)), notary.verifier)
    assert result.ok
    assert result.excluded == 1


def test_a_bundle_without_the_excluded_field_reads_as_excluding_nothing(
    bundle: EvidenceBundle,
) -> None:
    document = json.loads(bundle.dumps())
    del document["excluded"]
    assert read_bundle(json.dumps(document)).excluded == ()


# -- inputs that used to escape the error tree or be miscounted (fuzzing) -----------------------


def test_invalid_utf8_in_a_file_is_malformed() -> None:
    """Bytes that are not UTF-8 raise MalformedBundle, not UnicodeDecodeError."""
    with pytest.raises(MalformedBundle, match="UTF-8"):
        read_bundle(b'{"format":"\xff"}')


def test_invalid_utf8_in_a_later_field_is_malformed(bundle: EvidenceBundle) -> None:
    """A field read only after the format and version are checked is refused the same way."""
    data = bundle.dumps().replace(b'"task": "task-1"', b'"task": "task-\xff"')
    with pytest.raises(MalformedBundle, match="UTF-8"):
        read_bundle(data)


def test_text_with_a_lone_surrogate_is_malformed() -> None:
    """A str holding a lone surrogate raises MalformedBundle, not UnicodeEncodeError."""
    with pytest.raises(MalformedBundle, match="Unicode"):
        read_bundle('{"format":"\udcff"}')


def test_json_nested_too_deeply_is_malformed() -> None:
    """Nesting past what the parser can recurse into raises MalformedBundle."""
    with pytest.raises(MalformedBundle, match="nested too deeply"):
        read_bundle(b'{"format":' + b"[" * 100_000 + b"]" * 100_000 + b"}")


def test_a_file_that_is_neither_bytes_nor_text_is_malformed() -> None:
    """None is refused with MalformedBundle rather than a TypeError from the parser."""
    with pytest.raises(MalformedBundle, match="bytes or str"):
        read_bundle(None)  # type: ignore[arg-type]


def test_a_non_ascii_character_in_the_heads_signature_is_a_finding(
    bundle: EvidenceBundle, notary: NoteSigner
) -> None:
    """A head whose signature base64 holds 'é' is a bad signature, not an uncaught error."""
    text, _, signature = bundle.head.rpartition(" ")
    head = f"{text} é{signature[1:]}"
    result = verify_bundle(msgspec.structs.replace(bundle, head=head), notary.verifier)
    assert Kind.BAD_SIGNATURE in kinds(result)


def test_a_body_nested_too_deeply_to_parse_is_a_malformed_event(
    bundle: EvidenceBundle, notary: NoteSigner
) -> None:
    """A body of a thousand '[' is malformed-event, not a RecursionError."""
    result = verify_bundle(with_event(bundle, 0, body=b"[" * 1000), notary.verifier)
    assert Kind.MALFORMED_EVENT in kinds(result, 0)


def test_a_body_with_invalid_utf8_is_a_malformed_event(
    bundle: EvidenceBundle, notary: NoteSigner
) -> None:
    """Invalid UTF-8 anywhere in a body, even in a field not checked, is malformed-event."""
    event = bundle.events[0].body.replace(b'"type":"', b'"type":"\xff')
    result = verify_bundle(with_event(bundle, 0, body=event), notary.verifier)
    assert Kind.MALFORMED_EVENT in kinds(result, 0)


def test_a_checkpoint_partition_of_thousands_of_digits_is_a_mismatch(
    bundle: EvidenceBundle, notary: NoteSigner
) -> None:
    """A keyless bundle's checkpoint naming partition 111...1 (4301 digits) is of no partition."""
    origin = "fleet/fleet.task/" + "1" * 4301
    note = sign_checkpoint(origin, 0, tree_root([]), notary).decode()
    result = verify_bundle(msgspec.structs.replace(bundle, key=None, checkpoints=(note,)))
    assert Kind.CHECKPOINT_MISMATCH in kinds(result)


@pytest.mark.parametrize("partition", ["\u0660", "00"], ids=["arabic-indic-zero", "leading-zero"])
def test_a_checkpoint_spelling_its_partition_otherwise_is_of_no_partition(
    bundle: EvidenceBundle, notary: NoteSigner, partition: str
) -> None:
    """Only the one decimal spelling names partition 0; int() read these as 0 too."""
    line = heads()[0]
    note = sign_checkpoint(f"fleet/fleet.task/{partition}", line.size, line.root, notary)
    changed = msgspec.structs.replace(bundle, checkpoints=(note.decode(),))
    assert Kind.CHECKPOINT_MISMATCH in kinds(verify_bundle(changed, notary.verifier))


def test_a_head_with_a_lone_surrogate_is_a_finding(
    bundle: EvidenceBundle, notary: NoteSigner
) -> None:
    """A bundle built in Python with a head UTF-8 cannot encode is a bad signature."""
    changed = msgspec.structs.replace(bundle, head=bundle.head.replace("fleet", "fl\ud800eet", 1))
    assert Kind.BAD_SIGNATURE in kinds(verify_bundle(changed, notary.verifier))


def test_a_checkpoint_with_a_lone_surrogate_is_a_finding(
    bundle: EvidenceBundle, notary: NoteSigner
) -> None:
    """A checkpoint UTF-8 cannot encode is a bad signature, not a UnicodeEncodeError."""
    changed = msgspec.structs.replace(bundle, checkpoints=("fl\udc80eet\n",))
    assert Kind.BAD_SIGNATURE in kinds(verify_bundle(changed, notary.verifier))
