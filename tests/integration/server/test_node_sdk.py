"""A Node agent appends over HTTP with the CloudEvents SDK for JavaScript and reads back.

``interop/node/post-to-server.js`` posts events to a real server in binary mode (``HTTP.binary``
and the SDK's own ``emitterFor(httpTransport(url))``), in structured mode (``HTTP.structured``)
and as a batch (the SDK has no batch serializer: the array of its events' JSON), then reads each
one back by id and the task's replay, built in the SDK's strict mode. The ledger must hold
exactly what the SDK sent, where the server said it put it, and hand it back as it stored it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import fleetledger
from fleetledger import Event, Ledger
from fleetledger.server import create_app
from tests.node_sdk import node, scripts, structured

from .conftest import run


@dataclass(frozen=True)
class Posted:
    """One run of the script against one server, and the ledger behind it."""

    ledger: Ledger
    task: str
    output: dict[str, Any]

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Each event as the SDK serialized it, with ``mode``: how it went."""
        return list(self.output["sent"])

    def stored(self, event_id: str) -> Event:
        return self.ledger.get(event_id)


@pytest.fixture(scope="module")
def posted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Posted]:
    scripts()
    folder: Path = tmp_path_factory.mktemp("node-http")
    task = f"task-{uuid.uuid4().hex[:8]}"
    with fleetledger.open(
        f"sqlite:///{folder}/l.db", delegate=True, default_source="tests"
    ) as ledger:
        url, stop = run(create_app(ledger))
        try:
            done = node("post-to-server.js", "--url", url, "--task", task)
        finally:
            stop()
        assert done.returncode == 0, f"post-to-server.js failed: {done.stderr}"
        yield Posted(ledger, task, json.loads(done.stdout))


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_every_mode_of_the_sdk_is_sent(posted: Posted) -> None:
    modes = [item["mode"] for item in posted.sent]
    assert modes == ["binary", "emitter-binary", "structured", "batch", "batch"]


def test_the_ledger_holds_exactly_the_events_the_sdk_sent(posted: Posted) -> None:
    stored = [event.id for event in posted.ledger.replay(posted.task)]
    assert sorted(stored) == sorted(item["event"]["id"] for item in posted.sent)


def test_each_event_keeps_the_attributes_the_sdk_gave_it(posted: Posted) -> None:
    for item in posted.sent:
        sent = item["event"]
        stored = posted.stored(sent["id"]).to_dict()
        for name in ("type", "source", "subject", "specversion"):
            assert stored[name] == sent[name], (item["mode"], name)
        assert instant(stored["time"]) == instant(sent["time"]), item["mode"]
        extensions = set(sent) - {"id", "time", "type", "source", "subject", "specversion"}
        for name in extensions - {"data", "datacontenttype"}:
            assert stored[name] == sent[name], (item["mode"], name)


def test_each_event_keeps_its_data_with_only_the_models_defaults_added(posted: Posted) -> None:
    for item in posted.sent:
        sent = item["event"]["data"]
        data = posted.stored(item["event"]["id"]).data
        assert {name: data[name] for name in sent} == sent, item["mode"]
        assert all(data[name] in (None, {}, []) for name in set(data) - set(sent)), item["mode"]


def test_the_server_answered_the_positions_the_ledger_holds(posted: Posted) -> None:
    answered = [
        (event["id"], event["topic"], event["partition"], event["offset"], event["existing"])
        for answer in posted.output["answers"]
        for event in answer["body"]["events"]
    ]
    held = [
        (item["event"]["id"], *tuple(posted.stored(item["event"]["id"]).position or ()), False)
        for item in posted.sent
    ]
    assert answered == held
    assert [a["status"] for a in posted.output["answers"]] == [201, None, 201, 201]


def test_the_sdk_reads_each_event_back_by_id_as_the_ledger_stored_it(posted: Posted) -> None:
    for event_id, got in posted.output["got"].items():
        event = posted.stored(event_id)
        topic, partition, offset = event.position or ("", -1, -1)
        assert got["position"] == {"topic": topic, "partition": partition, "offset": offset}
        assert got["summary"] == structured(event)


def test_the_sdk_reads_the_tasks_replay_as_the_ledger_orders_it(posted: Posted) -> None:
    assert posted.output["replay"] == [structured(e) for e in posted.ledger.replay(posted.task)]
