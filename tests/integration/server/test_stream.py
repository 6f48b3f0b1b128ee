"""The Server-Sent Events stream: new events as they are appended, and a resume with
Last-Event-ID that neither skips nor repeats an event across a disconnect."""

import json
from collections.abc import Iterator

import httpx

from fleetledger import Ledger
from tests.integration.server.conftest import Serve

TIMEOUT = httpx.Timeout(10.0)


class Message:
    def __init__(self, last_id: str | None, data: dict[str, object] | None) -> None:
        self.last_id = last_id
        self.data = data


def messages(response: httpx.Response) -> Iterator[Message]:
    """SSE messages as a browser dispatches them: every block moves the last id, and a block
    with data is an event."""
    last_id: str | None = None
    data: list[str] = []
    for line in response.iter_lines():
        if line.startswith("id:"):
            last_id = line[3:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "":
            yield Message(last_id, json.loads("\n".join(data)) if data else None)
            data = []


def append_round(ledger: Ledger, prefix: str, count: int) -> list[str]:
    """``count`` events over several tasks (so several partitions) and two families."""
    ids = []
    for i in range(count):
        task = f"{prefix}-task-{i % 3}"
        if i % 2:
            data = {"call_id": f"{prefix}-c{i}", "tool": "search", "arguments": {}}
            ledger.append("tool.call.requested", subject=task, data=data, id=f"{prefix}-{i}")
        else:
            ledger.append("task.requested", subject=task, data={"goal": "g"}, id=f"{prefix}-{i}")
        ids.append(f"{prefix}-{i}")
    return ids


def test_a_resumed_stream_has_no_gap_and_no_duplicate(serve: Serve, ledger: Ledger) -> None:
    """Disconnect after three events mid-batch, append more, resume with Last-Event-ID."""
    url = serve(ledger)
    seen: list[str] = []
    with httpx.stream("GET", f"{url}/events/stream", timeout=TIMEOUT) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = messages(response)
        start = next(stream)
        assert start.data is None
        first = append_round(ledger, "r1", 8)
        last_id = None
        for message in stream:
            if message.data is not None:
                seen.append(str(message.data["id"]))
                last_id = message.last_id
            if len(seen) == 3:
                break
    second = append_round(ledger, "r2", 5)
    wanted = len(first) + len(second)
    headers = {"Last-Event-ID": str(last_id)}
    with httpx.stream("GET", f"{url}/events/stream", headers=headers, timeout=TIMEOUT) as again:
        for message in messages(again):
            if message.data is not None:
                seen.append(str(message.data["id"]))
            if len(seen) == wanted:
                break
    assert sorted(seen) == sorted(first + second)
    assert len(set(seen)) == len(seen)


def test_a_type_filter_streams_only_matching_events(serve: Serve, ledger: Ledger) -> None:
    """tool.* only; the passed-over events still move the cursor (an id-only message)."""
    url = serve(ledger)
    params = {"type": "tool.*"}
    with httpx.stream("GET", f"{url}/events/stream", params=params, timeout=TIMEOUT) as response:
        stream = messages(response)
        next(stream)
        ids = append_round(ledger, "f", 6)
        got = []
        for message in stream:
            if message.data is not None:
                got.append(message.data["type"])
            if len(got) == 3:
                break
    assert got == ["tool.call.requested"] * 3
    assert len(ids) == 6


def test_a_cursor_this_server_did_not_write_is_a_400(serve: Serve, ledger: Ledger) -> None:
    """Never a 500 for a bad Last-Event-ID."""
    url = serve(ledger)
    response = httpx.get(f"{url}/events/stream", headers={"Last-Event-ID": "not a cursor"})
    assert response.status_code == 400
    assert response.json()["field"] == "Last-Event-ID"
