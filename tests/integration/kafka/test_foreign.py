"""Foreign records never stop the ledger: a record another producer writes into a ledger topic
is shown, reported, hashed and mirrored, and never counted as an event."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer
from typer.testing import CliRunner

import fleetledger
from fleetledger import ForeignRecord, Ledger
from fleetledger.audit import FindingKind
from fleetledger.cli.app import app
from fleetledger.events import foreign
from fleetledger.integrity import NoteSigner
from fleetledger.ledger import write_key_pair, write_writer_key
from fleetledger.mirror import mirror

from .conftest import read_raw


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner.generate("foreign.example.com")


@pytest.fixture
def url(bootstrap: str) -> str:
    return f"kafka://{bootstrap}?namespace=f{uuid.uuid4().hex[:10]}&timeout=10"


@pytest.fixture
def ledger(url: str, signer: NoteSigner) -> Iterator[Ledger]:
    with fleetledger.open(url, default_source="agents/a", signer=signer) as opened:
        yield opened


def produce(bootstrap: str, topic: str, value: bytes | None, **options: object) -> None:
    """One record written by a plain producer that knows nothing of the ledger."""
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, value, partition=0, **options)  # type: ignore[arg-type]
    assert producer.flush(10) == 0


@pytest.fixture
def with_stranger(ledger: Ledger, bootstrap: str) -> Ledger:
    """A ledger whose task topic holds, between two events, one plain non-JSON record."""
    ledger.append("task.requested", subject="t-1", data={"goal": "g"})
    produce(bootstrap, ledger.topic("task"), b"not json at all", key=b"k")
    ledger.append("task.started", subject="t-1")
    return ledger


def test_replay_and_consumers_never_count_a_foreign_record(with_stranger: Ledger) -> None:
    """The task's replay and a consumer group see the two events only."""
    assert [e.type for e in with_stranger.replay("t-1")] == ["task.requested", "task.started"]
    with with_stranger.consumer("g", ["task"]) as consumer:
        assert len(consumer.poll(max=100, timeout=5)) == 2


def test_tail_shows_a_foreign_record_marked(with_stranger: Ledger) -> None:
    """tail(foreign=True) yields it as a ForeignRecord holding what the record held."""
    shown = list(with_stranger.tail(["task"], last=10, foreign=True))
    (stranger,) = [item for item in shown if isinstance(item, ForeignRecord)]
    assert stranger.fields == (b"k", [], b"not json at all")
    assert len(shown) == 3


def test_the_notary_signs_over_a_foreign_record(with_stranger: Ledger, signer: NoteSigner) -> None:
    """Notarizing does not stop: the foreign record is a leaf like any record."""
    done = with_stranger.notary(signer).run_once()
    assert done.events == 3
    result = with_stranger.verify(signer.verifier)
    assert [f.kind for f in result.findings] == [FindingKind.FOREIGN]
    assert result.foreign == 1


def test_verify_and_the_notary_command_exit_without_a_traceback(
    with_stranger: Ledger, url: str, tmp_path: Path
) -> None:
    """notary --once exits 0; verify exits 1 naming the foreign record, no traceback."""
    key, pub = write_key_pair("cli.example.com", tmp_path)
    runner = CliRunner()
    signed = runner.invoke(app, ["notary", "--once", "--key", str(key), "--ledger", url])
    checked = runner.invoke(app, ["verify", "--key", str(pub), "--ledger", url, "--json"])
    assert signed.exit_code == 0, signed.output
    assert checked.exit_code == 1
    findings = json.loads(checked.stdout.splitlines()[0])["findings"]
    assert [f["kind"] for f in findings] == ["foreign"]
    assert "Traceback" not in checked.output


def test_a_foreign_record_is_mirrored_verbatim(
    with_stranger: Ledger, signer: NoteSigner, tmp_path: Path
) -> None:
    """A SQLite copy of the Kafka ledger holds the foreign record as it was (its canonical
    encoding), so the copy's trees verify against the notary's heads."""
    with_stranger.notary(signer).run_once()
    copy = f"sqlite:///{tmp_path / 'copy.db'}?namespace={with_stranger.namespace}"
    with fleetledger.open(copy, signer=False) as sqlite:
        assert mirror(with_stranger, sqlite).ok
        result = sqlite.verify(signer.verifier)
        assert [f.kind for f in result.findings] == [FindingKind.FOREIGN]
        topic = sqlite.topic("task")
        stored = [r for p in range(4) for r in sqlite.log.read(topic, p, 0, 10)]
        assert sum(foreign.is_foreign(r.body) for r in stored) == 1


def test_a_structured_cloudevent_from_another_producer_is_decoded_for_display(
    ledger: Ledger, bootstrap: str
) -> None:
    """Structured mode, which the Kafka binding says a consumer SHOULD accept: shown as the
    CloudEvent it is, still foreign (no ledger writer produced it)."""
    event = {"specversion": "1.0", "id": "x1", "source": "s", "type": "task.started", "data": 1}
    produce(
        bootstrap,
        ledger.topic("task"),
        json.dumps(event).encode(),
        headers=[("content-type", b"application/cloudevents+json")],
    )
    (stranger,) = list(ledger.tail(["task"], foreign=True))
    assert isinstance(stranger, ForeignRecord)
    assert stranger.cloudevent() == event
    assert list(ledger.replay("x1")) == []


def test_a_genuine_record_copied_into_another_partition_is_foreign(
    ledger: Ledger, bootstrap: str
) -> None:
    """Copying a ledger writer's record elsewhere (headers, seal and all) does not make it an
    event there: the seal covers its topic and partition."""
    position = ledger.append("task.started", subject="t-1")
    (original,) = [
        m for m in read_raw(bootstrap, ledger.topic("task"), 4) if m.offset() == position.offset
    ]
    target = (position.partition + 1) % 4
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(
        ledger.topic("task"),
        original.value(),
        original.key(),
        partition=target,
        headers=original.headers(),
    )
    assert producer.flush(10) == 0
    shown = list(ledger.tail(["task"], foreign=True))
    assert sum(isinstance(item, ForeignRecord) for item in shown) == 1


def test_with_a_writer_key_an_unkeyed_seal_is_foreign(bootstrap: str, tmp_path: Path) -> None:
    """Writers that share a key refuse records sealed without it (the public unkeyed seal)."""
    namespace = f"w{uuid.uuid4().hex[:10]}"
    keyed_url = f"kafka://{bootstrap}?namespace={namespace}&timeout=10"
    writer_key = write_writer_key("fleet", tmp_path)
    with fleetledger.open(keyed_url, default_source="a", writer_key=writer_key) as keyed:
        keyed.append("task.started", subject="t-1", id="real")
        with fleetledger.open(keyed_url, default_source="a", writer_key=False) as outsider:
            outsider.append("task.started", subject="t-1", id="forged")
        assert [e.id for e in keyed.replay("t-1")] == ["real"]
