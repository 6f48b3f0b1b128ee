"""The HTTP server over a Kafka ledger: an event appended in CloudEvents binary mode is stored on
its topic where the server says, and reads back by id as the ledger holds it."""

from __future__ import annotations

import uuid

import httpx

import fleetledger
from fleetledger.server import create_app
from tests.integration.server.conftest import run


def test_a_binary_mode_append_over_kafka_reads_back_where_the_server_put_it(
    bootstrap: str,
) -> None:
    task = f"task-{uuid.uuid4().hex[:8]}"
    url = f"kafka://{bootstrap}?namespace=n{uuid.uuid4().hex[:10]}"
    with fleetledger.open(url, delegate=True, default_source="tests") as ledger:
        base, stop = run(create_app(ledger))
        try:
            with httpx.Client(base_url=base, timeout=20) as client:
                appended = client.post(
                    "/events",
                    headers={
                        "content-type": "application/json; charset=utf-8",
                        "ce-specversion": "1.0",
                        "ce-id": "bin-1",
                        "ce-type": "task.requested",
                        "ce-source": "agents/http-planner",
                        "ce-subject": f"{task}%20%C3%BC",  # percent-encoded, as the binding says
                        "ce-tenant": "acme",
                    },
                    json={"goal": "refund order 991"},
                )
                got = client.get("/events/bin-1")
        finally:
            stop()
        assert appended.status_code == 201, appended.text
        event = ledger.get("bin-1")
    assert event.position is not None
    topic, partition, offset = event.position
    [answer] = appended.json()["events"]
    assert (answer["topic"], answer["partition"], answer["offset"]) == (topic, partition, offset)
    assert (event.type, event.source, event.subject) == (
        "task.requested",
        "agents/http-planner",
        f"{task} ü",
    )
    assert event.to_dict()["tenant"] == "acme"
    assert event.data["goal"] == "refund order 991"
    assert got.status_code == 200, got.text
    assert got.json() == {
        "event": event.to_dict(),
        "position": {"topic": topic, "partition": partition, "offset": offset},
    }
