"""The notary on Kafka: signed checkpoints in ``_checkpoints``, resumed, verified and proved."""

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fleetledger
from fleetledger import Ledger
from fleetledger.audit.notary import Notary
from fleetledger.audit.verify import FindingKind
from fleetledger.backends.protocols import NewCheckpoint, NotarizedLog, NotaryMark
from fleetledger.cli.app import app
from fleetledger.errors import IntegrityError
from fleetledger.integrity import Frontier, NoteSigner, open_checkpoint, sign_checkpoint
from fleetledger.mirror import mirror


@pytest.fixture
def url(bootstrap: str) -> str:
    """A kafka:// URL with a namespace of its own on the shared broker."""
    return f"kafka://{bootstrap}?namespace=n{uuid.uuid4().hex[:10]}&timeout=10"


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner.generate("notary.example.com")


@pytest.fixture
def ledger(url: str, signer: NoteSigner) -> Iterator[Ledger]:
    with fleetledger.open(url, default_source="tests", signer=signer) as opened:
        yield opened


def fill(ledger: Ledger, tasks: int, *, start: int = 0) -> list[str]:
    """Requests and decompositions for ``tasks`` tasks, half of them appended as one batch."""
    ids = [str(uuid.uuid4()) for _ in range(2 * tasks)]
    for n, event_id in zip(range(start, start + tasks), ids, strict=False):
        ledger.append("task.requested", subject=f"task-{n}", data={"goal": "g"}, id=event_id)
    batch = [
        {
            "type": "task.decomposed",
            "id": event_id,
            "subject": f"task-{n}",
            "data": {"subtasks": ["a", "b"]},
        }
        for n, event_id in zip(range(start, start + tasks), ids[tasks:], strict=True)
    ]
    ledger.append_many(batch)
    return ids


def stored(ledger: Ledger) -> NotarizedLog:
    """The ledger's backend, as the notarized log it is on Kafka."""
    assert isinstance(ledger.log, NotarizedLog)
    return ledger.log


def notary(ledger: Ledger, signer: NoteSigner, every: int = 1000) -> Notary:
    return Notary(ledger.log, ledger.namespace, signer, every=every)


def test_a_notary_round_signs_a_checkpoint_per_grown_partition_and_one_head(
    ledger: Ledger, signer: NoteSigner
) -> None:
    """Every task-family partition that holds events gets a checkpoint whose root verifies."""
    fill(ledger, 6)
    done = notary(ledger, signer).run_once()
    rows = stored(ledger).checkpoints(ledger.namespace)
    partitions = [row for row in rows if row.kind == "partition"]
    assert done.events == 12
    assert (done.checkpoints, done.heads) == (len(partitions), 1)
    assert [row.kind for row in rows][-1] == "head"
    assert sum(row.size for row in partitions) == 12
    for row in partitions:
        origin = f"{ledger.namespace}/{row.topic}/{row.partition}"
        assert open_checkpoint(row.note, signer.verifier, origin=origin).size == row.size


def test_a_notarized_kafka_ledger_verifies_with_the_notary_key(
    ledger: Ledger, signer: NoteSigner
) -> None:
    fill(ledger, 5)
    notary(ledger, signer, every=3).run_once()
    result = ledger.verify(signer.verifier, deep=True)
    assert result.ok, result.findings
    assert result.signatures_checked
    assert result.checkpoints > 2


def test_a_restarted_notary_resumes_after_its_last_checkpoint(
    ledger: Ledger, signer: NoteSigner
) -> None:
    """A second notary reads only what came after the first one's checkpoints."""
    fill(ledger, 4)
    assert notary(ledger, signer).run_once().events == 8
    fill(ledger, 3, start=4)
    again = notary(ledger, signer).run_once()
    assert again.events == 6
    assert ledger.verify(signer.verifier).ok


def test_a_notary_refuses_to_resume_from_checkpoints_of_another_key(
    ledger: Ledger, signer: NoteSigner
) -> None:
    fill(ledger, 2)
    notary(ledger, signer).run_once()
    stranger = NoteSigner.generate("notary.example.com")
    with pytest.raises(IntegrityError, match="does not verify with this key"):
        notary(ledger, stranger).run_once()


def test_an_event_is_proved_against_the_notary_head(ledger: Ledger, signer: NoteSigner) -> None:
    """Kafka offsets skip transaction markers; the proof names the event's leaf index."""
    ids = fill(ledger, 4)
    notary(ledger, signer).run_once()
    for event_id in (ids[0], ids[-1]):
        proof = ledger.prove(event_id, signer.verifier)
        event = ledger.get(event_id)
        family = event.position.topic.rpartition(".")[2]
        partition = [e.id for e in ledger.read(family, event.position.partition, 0, limit=1000)]
        assert (proof.topic, proof.partition) == (event.position.topic, event.position.partition)
        assert proof.index == partition.index(event_id)
        assert proof.size == len(partition)


