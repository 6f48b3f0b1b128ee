"""Consumer groups over HTTP: poll returns events and the positions to commit; commit takes
them, and the group's next poll starts after them."""

import httpx

from fleetledger import Ledger
from tests.integration.server.conftest import Serve


def test_a_poll_then_a_commit_moves_the_group_past_the_events(serve: Serve, ledger: Ledger) -> None:
    """Three events polled, committed; the next poll is empty and the lag is 0."""
    for i in range(3):
        ledger.append("task.requested", subject=f"t-{i}", data={"goal": "g"}, id=f"e-{i}")
    url = serve(ledger)
    polled = httpx.post(f"{url}/groups/billing/poll", json={"families": ["task"]}).json()
    assert sorted(e["id"] for e in polled["events"]) == ["e-0", "e-1", "e-2"]
    commit = httpx.post(f"{url}/groups/billing/commit", json={"positions": polled["positions"]})
    assert commit.status_code == 200
    again = httpx.post(f"{url}/groups/billing/poll", json={"families": ["task"]}).json()
    assert again["events"] == []
    lag = httpx.get(f"{url}/lag", params={"group": "billing"}).json()
    assert lag
    assert all(row["lag"] == 0 for row in lag)
    assert "billing" in httpx.get(f"{url}/groups").json()


def test_a_poll_not_committed_is_read_again(serve: Serve, ledger: Ledger) -> None:
    """At least once: the server keeps no session between poll and commit."""
    ledger.append("task.requested", subject="t", data={"goal": "g"}, id="once")
    url = serve(ledger)
    for _ in range(2):
        polled = httpx.post(f"{url}/groups/g/poll", json={"families": ["task"]}).json()
        assert [e["id"] for e in polled["events"]] == ["once"]


def test_a_commit_of_a_topic_not_in_the_ledger_is_a_404(serve: Serve, ledger: Ledger) -> None:
    """Typed errors, not a 500."""
    url = serve(ledger)
    positions = [{"topic": "elsewhere.task", "partition": 0, "offset": 1}]
    response = httpx.post(f"{url}/groups/g/commit", json={"positions": positions})
    assert response.status_code in (400, 404)
    assert response.headers["content-type"] == "application/problem+json"
