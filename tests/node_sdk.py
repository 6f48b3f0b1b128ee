"""The CloudEvents SDK for JavaScript and kafkajs, run from tests through ``interop/node``.

fleetledger promises plain CloudEvents: what it prints and what it writes to Kafka must read
as such in another language's SDK, not only in Python's. ``interop/node/parse-events.js``
parses printed JSON with ``new CloudEvent(event, true)``; ``read-topic.js`` reads topics with
kafkajs and parses each record with the SDK's Kafka binding, validated the same way. Both
print one canonical summary per event; :func:`structured` and :func:`binary` say what that
summary must be for an event the ledger stored, so a test compares them whole.

``make interop`` installs the scripts' dependencies (``interop/prepare.py``, part ``node``);
without Node or that step the tests skip naming what is missing, and fail under ``CI=true``.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

from fleetledger import Event
from tests.toolchains import ROOT, missing, prepared, require

NODE = ROOT / "interop" / "node"
_TIMEOUT = 30.0
"""Seconds a script may take: starting Node is about a tenth of that, a read of a few topics
(one consumer group join) a few seconds."""
READ_TIMEOUT = 20.0
"""Seconds ``read-topic.js`` waits for the topics' ends before it gives up (exit 3)."""

_CORE = ("id", "type", "source", "specversion", "subject", "time", "datacontenttype")
"""The attributes the JavaScript SDK keeps as named fields; every other one is an extension."""


def scripts() -> Path:
    """``interop/node``, its dependencies installed; else skip (fail under ``CI=true``)."""
    require("node")
    prepared("node")
    if not (NODE / "node_modules").is_dir():
        missing("interop/node/node_modules (run `make interop` to install it)")
    return NODE


def node(script: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run one of the scripts, bounded in time."""
    return subprocess.run(
        ["node", str(scripts() / script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=False,
    )


def lines(output: str) -> list[dict[str, Any]]:
    """The JSON objects of JSON Lines output."""
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def parse_events(printed: str) -> list[dict[str, Any]]:
    """The SDK's summary of every event in ``printed`` (fleetledger's JSON output); the test
    fails with the SDK's message if it refuses one."""
    done = node("parse-events.js", stdin=printed)
    assert done.returncode == 0, f"the CloudEvents SDK refused: {done.stderr}"
    return lines(done.stdout)


def read_topics(bootstrap: str, topics: list[str]) -> subprocess.CompletedProcess[str]:
    """Every record of ``topics`` as kafkajs reads them, with the SDK's Kafka binding's event."""
    return node("read-topic.js", "--bootstrap", bootstrap, "--timeout", str(READ_TIMEOUT), *topics)


def structured(event: Event) -> dict[str, Any]:
    """What the SDK must make of ``event`` in structured mode (JSON, as the CLI prints it)."""
    attributes = event.to_dict()
    data = attributes.pop("data", None)
    core = {name: attributes.pop(name, None) for name in _CORE}
    return {
        **core,
        "dataschema": None,
        "extensions": dict(sorted(attributes.items())),
        "data": data,
    }


def binary(event: Event, key: str) -> dict[str, Any]:
    """What the SDK's Kafka binding must make of ``event`` stored with ``key``: in binary mode
    every attribute travels as a text header, so an extension reads back as its CloudEvents
    canonical string (``dataversion`` 1 as ``"1"``), and the key is the ``partitionkey``
    extension (CloudEvents Kafka binding §3.1)."""
    expected = structured(event)
    extensions = {name: str(value) for name, value in expected["extensions"].items()}
    return {**expected, "extensions": dict(sorted({**extensions, "partitionkey": key}.items()))}


TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
EDGES = {
    "largest": 2**53 - 1,
    "smallest": -(2**53 - 1),
    "tenth": 0.1,
    "huge": 1e300,
    "tiny": 5e-324,
    "text": 'ünïcode ✓ 🚀 \u202e (RTL override) "quoted" \\ back',
    "empty": "",
    "nested": [[], {}, [1, [2.5, [None, True, False]]]],
}
"""Data at the edges of what JSON carries between languages: the largest integers both keep
exactly (the contract refuses larger ones), floats whose shortest forms differ in length,
text beyond ASCII and the BMP, escapes, and nesting."""


def varied_events() -> list[dict[str, Any]]:
    """Events of every family, with every writer extension, several subjects, sources and
    times in other zones or at a millisecond's last microsecond, a correction, and
    :data:`EDGES` as data: what fleetledger must hand any CloudEvents SDK intact. Fresh ids
    each call (corrections and causes name them)."""
    first, failed = str(uuid.uuid4()), str(uuid.uuid4())
    return [
        {
            "id": first,
            "type": "task.requested",
            "subject": "task-a",
            "source": "urn:agent:planner",
            "time": "2025-03-01T12:00:00.5+02:00",
            "data": {"goal": "refund order 991 ✓", "priority": "high", "inputs": EDGES},
            "tenant": "acme",
            "conversationid": "conv-1",
            "agentid": "planner-7",
            "agentversion": "2.1.0",
            "correlationid": "run-42",
            "traceparent": TRACEPARENT,
        },
        {"type": "task.assigned", "subject": "task-a", "data": {"assignee": "worker-1"}},
        {
            "type": "tool.call.completed",
            "subject": "task-a",
            "source": "https://agents.example/worker-1?v=2#main",
            "time": "2025-01-31T23:59:59.999999Z",
            "data": {"call_id": "c-1", "tool": "payments.refund", "result": EDGES},
            "causationid": first,
            "tenant": "acme",
        },
        {
            "type": "governance.approval.granted",
            "subject": "task-a",
            "data": {"approval_id": "ap-1", "call_id": "c-1", "approver": "alice"},
            "dataclassification": "restricted",
        },
        {
            "type": "context.retrieved",
            "subject": "task-b",
            "data": {"query": "refund policy", "sources": ["kb://refunds"], "document_ids": ["d1"]},
        },
        {
            "type": "evaluation.scored",
            "subject": "task-b",
            "data": {"metric": "accuracy", "score": 0.875, "evaluator": "judge"},
        },
        {
            "type": "state.summary",
            "subject": "task-b",
            "data": {"status": "requested", "last_event_type": "task.requested"},
        },
        {
            "id": failed,
            "type": "task.failed",
            "subject": "order/42 ü",
            "data": {"error": "timeout", "retryable": True},
        },
        {
            "type": "task.failed",
            "subject": "order/42 ü",
            "data": {"error": "timeout after 30 s", "retryable": False},
            "supersedes": failed,
        },
    ]