def test_a_running_notary_signs_what_arrives_until_stopped(
    ledger: Ledger, signer: NoteSigner
) -> None:
    stop = threading.Event()
    running = notary(ledger, signer)
    totals = []
    thread = threading.Thread(target=lambda: totals.append(running.run(stop, poll=0.05)))
    thread.start()
    fill(ledger, 3)
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert totals[0].events == 6
    assert ledger.verify(signer.verifier).ok


def test_verify_finds_a_checkpoint_signed_over_other_records(
    ledger: Ledger, signer: NoteSigner
) -> None:
    """A forged checkpoint (a root the records do not hash to) is a root mismatch."""
    fill(ledger, 2)
    notary(ledger, signer).run_once()
    log = stored(ledger)
    row = next(r for r in log.checkpoints(ledger.namespace) if r.partition is not None)
    origin = f"{ledger.namespace}/{row.topic}/{row.partition}"
    forged = sign_checkpoint(origin, row.size, bytes(32), signer)
    log.store_checkpoints(
        ledger.namespace,
        [NewCheckpoint("partition", row.topic, row.partition, row.size, bytes(32), forged)],
    )
    result = ledger.verify(signer.verifier)
    assert FindingKind.ROOT_MISMATCH in {f.kind for f in result.findings}
    assert {(f.topic, f.partition) for f in result.findings} == {(row.topic, row.partition)}


def test_a_sqlite_copy_of_a_notarized_kafka_ledger_proves_against_the_notary_head(
    ledger: Ledger, signer: NoteSigner, tmp_path: Path
) -> None:
    """Kafka leaves and SQLite leaves are the same bytes in the same order: one head for both."""
    ids = fill(ledger, 4)
    notary(ledger, signer).run_once()
    with fleetledger.open(
        f"sqlite:///{tmp_path / 'copy.db'}?namespace={ledger.namespace}", signer=False
    ) as copy:
        report = mirror(ledger, copy, groups=False)
        assert report.ok
        assert report.notes > 1
        assert copy.verify(signer.verifier).ok
        assert copy.prove(ids[-1], signer.verifier).head == ledger.prove(ids[-1]).head


def test_the_notary_command_signs_once_and_says_what_it_signed(
    url: str, ledger: Ledger, signer: NoteSigner, tmp_path: Path
) -> None:
    key = tmp_path / "notary.key"
    key.write_text(signer.skey + "\n")
    fill(ledger, 3)
    result = CliRunner().invoke(
        app, ["notary", "--once", "--key", str(key), "--ledger", url, "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["events"], summary["heads"]) == (6, 1)
    assert summary["checkpoints"] >= 1
    assert ledger.verify(signer.verifier).ok


def test_the_notary_command_without_a_key_is_a_usage_error(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLEETLEDGER_KEY", raising=False)
    result = CliRunner().invoke(app, ["notary", "--once", "--ledger", url])
    assert result.exit_code == 2
    assert "--key" in result.output
    assert "Traceback" not in result.output


def test_verify_on_kafka_exits_0_with_the_notary_public_key(
    url: str, ledger: Ledger, signer: NoteSigner, tmp_path: Path
) -> None:
    pub = tmp_path / "notary.pub"
    pub.write_text(signer.verifier.vkey + "\n")
    fill(ledger, 3)
    notary(ledger, signer).run_once()
    result = CliRunner().invoke(app, ["verify", "--key", str(pub), "--ledger", url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"]
    assert report["signatures_checked"]
    assert report["events"] == 6


def test_a_mark_that_contradicts_its_checkpoint_is_not_resumed_from(
    ledger: Ledger, signer: NoteSigner
) -> None:
    """A record whose frontier is not the root it was stored with is read, never trusted."""
    fill(ledger, 2)
    notary(ledger, signer).run_once()
    log = stored(ledger)
    namespace = ledger.namespace
    before = log.notary_marks(namespace)
    row = next(r for r in log.checkpoints(namespace) if r.partition is not None)
    assert row.root is not None
    bogus = NotaryMark(0, 10**6, Frontier())
    log.store_checkpoints(
        namespace,
        [NewCheckpoint("partition", row.topic, row.partition, row.size, row.root, row.note, bogus)],
    )
    assert log.notary_marks(namespace) == before
    assert ledger.verify(signer.verifier).ok
