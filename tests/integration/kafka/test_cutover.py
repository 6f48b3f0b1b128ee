"""A cutover keeps the proofs: every family notarized on Kafka, leaves kept apart from records,
heads signed before a SQLite -> Kafka cutover provably extended by heads signed after it."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import fleetledger
from fleetledger import Ledger
from fleetledger.demo import simulate
from fleetledger.integrity import NoteSigner, leaf_hash, read_bundle, verify_bundle
from fleetledger.mirror import mirror
from fleetledger.topics import BUILTIN_POLICIES


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner.generate("cutover.example.com")


@pytest.fixture
def namespace() -> str:
    return f"c{uuid.uuid4().hex[:10]}"


@pytest.fixture
def sqlite_url(tmp_path: Path, namespace: str) -> str:
    """A SQLite ledger of a simulated fleet, signed as it was written."""
    return f"sqlite:///{tmp_path / 'fleet.db'}?namespace={namespace}"


@pytest.fixture
def kafka(bootstrap: str, namespace: str, signer: NoteSigner) -> Iterator[Ledger]:
    """The Kafka ledger of the same namespace."""
    with fleetledger.open(
        f"kafka://{bootstrap}?namespace={namespace}&timeout=10", signer=signer, default_source="t"
    ) as ledger:
        yield ledger


@pytest.fixture
def cut_over(sqlite_url: str, kafka: Ledger, signer: NoteSigner) -> tuple[str, Ledger]:
    """A signed SQLite fleet mirrored to Kafka, where the notary then signed one round."""
    with fleetledger.open(sqlite_url, signer=signer) as source:
        simulate(source, tasks=3, seed=11)
    with fleetledger.open(sqlite_url, readonly=True) as source:
        assert mirror(source, kafka).ok
    kafka.notary(signer).run_once()
    return sqlite_url, kafka


def test_the_notary_signs_every_family(kafka: Ledger, signer: NoteSigner) -> None:
    """Expiring and compacted families are notarized too: a head covers all six."""
    for family in BUILTIN_POLICIES:
        kafka.append_many([_event(family)])
    kafka.notary(signer).run_once()
    (head,) = kafka.heads()
    lines = _head_topics(kafka)
    assert {kafka.topic(family) for family in BUILTIN_POLICIES} == lines
    assert head.size == len(BUILTIN_POLICIES)


def test_signed_leaves_are_kept_apart_from_the_records(kafka: Ledger, signer: NoteSigner) -> None:
    """After a round, each partition's leaves come from the notary's leaves topic and are the
    leaf hashes of its records, in offset order."""
    for n in range(5):
        kafka.append("task.requested", subject="t-1", data={"goal": f"g{n}"})
    kafka.notary(signer).run_once()
    topic = kafka.topic("task")
    partition = kafka.append("task.started", subject="t-1").partition
    records = kafka.log.read(topic, partition, 0, 100)
    leaves = kafka.log.leaves(topic, partition, 0, 100)
    assert [leaf.hash for leaf in leaves] == [leaf_hash(r.body) for r in records]
    assert [leaf.offset for leaf in leaves] == [r.offset for r in records]
    assert kafka.log.leaf_index(topic, partition, records[2].offset) == 2


def test_heads_keep_their_numbers_across_a_cutover(cut_over: tuple[str, Ledger]) -> None:
    """Head #n of the SQLite ledger is head #n of the Kafka copy; the notary's come after."""
    url, kafka = cut_over
    with fleetledger.open(url, readonly=True) as source:
        before = source.heads()
    after = kafka.heads()
    assert after[: len(before)] == before
    assert len(after) == len(before) + 1


def test_a_head_signed_before_a_cutover_is_extended_by_the_notarys_head(
    cut_over: tuple[str, Ledger], signer: NoteSigner
) -> None:
    """prove --consistency OLD latest holds on Kafka for every head SQLite signed."""
    url, kafka = cut_over
    with fleetledger.open(url, readonly=True) as source:
        numbers = [head.number for head in source.heads()]
    for number in numbers:
        proof = kafka.prove_consistency(number, "latest", signer.verifier)
        assert proof.new_number == numbers[-1] + 1


