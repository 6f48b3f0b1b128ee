"""Reads, proofs and operations over HTTP answer what the library answers."""

import httpx

from fleetledger import Ledger
from fleetledger.integrity import read_bundle, verify_bundle
from tests.integration.server.conftest import Serve


def story(ledger: Ledger, task: str = "t-1") -> list[str]:
    """A task requested and assigned; the ids, in order."""
    first = ledger.append("task.requested", subject=task, data={"goal": "refund"}, id=f"{task}-a")
    ledger.append(
        "task.assigned", subject=task, data={"assignee": "agents/refunds"}, id=f"{task}-b"
    )
    assert first.offset >= 0
    return [f"{task}-a", f"{task}-b"]


def test_an_event_is_read_by_id_with_its_position(serve: Serve, ledger: Ledger) -> None:
    """The CloudEvent as stored, and where."""
    ids = story(ledger)
    url = serve(ledger)
    body = httpx.get(f"{url}/events/{ids[0]}").json()
    assert body["event"] == ledger.get(ids[0]).to_dict()
    assert body["position"]["topic"] == ledger.get(ids[0]).position.topic  # type: ignore[union-attr]


def test_an_unknown_event_is_a_404_problem(serve: Serve, ledger: Ledger) -> None:
    """problem+json with type, title, status and detail."""
    url = serve(ledger)
    response = httpx.get(f"{url}/events/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.json()) >= {"type", "title", "status", "detail"}


def test_a_replay_filters_as_the_command_line_does(serve: Serve, ledger: Ledger) -> None:
    """All events in order; a type glob narrows them."""
    ids = story(ledger)
    url = serve(ledger)
    every = httpx.get(f"{url}/tasks/t-1/events").json()
    assert [e["id"] for e in every["events"]] == ids
    narrowed = httpx.get(f"{url}/tasks/t-1/events", params={"type": "task.assign*"}).json()
    assert [e["id"] for e in narrowed["events"]] == ids[1:]


def test_a_naive_time_is_a_400_naming_the_parameter(serve: Serve, ledger: Ledger) -> None:
    """Never a 500 for bad input."""
    url = serve(ledger)
    response = httpx.get(f"{url}/tasks/t-1/events", params={"since": "2026-01-01T00:00:00"})
    assert response.status_code == 400
    assert response.json()["field"] == "since"


def test_a_tasks_state_is_folded_from_its_events(serve: Serve, ledger: Ledger) -> None:
    """state_at over HTTP."""
    story(ledger)
    url = serve(ledger)
    state = httpx.get(f"{url}/tasks/t-1/state").json()
    assert state["task"] == "t-1"
    assert state["assignee"] == "agents/refunds"


def test_topics_heads_and_verify_answer(serve: Serve, ledger: Ledger) -> None:
    """The ledger's topics, its signed heads, and a clean verification."""
    story(ledger)
    url = serve(ledger)
    topics = httpx.get(f"{url}/topics").json()
    assert {t["family"] for t in topics} >= {"task"}
    assert httpx.get(f"{url}/heads").json()
    assert httpx.get(f"{url}/verify").json()["ok"] is True


def test_an_inclusion_proof_is_the_json_the_command_line_writes(
    serve: Serve, ledger: Ledger
) -> None:
    """GET /events/{id}/proof is Ledger.prove(...).to_json()."""
    ids = story(ledger)
    url = serve(ledger)
    proof = httpx.get(f"{url}/events/{ids[0]}/proof").json()
    assert proof == ledger.prove(ids[0]).to_json()


def test_an_evidence_bundle_fetched_over_http_verifies_offline(
    serve: Serve, ledger: Ledger
) -> None:
    """The bundle's bytes check with the ledger's public key, without the server."""
    story(ledger)
    url = serve(ledger)
    response = httpx.get(f"{url}/tasks/t-1/evidence")
    assert response.status_code == 200
    result = verify_bundle(read_bundle(response.content), ledger.verifier)
    assert result.ok


def test_order_and_consistency_proofs_answer(serve: Serve, ledger: Ledger) -> None:
    """The earlier event before the later; head 1 extends to the latest."""
    ids = story(ledger)
    url = serve(ledger)
    order = httpx.get(f"{url}/proofs/order", params={"earlier": ids[0], "later": ids[1]})
    assert order.status_code == 200
    consistent = httpx.get(f"{url}/proofs/consistency", params={"old": "1"})
    assert consistent.status_code == 200
    reversed_ = httpx.get(f"{url}/proofs/order", params={"earlier": ids[1], "later": ids[0]})
    assert reversed_.status_code == 422


def test_health_readiness_and_metrics_answer(serve: Serve, ledger: Ledger) -> None:
    """/healthz, /readyz, and Prometheus text with the dead-letter figure's family."""
    story(ledger)
    url = serve(ledger)
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{url}/readyz").json() == {"status": "ready"}
    metrics = httpx.get(f"{url}/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "fleetledger_" in metrics.text
