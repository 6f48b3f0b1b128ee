"""Kafka Connect reads a ledger's topics unchanged (issue 9).

A Kafka Connect worker made of Apache Kafka's own jars (``interop/connect_worker.py``) runs the
stock ``FileStreamSink`` over every topic of a ledger with stock converters and no fleetledger
code: what it writes is each event's data as stored. A second sink adds the single message
transform of ``interop/connect`` (``CloudEventsStructured``), which folds each record's ``ce_``
headers and value into one structured-mode CloudEvent per line; the CloudEvents SDK parses
every line, and fleetledger's canonical encoding of what it parsed gives back leaves that the
notary's signed head covers, proved with the notary's public key. The transform names
``dataversion`` as an Integer attribute: a header carries only text, and without that the
recomputed body differs (a third sink shows exactly where).

Connect needs a real Kafka (consumer groups, transactions, read_committed), so this runs on the
session's Apache Kafka only. A worker starts and drains the topics in two to three seconds.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.v1.http import from_json
from confluent_kafka import Producer

import fleetledger
from fleetledger import Event, Ledger
from fleetledger.backends.protocols import StoredRecord
from fleetledger.errors import ProofError
from fleetledger.events import canonical_json, format_time
from fleetledger.integrity import NoteSigner, leaf_hash, open_ledger_head, verify_inclusion
from interop.brokers import KafkaCluster
from interop.connect_worker import BYTES, FileSink, run_file_sinks
from tests.node_sdk import varied_events
from tests.toolchains import prepared

TRANSFORM = "dev.fleetledger.connect.CloudEventsStructured"
ABORTED = b'{"aborted":true}'


@dataclass(frozen=True)
class Sunk:
    """A notarized ledger, what it stored, and every line each sink wrote."""

    ledger: Ledger
    signer: NoteSigner
    stored: dict[str, StoredRecord]
    events: dict[str, Event]
    lines: dict[str, list[bytes]]


def abort_in_every_partition(bootstrap: str, ledger: Ledger) -> None:
    """One binary-mode CloudEvent in every partition of the ledger's topics (keyed: ``state``
    is compacted), in a transaction that is aborted: a read_committed reader never sees them."""
    producer = Producer(
        {"bootstrap.servers": bootstrap, "transactional.id": f"abort-{uuid.uuid4().hex}"}
    )
    producer.init_transactions(30)
    producer.begin_transaction()
    headers = [("ce_specversion", b"1.0"), ("ce_id", b"aborted"), ("ce_type", b"task.started")]
    headers += [("ce_source", b"tests"), ("content-type", b"application/json")]
    for info in ledger.topics():
        for partition in range(len(info.partitions)):
            producer.produce(info.topic, ABORTED, b"task-a", partition=partition, headers=headers)
    producer.flush(30)
    producer.abort_transaction(30)


def stored_records(ledger: Ledger) -> dict[str, StoredRecord]:
    """Every record the ledger stored in its topics, by event id."""
    found: dict[str, StoredRecord] = {}
    for info in ledger.topics():
        for partition in range(len(info.partitions)):
            for record in ledger.log.read(info.topic, partition, 0, 1000):
                found[record.id] = record
    return found


def structured_sink(name: str, topics: list[str], folder: Path, **settings: str) -> FileSink:
    """A FileStreamSink whose records pass through the transform, values read as bytes."""
    return FileSink(
        name,
        topics,
        folder / f"{name}.jsonl",
        {
            "value.converter": BYTES,
            "transforms": "structured",
            "transforms.structured.type": TRANSFORM,
            **{f"transforms.structured.{key}": value for key, value in settings.items()},
        },
    )


def fill(ledger: Ledger, bootstrap: str) -> None:
    """Events of every family with edge-case data, and an aborted transaction in every
    partition before most of them."""
    ledger.append("task.started", subject="task-a", agentid="worker-1")
    abort_in_every_partition(bootstrap, ledger)
    ledger.append_many(varied_events())
    ledger.append("task.completed", subject="task-a", data={"result": {"refunded": 12.5}})


@pytest.fixture(scope="module")
def sunk(apache_kafka: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sunk]:
    """A ledger of its own namespace (:func:`fill`), notarized once, drained by one worker into
    three files: the plain sink's (``plain``), the transform's with ``dataversion`` as an
    Integer (``typed``) and the transform's without (``text``)."""
    prepared("connect")
    signer = NoteSigner.generate("notary.example.com")
    url = f"{apache_kafka.url}?namespace=c{uuid.uuid4().hex[:10]}&timeout=10"
    with fleetledger.open(url, default_source="agents/planner", signer=signer) as ledger:
        fill(ledger, apache_kafka.address)
        ledger.notary(signer).run_once()
        stored = stored_records(ledger)
        events = {event_id: ledger.get(event_id) for event_id in stored}
        folder = tmp_path_factory.mktemp("connect")
        topics = [info.topic for info in ledger.topics()]
        name = ledger.namespace  # connector names are consumer groups of the shared broker
        sinks = {
            "plain": FileSink(f"plain-{name}", topics, folder / "plain.jsonl"),
            "typed": structured_sink(
                f"typed-{name}", topics, folder, **{"integer.attributes": "dataversion"}
            ),
            "text": structured_sink(f"text-{name}", topics, folder),
        }
        expected = [(sink, len(stored)) for sink in sinks.values()]
        lines = run_file_sinks(folder / "worker", apache_kafka.address, expected)
        yield Sunk(ledger, signer, stored, events, {k: lines[s.name] for k, s in sinks.items()})


class _Data(msgspec.Struct):
    data: msgspec.Raw


def stored_data(body: bytes) -> bytes:
    """The ``data`` member of a stored body, its bytes as they are."""
    return bytes(msgspec.json.decode(body, type=_Data).data)