def test_a_bundle_collected_before_a_cutover_verifies_and_is_extended_after_it(
    sqlite_url: str, kafka: Ledger, signer: NoteSigner, tmp_path: Path
) -> None:
    """An auditor's bundle from the SQLite ledger: still valid, and the head it holds is
    extended by the head the Kafka notary signed after the cutover."""
    with fleetledger.open(sqlite_url, signer=signer) as source:
        report = simulate(source, tasks=2, seed=5)
    with fleetledger.open(sqlite_url, readonly=True) as source:
        bundle = source.evidence(report.sample_task, signer.verifier)
        assert mirror(source, kafka).ok
    saved = tmp_path / "bundle.json"
    saved.write_bytes(bundle.dumps())
    kafka.notary(signer).run_once()

    assert verify_bundle(read_bundle(saved.read_bytes()), signer.verifier).ok
    proof = kafka.prove_consistency(bundle.head.encode(), "latest", signer.verifier)
    assert proof.partitions


def test_a_task_is_proved_on_kafka_against_the_notarys_head_after_a_cutover(
    cut_over: tuple[str, Ledger], signer: NoteSigner
) -> None:
    """Every event of every family proves on the Kafka copy (no family is left unsigned)."""
    url, kafka = cut_over
    with fleetledger.open(url, readonly=True) as source:
        tasks = {e.subject for p in range(4) for e in source.read("context", p)}
    task = sorted(tasks)[0]
    bundle = kafka.evidence(task, signer.verifier)
    assert {event.topic for event in bundle.events} >= {kafka.topic("context")}
    assert not bundle.excluded
    assert verify_bundle(bundle, signer.verifier).ok


def _event(family: str) -> dict[str, object]:
    """One event of ``family``, of task t-1."""
    types: dict[str, tuple[str, object]] = {
        "task": ("task.started", None),
        "context": ("context.retrieved", {"query": "q"}),
        "tool": ("tool.call.requested", {"call_id": "c", "tool": "t"}),
        "governance": ("governance.escalated", {"reason": "r", "escalated_to": "h"}),
        "evaluation": ("evaluation.scored", {"metric": "m", "score": 1.0, "evaluator": "e"}),
        "state": ("state.summary", {"status": "running", "last_event_type": "task.started"}),
    }
    type_, data = types[family]
    return {"type": type_, "subject": "t-1", "data": data}


def _head_topics(ledger: Ledger) -> set[str]:
    """The topics the newest head has a line for."""
    rows = [row for row in ledger.log.checkpoints(ledger.namespace) if row.kind == "head"]
    text = rows[-1].note.decode().split("\n\n")[0]
    return {line.split(" ")[0].rpartition("/")[0] for line in text.splitlines()[1:]}


def test_a_cutover_after_retention_keeps_the_proofs(
    sqlite_url: str, kafka: Ledger, signer: NoteSigner
) -> None:
    """Context events expired on SQLite before the cutover: their leaves travel as hashes, so
    the Kafka copy's trees are the source's, its notary's head extends every head the source
    signed, and verify on Kafka counts them expired."""
    with fleetledger.open(sqlite_url, signer=signer, default_source="t") as source:
        for n in range(5):
            source.append("context.retrieved", subject=f"t-{n}", data={"query": "q"})
        source.sign()
        assert source.maintain(datetime.now(UTC) + timedelta(days=8)) == 5
        source.append("context.retrieved", subject="t-9", data={"query": "late"})
    with fleetledger.open(sqlite_url, readonly=True) as source:
        assert mirror(source, kafka).ok
        numbers = [head.number for head in source.heads()]
    kafka.notary(signer).run_once()
    kafka.append("context.retrieved", subject="t-10", data={"query": "after"})
    kafka.notary(signer).run_once()

    for number in numbers:
        assert kafka.prove_consistency(number, "latest", signer.verifier).partitions
    result = kafka.verify(signer.verifier)
    assert result.ok, result.findings
    # 2 appended after the retention run, and the run's own record (governance.admin.performed)
    assert (result.expired, result.events) == (5, 3)
