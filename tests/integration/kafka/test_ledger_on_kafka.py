"""The public ledger API and the CLI, end to end, on a Kafka ledger."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]
from typer.testing import CliRunner

import fleetledger
from fleetledger import Ledger, NotFound, ReadOnlyLedger
from fleetledger.cli.app import app


@pytest.fixture
def url(bootstrap: str) -> str:
    """A kafka:// URL with a namespace of its own on the shared broker."""
    return f"kafka://{bootstrap}?namespace=t{uuid.uuid4().hex[:10]}&timeout=10"


@pytest.fixture
def ledger(url: str) -> Iterator[Ledger]:
    """A ledger opened through fleetledger.open on that URL."""
    with fleetledger.open(url, default_source="tests") as opened:
        yield opened


def test_appended_events_are_read_back_exactly(ledger: Ledger) -> None:
    """append stores an event; get and read return it with its position and attributes."""
    position = ledger.append(
        "task.requested", subject="task-1", data={"goal": "réparer ⚙"}, tenant="acme"
    )
    (event,) = ledger.read("task", position.partition, position.offset)
    assert event.position == position
    assert (event.type, event.subject, event.tenant) == ("task.requested", "task-1", "acme")
    assert event.data["goal"] == "réparer ⚙"
    assert ledger.get(event.id) == event


def test_append_many_stores_a_batch_across_families_and_replays_it_in_order(
    ledger: Ledger,
) -> None:
    """append_many is one transaction; replay gives the task's events in append order."""
    ledger.append("task.requested", subject="task-9", data={"goal": "g"})
    ledger.append_many(
        [
            {"type": "task.started", "subject": "task-9"},
            {
                "type": "tool.call.requested",
                "subject": "task-9",
                "data": {"call_id": "c", "tool": "t"},
            },
            {
                "type": "governance.approval.requested",
                "subject": "task-9",
                "data": {"approval_id": "a"},
            },
        ]
    )
    ledger.append("task.completed", subject="task-9")
    types = [event.type for event in ledger.replay("task-9")]
    assert types == [
        "task.requested",
        "task.started",
        "tool.call.requested",
        "governance.approval.requested",
        "task.completed",
    ]


def test_re_appending_an_event_id_stores_it_once(ledger: Ledger) -> None:
    """The idempotency key: the same id appended twice returns the first position."""
    first = ledger.append("task.requested", subject="task-1", id="evt-1", data={"goal": "g"})
    again = ledger.append("task.requested", subject="task-1", id="evt-1", data={"goal": "g"})
    assert again == first
    assert [e.id for e in ledger.replay("task-1")] == ["evt-1"]


def test_re_appending_an_id_from_a_new_process_stores_it_once(url: str) -> None:
    """A second client (a restarted producer) finds the id in the log and stores nothing."""
    with fleetledger.open(url, default_source="a") as one:
        first = one.append("task.started", subject="task-3", id="evt-3")
    with fleetledger.open(url, default_source="a") as two:
        assert two.append("task.started", subject="task-3", id="evt-3") == first
        assert [e.id for e in two.replay("task-3")] == ["evt-3"]


def test_a_consumer_group_commits_and_its_lag_drops_to_zero(ledger: Ledger) -> None:
    """Consumer poll + commit: lag is end minus committed, zero once everything is read."""
    ledger.append("task.requested", subject="task-1", data={"goal": "g"})
    ledger.append_many([{"type": "task.started", "subject": f"task-{n}"} for n in range(4)])
    with ledger.consumer("audit", ["task"]) as consumer:
        events = consumer.poll(max=100, timeout=5)
        consumer.commit()
    assert len(events) == 5
    assert "audit" in ledger.groups()
    lags = ledger.lag("audit")
    assert sum(row.lag for row in lags) == 0
    assert sum(row.committed for row in lags) >= 5


def test_topics_are_created_from_the_family_policies(ledger: Ledger) -> None:
    """Every built-in family has its topic, with the policy's partition count."""
    topics = {info.family: info for info in ledger.topics()}
    assert set(topics) == {"task", "context", "tool", "governance", "evaluation", "state"}
    assert all(len(info.partitions) == info.policy.partitions for info in topics.values())


def test_the_demo_command_runs_on_kafka_and_proves_it(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fleetledger demo --ledger kafka://... simulates a small fleet, reports it, has the
    notary sign it, verifies it and checks one evidence bundle offline."""
    monkeypatch.chdir(tmp_path)  # the demo key pair and the bundle are written here
    runner = CliRunner(env={"COLUMNS": "200", "FLEETLEDGER_URL": None, "FLEETLEDGER_KEY": None})
    result = runner.invoke(app, ["demo", "--tasks", "10", "--json", "--ledger", url])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["tasks"] == 10
    assert set(summary["groups"]) == {"tasks", "audit", "evaluation"}
    proofs = summary["integrity"]
    assert proofs["verify"]["ok"]
    assert proofs["verify_bundle"]["ok"]
    assert proofs["verify_bundle"]["events"] > 0
    assert (tmp_path / proofs["bundle"]).exists()
    with fleetledger.open(url) as ledger:
        assert stored_events(ledger, fleet_only=True) == summary["events"]


def stored_events(ledger: Ledger, *, fleet_only: bool = False) -> int:
    """Events readable across every partition of every family (``fleet_only``: those the
    demo's agents wrote, not the task projection's summaries or an operator's retry).

    Not ``TopicInfo.events`` (end minus start): on Kafka, commit markers take offsets.
    """
    total = 0
    for info in ledger.topics():
        if fleet_only and info.family == "state":
            continue
        for partition in range(len(info.partitions)):
            events = ledger.read(info.family, partition, 0, limit=100_000)
            total += sum(
                not (fleet_only and e.type == "governance.admin.performed") for e in events
            )
    return total


def test_client_settings_pass_through_the_url_and_kafka_config(bootstrap: str) -> None:
    """Options with a dot and ``kafka_config`` reach librdkafka; a bad one is refused."""
    url = f"kafka://{bootstrap}?namespace=t{uuid.uuid4().hex[:10]}&client.id=fleet-tests"
    with fleetledger.open(url, kafka_config={"socket.keepalive.enable": True}) as ledger:
        assert ledger.append("task.started", subject="t", source="s").offset == 0
    with pytest.raises(fleetledger.ConfigurationError, match=r"no\.such\.setting"):
        fleetledger.open(f"kafka://{bootstrap}?no.such.setting=1")


def test_a_read_only_open_creates_no_topic(url: str, bootstrap: str) -> None:
    """Opening a namespace that holds nothing, to read: NotFound, and the cluster unchanged."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    before = set(admin.list_topics(timeout=10).topics)
    with pytest.raises(NotFound, match="nothing is stored"):
        fleetledger.open(url, readonly=True)
    assert set(admin.list_topics(timeout=10).topics) == before


def test_a_read_only_ledger_reads_and_refuses_writes(ledger: Ledger, url: str) -> None:
    """What is stored reads as usual; any write raises ReadOnlyLedger."""
    ledger.append("task.started", subject="task-1", id="evt-ro")
    with fleetledger.open(url, readonly=True) as reader:
        assert reader.get("evt-ro").subject == "task-1"
        with pytest.raises(ReadOnlyLedger):
            reader.append("task.started", subject="task-2")
        with pytest.raises(ReadOnlyLedger):
            reader.log.commit("g", {(reader.topic("task"), 0): 1})
