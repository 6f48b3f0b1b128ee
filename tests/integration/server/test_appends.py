"""Appends over the CloudEvents HTTP binding against a real server: structured, binary and
batched mode, duplicates answering the original position, conflicts and limits."""

import httpx

from fleetledger import Ledger
from tests.integration.server.conftest import Serve

STRUCTURED = {"Content-Type": "application/cloudevents+json"}
BATCH = {"Content-Type": "application/cloudevents-batch+json"}


def requested(task: str, **extra: object) -> dict[str, object]:
    return {
        "specversion": "1.0",
        "type": "task.requested",
        "source": "agents/ts-planner",
        "subject": task,
        "data": {"goal": "refund order 991"},
        **extra,
    }


def test_a_structured_event_is_stored_and_its_position_answered(
    serve: Serve, ledger: Ledger
) -> None:
    """201, the id and the position; the ledger holds the event there."""
    url = serve(ledger)
    response = httpx.post(f"{url}/events", json=requested("t-1"), headers=STRUCTURED)
    assert response.status_code == 201
    (appended,) = response.json()["events"]
    stored = ledger.get(appended["id"])
    assert stored.subject == "t-1"
    assert stored.position == (appended["topic"], appended["partition"], appended["offset"])
    assert appended["existing"] is False


def test_a_binary_mode_event_takes_its_attributes_from_ce_headers(
    serve: Serve, ledger: Ledger
) -> None:
    """The body is the data; ce- headers (percent-encoded) are the attributes."""
    url = serve(ledger)
    headers = {
        "Content-Type": "application/json",
        "ce-specversion": "1.0",
        "ce-type": "task.requested",
        "ce-source": "agents%2Fgo-planner",
        "ce-subject": "t-2",
        "ce-id": "bin-1",
    }
    response = httpx.post(f"{url}/events", content=b'{"goal": "ship it"}', headers=headers)
    assert response.status_code == 201
    event = ledger.get("bin-1")
    assert event.data["goal"] == "ship it"
    assert event.source == "agents/go-planner"


def test_a_batch_is_appended_atomically_in_one_request(serve: Serve, ledger: Ledger) -> None:
    """Three events, three positions; a batch with one bad event stores none of them."""
    url = serve(ledger)
    batch = [requested("t-3", id=f"b-{i}") for i in range(3)]
    response = httpx.post(f"{url}/events", json=batch, headers=BATCH)
    assert response.status_code == 201
    assert [e["id"] for e in response.json()["events"]] == ["b-0", "b-1", "b-2"]
    bad = [requested("t-4", id="c-0"), {**requested("t-4", id="c-1"), "type": "no.such"}]
    refused = httpx.post(f"{url}/events", json=bad, headers=BATCH)
    assert refused.status_code == 400
    assert refused.json()["index"] == 1
    assert list(ledger.replay("t-4")) == []


def test_a_duplicate_id_with_the_same_event_answers_the_original_position(
    serve: Serve, ledger: Ledger
) -> None:
    """A retry is 200 with the first answer's position, and stores nothing more."""
    url = serve(ledger)
    event = requested("t-5", id="dup-1", time="2026-01-01T00:00:00Z")
    first = httpx.post(f"{url}/events", json=event, headers=STRUCTURED)
    again = httpx.post(f"{url}/events", json=event, headers=STRUCTURED)
    assert again.status_code == 200
    original = {k: v for k, v in first.json()["events"][0].items() if k != "existing"}
    assert again.json()["events"][0] == {**original, "existing": True}
    assert len(list(ledger.replay("t-5"))) == 1


def test_an_id_stored_with_other_content_is_a_409_problem(serve: Serve, ledger: Ledger) -> None:
    """IdConflict: the problem names the field and where the id lives."""
    url = serve(ledger)
    httpx.post(f"{url}/events", json=requested("t-6", id="x-1"), headers=STRUCTURED)
    conflict = httpx.post(f"{url}/events", json=requested("t-7", id="x-1"), headers=STRUCTURED)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    body = conflict.json()
    assert body["field"] == "id"
    assert body["position"]["offset"] == 0


def test_a_body_over_the_limit_is_413_before_it_is_read(serve: Serve, ledger: Ledger) -> None:
    """The limit holds whatever the event."""
    url = serve(ledger, max_body=1024)
    big = requested("t-8", data={"goal": "x" * 4096})
    response = httpx.post(f"{url}/events", json=big, headers=STRUCTURED)
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_a_saturated_writer_answers_429_with_retry_after(serve: Serve, ledger: Ledger) -> None:
    """No append slot free: 429 and a Retry-After in whole seconds."""
    url = serve(ledger, max_pending=0)
    response = httpx.post(f"{url}/events", json=requested("t-9"), headers=STRUCTURED)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"].endswith("/backpressure")
