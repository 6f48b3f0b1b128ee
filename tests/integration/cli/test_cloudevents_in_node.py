"""Every event the command line prints as JSON is a CloudEvent the JavaScript SDK accepts in
strict mode, with the attributes and data the ledger stored (``tests/node_sdk.py``)."""

import json
from collections.abc import Callable

import pytest
from typer.testing import Result

import fleetledger
from fleetledger import Event
from tests.node_sdk import TRACEPARENT, node, parse_events, scripts, structured, varied_events

Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def _node_scripts() -> None:
    """Skip (fail under ``CI=true``) before any ledger is made when Node or its part is missing."""
    scripts()


def stored(url: str) -> dict[str, Event]:
    """Every event of the ledger at ``url``, by id."""
    with fleetledger.open(url) as ledger:
        return {
            event.id: event
            for info in ledger.topics()
            for partition in range(len(info.partitions))
            for event in ledger.read(info.family, partition, 0, limit=1000)
        }


@pytest.fixture
def varied(url: str) -> dict[str, Event]:
    """The test ledger holding :func:`varied_events`, by id."""
    with fleetledger.open(url, default_source="agents/planner") as ledger:
        ledger.append_many(varied_events())
    return stored(url)


def expected(printed: list[dict[str, object]], events: dict[str, Event]) -> list[object]:
    """What the SDK must make of each printed event: the stored event of that id."""
    return [structured(events[str(summary["id"])]) for summary in printed]


def test_emit_json_prints_an_event_the_sdk_parses_as_stored(run: Run, url: str) -> None:
    """``emit --json`` with every attribute option prints the stored event, SDK-valid."""
    result = run(
        "emit", "tool.call.requested", "--subject", "task-9", "--source", "agents/cli",
        "--data", '{"call_id": "c-9", "tool": "search", "arguments": {"q": "ü ✓", "n": 3}}',
        "--time", "2025-06-30T23:59:59.999999-07:00", "--classification", "restricted",
        "--tenant", "acme", "--agent", "planner-7", "--agent-version", "2.1.0",
        "--correlation", "run-42", "--causation", "e-1", "--conversation", "conv-1",
        "--trace", TRACEPARENT, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = parse_events(result.stdout)
    assert len(printed) == 1
    assert printed == expected(printed, stored(url))


def test_emit_file_json_prints_every_event_of_the_batch_the_sdk_parses_as_stored(
    run: Run, url: str
) -> None:
    """``emit --file - --json`` prints each event of a varied batch as stored, SDK-valid."""
    batch = varied_events()
    lines = "\n".join(json.dumps(event) for event in batch)
    result = run("emit", "--file", "-", "--json", input=lines)
    assert result.exit_code == 0, result.output
    printed = parse_events(result.stdout)
    assert len(printed) == len(batch)
    assert printed == expected(printed, stored(url))


def test_get_json_prints_each_event_the_sdk_parses_as_stored(
    run: Run, varied: dict[str, Event]
) -> None:
    """``get --json`` of every event of the varied ledger is that event, SDK-valid."""
    outputs = [run("get", event_id, "--json") for event_id in varied]
    assert all(result.exit_code == 0 for result in outputs), [r.output for r in outputs]
    printed = parse_events("".join(result.stdout for result in outputs))
    assert [summary["id"] for summary in printed] == list(varied)
    assert printed == expected(printed, varied)


def test_tail_json_prints_events_the_sdk_parses_as_stored(
    run: Run, varied: dict[str, Event]
) -> None:
    """``tail --json`` across every family prints each event as stored, SDK-valid."""
    result = run("tail", "--last", "100", "--json")
    assert result.exit_code == 0, result.output
    printed = parse_events(result.stdout)
    assert sorted(summary["id"] for summary in printed) == sorted(varied)
    assert printed == expected(printed, varied)


def test_replay_json_prints_a_tasks_events_the_sdk_parses_as_stored(
    run: Run, varied: dict[str, Event]
) -> None:
    """``replay TASK --json`` prints the task's events across families as stored, SDK-valid."""
    result = run("replay", "task-a", "--json")
    assert result.exit_code == 0, result.output
    printed = parse_events(result.stdout)
    assert len(printed) == sum(event.subject == "task-a" for event in varied.values()) == 4
    assert printed == expected(printed, varied)


def test_the_strict_parse_refuses_an_event_that_is_no_cloudevent() -> None:
    """The check can fail: a source outside RFC 3986 ends the parse with the SDK's reason."""
    event = {"id": "e-1", "type": "task.started", "source": "a b", "specversion": "1.0"}
    done = node("parse-events.js", stdin=json.dumps(event))
    assert done.returncode == 1
    assert 'must match format \\"uri-reference\\"' in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    "source",
    [
        "agents/planner",
        "urn:agent:planner",
        "https://agents.example:8443/planner?v=2#main",
        "//agents.example/planner",
        "http://[::1]:8080/planner",
        "mailto:ops@agents.example",
        "agents/pl%41nner",
        "agents/~planner/!$&'()*+,;=:@",
        "/sensors/tn-1234567/alerts",
        "agents/[planner]",  # refused: brackets only around an IP literal host
        "agents/planner#a#b",  # refused: one fragment
        "http://[planner]/",  # refused: not an IP literal
    ],
)
def test_every_source_emit_accepts_is_a_uri_reference_the_sdk_accepts(
    run: Run, source: str
) -> None:
    """A source the ledger takes (a URI-reference, it says) passes the SDK's format check."""
    result = run("emit", "task.started", "--subject", "task-1", "--source", source, "--json")
    if result.exit_code != 0:  # refused at the door: never stored, never printed
        assert "'source' must be a URI-reference" in result.output
        return
    assert [summary["source"] for summary in parse_events(result.stdout)] == [source]
