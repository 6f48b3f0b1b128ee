"""Every route acts as the principal of the request's bearer token, under the ledger's access
policy: planner appends and reads, reader reads only the task family, ops administers."""

from collections.abc import Callable

import httpx
import pytest

from fleetledger import Ledger
from tests.integration.server.conftest import OPS, PLANNER, READER, Serve

STRUCTURED = {"Content-Type": "application/cloudevents+json"}
Tokens = Callable[[], tuple[str, dict[str, str]]]


def bearer(ledger: Ledger, who: object) -> dict[str, str]:
    made = ledger.create_token(who)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {made.secret}"}


@pytest.fixture
def setup(serve: Serve, governed: Ledger) -> tuple[str, dict[str, dict[str, str]]]:
    """A served governed ledger with a task of two families, and a token per principal."""
    governed.append("task.requested", subject="t-1", data={"goal": "refund"}, id="a-1")
    call = {"call_id": "c-1", "tool": "payments.refund", "arguments": {}}
    governed.append("tool.call.requested", subject="t-1", data=call, id="a-2")
    tokens = {p.id: bearer(governed, p) for p in (OPS, PLANNER, READER)}
    return serve(governed), tokens


def test_no_token_under_an_access_policy_is_401_with_the_bearer_challenge(
    setup: tuple[str, dict[str, dict[str, str]]],
) -> None:
    """A policy is configured, no default principal: authenticate first."""
    url, _ = setup
    response = httpx.get(f"{url}/tasks/t-1/events")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


def test_a_wrong_token_is_401_not_the_default(
    setup: tuple[str, dict[str, dict[str, str]]],
) -> None:
    """A token the ledger does not know never falls back to anyone."""
    url, _ = setup
    wrong = {"Authorization": "Bearer flt_0000000000000000_nope"}
    assert httpx.get(f"{url}/topics", headers=wrong).status_code == 401


def test_an_append_is_stamped_with_the_tokens_principal(
    setup: tuple[str, dict[str, dict[str, str]]], governed: Ledger
) -> None:
    """authid is planner, not the server's own principal."""
    url, tokens = setup
    event = {"type": "task.requested", "subject": "t-2", "id": "p-1", "data": {"goal": "x"}}
    headers = {**STRUCTURED, **tokens["planner"]}
    assert httpx.post(f"{url}/events", json=event, headers=headers).status_code == 201
    assert governed.get("p-1").authid == "planner"


def test_a_principal_without_append_gets_403_from_an_access_rule(
    setup: tuple[str, dict[str, dict[str, str]]],
) -> None:
    """PolicyViolation of an access rule is 403 and names the rule's policy."""
    url, tokens = setup
    event = {"type": "task.requested", "subject": "t-3", "data": {"goal": "x"}}
    response = httpx.post(f"{url}/events", json=event, headers={**STRUCTURED, **tokens["reader"]})
    assert response.status_code == 403
    assert response.json()["type"].endswith("/access-denied")


def test_a_replay_withholds_what_the_principal_may_not_read(
    setup: tuple[str, dict[str, dict[str, str]]],
) -> None:
    """reader sees the task event and is told one was withheld, as the library does."""
    url, tokens = setup
    body = httpx.get(f"{url}/tasks/t-1/events", headers=tokens["reader"]).json()
    assert [e["id"] for e in body["events"]] == ["a-1"]
    assert body["withheld"] == 1


def test_reading_an_event_of_a_family_it_may_not_read_is_403(
    setup: tuple[str, dict[str, dict[str, str]]],
) -> None:
    """Naming it outright is refused, not withheld."""
    url, tokens = setup
    assert httpx.get(f"{url}/events/a-2", headers=tokens["reader"]).status_code == 403
    assert httpx.get(f"{url}/events/a-2", headers=tokens["planner"]).status_code == 200


def test_a_stream_of_a_family_it_may_not_read_is_403(
    setup: tuple[str, dict[str, dict[str, str]]],
) -> None:
    """The SSE route checks read on the families named before streaming."""
    url, tokens = setup
    response = httpx.get(
        f"{url}/events/stream", params={"family": "tool"}, headers=tokens["reader"]
    )
    assert response.status_code == 403


def test_evidence_of_a_task_it_may_not_wholly_read_is_403(
    setup: tuple[str, dict[str, dict[str, str]]],
) -> None:
    """A bundle holds every event of its task."""
    url, tokens = setup
    assert httpx.get(f"{url}/tasks/t-1/evidence", headers=tokens["reader"]).status_code == 403


def test_metrics_need_admin_under_a_policy(
    setup: tuple[str, dict[str, dict[str, str]]],
) -> None:
    """Storage figures of every family are for administrators."""
    url, tokens = setup
    assert httpx.get(f"{url}/metrics", headers=tokens["reader"]).status_code == 403
    assert httpx.get(f"{url}/metrics", headers=tokens["ops"]).status_code == 200


def test_a_group_commit_needs_read_on_its_families(
    setup: tuple[str, dict[str, dict[str, str]]], governed: Ledger
) -> None:
    """reader may not commit offsets of the tool family."""
    url, tokens = setup
    topic = governed.topic("tool")
    positions = [{"topic": topic, "partition": 0, "offset": 1}]
    response = httpx.post(
        f"{url}/groups/g/commit", json={"positions": positions}, headers=tokens["reader"]
    )
    assert response.status_code == 403


def test_a_default_principal_serves_requests_without_a_token(
    serve: Serve, governed: Ledger
) -> None:
    """Configured default: no token acts as it (here reader, who may read tasks)."""
    governed.append("task.requested", subject="t-9", data={"goal": "x"})
    url = serve(governed, default_principal=READER)
    body = httpx.get(f"{url}/tasks/t-9/events").json()
    assert len(body["events"]) == 1