def sdk_v1(line: bytes) -> tuple[dict[str, Any], Any]:
    """Attributes and data as the SDK's ``cloudevents.v1.http.from_json`` reads a line."""
    event = from_json(line)
    return {name: event[name] for name in event}, event.get_data()


def sdk_core(line: bytes) -> tuple[dict[str, Any], Any]:
    """Attributes and data as the SDK's core JSON format reads a line: it makes ``time`` an
    aware datetime, which the ledger writes back in its one time form."""
    event = JSONFormat().read(None, line)
    attributes = dict(event.get_attributes())
    attributes["time"] = format_time(attributes["time"])
    return attributes, event.get_data()


def recomputed(attributes: dict[str, Any], data: Any) -> bytes:
    """fleetledger's canonical bytes of a parsed event: what the ledger hashes into a leaf."""
    return canonical_json({**attributes, "data": data})


def test_a_stock_file_sink_writes_each_events_data_exactly_as_stored(sunk: Sunk) -> None:
    """FileStreamSink with StringConverter writes each record's value: the data member of the
    event's stored body, byte for byte, once per event."""
    expected = Counter(stored_data(record.body) for record in sunk.stored.values())
    assert Counter(sunk.lines["plain"]) == expected


def test_records_of_an_aborted_transaction_reach_no_sink(sunk: Sunk) -> None:
    """The worker's consumers read committed records only: the aborted transaction written into
    every partition before most of the ledger's events is in no file."""
    assert all(ABORTED not in line for lines in sunk.lines.values() for line in lines)


def test_every_line_the_transform_wrote_is_a_cloudevent_the_sdk_parses(sunk: Sunk) -> None:
    """One structured CloudEvent per line, the ledger's events each once."""
    parsed = [sdk_v1(line)[0] for line in sunk.lines["typed"]]
    assert sorted(attributes["id"] for attributes in parsed) == sorted(sunk.events)


def test_each_parsed_event_equals_the_ledgers_event_attribute_by_attribute(sunk: Sunk) -> None:
    """Every attribute with its JSON type (``dataversion`` a number, ``time`` every digit) and
    the data, as the ledger reads the event."""
    for line in sunk.lines["typed"]:
        attributes, data = sdk_v1(line)
        expected = sunk.events[attributes["id"]].to_dict()
        assert data == expected.pop("data")
        assert attributes == expected


@pytest.mark.parametrize("parse", [sdk_v1, sdk_core], ids=["v1-from-json", "core-json-format"])
def test_each_parsed_event_encodes_to_its_stored_body_byte_for_byte(
    sunk: Sunk, parse: Callable[[bytes], tuple[dict[str, Any], Any]]
) -> None:
    """What the SDK parsed, encoded by fleetledger, is the body the ledger hashed."""
    for line in sunk.lines["typed"]:
        attributes, data = parse(line)
        assert recomputed(attributes, data) == sunk.stored[attributes["id"]].body


def test_each_line_the_transform_wrote_is_its_events_stored_body(sunk: Sunk) -> None:
    """Members in RFC 8785 order and the data copied as stored: a line is the canonical body
    itself, without any parsing."""
    assert Counter(sunk.lines["typed"]) == Counter(r.body for r in sunk.stored.values())


def test_every_leaf_recomputed_from_the_sink_is_proved_under_the_notarys_signed_head(
    sunk: Sunk,
) -> None:
    """The leaf of each parsed event leads, by the audit path of the ledger's proof, to the
    root of its partition in the head the notary signed, checked with the notary's key."""
    ledger, verifier = sunk.ledger, sunk.signer.verifier
    for line in sunk.lines["typed"]:
        attributes, data = sdk_v1(line)
        leaf = leaf_hash(recomputed(attributes, data))
        proof = ledger.prove(attributes["id"], verifier)
        head = open_ledger_head(proof.head.encode(), verifier, namespace=ledger.namespace)
        root = head.partition(proof.topic, proof.partition)
        assert proof.leaf_hash == leaf
        verify_inclusion(leaf, proof.path, index=proof.index, size=root.size, root=root.root)


def test_a_line_changed_in_one_byte_recomputes_to_a_leaf_the_head_does_not_cover(
    sunk: Sunk,
) -> None:
    """The proof check can fail: the approver's name changed by one letter in the sink's file."""
    line = next(line for line in sunk.lines["typed"] if b'"approver":"alice"' in line)
    attributes, data = sdk_v1(line.replace(b'"alice"', b'"alicf"'))
    proof = sunk.ledger.prove(attributes["id"], sunk.signer.verifier)
    head = open_ledger_head(proof.head.encode(), sunk.signer.verifier)
    root = head.partition(proof.topic, proof.partition)
    with pytest.raises(ProofError):
        verify_inclusion(
            leaf_hash(recomputed(attributes, data)),
            proof.path,
            index=proof.index,
            size=root.size,
            root=root.root,
        )


def test_without_integer_attributes_dataversion_is_the_one_attribute_that_differs(
    sunk: Sunk,
) -> None:
    """A header carries only text: untold that ``dataversion`` is an Integer, the transform
    writes ``"1"`` where the ledger stored ``1``, and that is the only difference."""
    for line in sunk.lines["text"]:
        attributes, data = sdk_v1(line)
        stored = sunk.stored[attributes["id"]].body
        assert attributes["dataversion"] == "1"
        assert recomputed(attributes, data) != stored
        assert recomputed({**attributes, "dataversion": 1}, data) == stored
    typed = [line.replace(b'"dataversion":"1"', b'"dataversion":1') for line in sunk.lines["text"]]
    assert Counter(typed) == Counter(sunk.lines["typed"])
