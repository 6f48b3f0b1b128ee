"""The read-side commands: replay, tail, topics, groups and lag, readable and as JSON."""

import base64
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import Result

import fleetledger
from fleetledger import ForeignRecord, Ledger, Position
from fleetledger.events import foreign
from fleetledger.ledger.gate import Shown

Run = Callable[..., Result]


def lines(result: Result) -> list[dict[str, object]]:
    """The JSON objects a command printed, one per line."""
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_replay_shows_the_task_timeline_in_order(run: Run, seeded: str) -> None:
    """replay prints the task's events as a timeline, first event at +0 ms."""
    result = run("replay", "task-1")

    assert result.exit_code == 0, result.output
    assert result.stdout.index("requested") < result.stdout.index("started")
    assert "+0" in result.stdout
    assert "planner" in result.stdout


def test_replay_json_prints_cloudevents_in_order(run: Run, seeded: str) -> None:
    """replay --json prints the task's events as CloudEvents, one per line, in order."""
    result = run("replay", "task-1", "--json")

    assert [e["type"] for e in lines(result)] == ["task.requested", "task.started"]


def test_replay_of_a_task_without_events_fails_with_exit_1(run: Run, seeded: str) -> None:
    """A task with no events is a failed check: a message and exit code 1."""
    result = run("replay", "task-404")

    assert result.exit_code == 1
    assert "no events for task 'task-404'" in result.stderr


def test_replay_keeps_only_the_families_asked_for(run: Run, seeded: str) -> None:
    """replay --family filters the timeline to those families."""
    with fleetledger.open(seeded, default_source="tests") as ledger:
        ledger.append(
            "evaluation.scored",
            subject="task-1",
            data={"metric": "m", "score": 1.0, "evaluator": "judge"},
        )

    result = run("replay", "task-1", "--family", "evaluation", "--json")

    assert [e["type"] for e in lines(result)] == ["evaluation.scored"]


def test_replay_corrected_leaves_out_a_superseded_event(run: Run, seeded: str, url: str) -> None:
    """replay --corrected shows a correction in place of the event it corrects."""
    with fleetledger.open(url, default_source="tests") as ledger:
        original = next(ledger.replay("task-1"))
        ledger.append(
            "task.requested",
            subject="task-1",
            data={"goal": "refund order 992"},
            supersedes=original.id,
        )
    recorded = lines(run("replay", "task-1", "--json"))
    corrected = lines(run("replay", "task-1", "--corrected", "--json"))
    assert len(recorded) == 3
    assert [e["id"] for e in corrected] == [e["id"] for e in recorded[1:]]


def test_tail_last_shows_the_latest_events_of_a_partition(run: Run, seeded: str) -> None:
    """tail --last 1 shows only the newest event of the task's partition."""
    result = run("tail", "--family", "task", "--last", "1", "--json")

    assert [e["type"] for e in lines(result)] == ["task.started"]


def test_tail_prints_one_readable_line_per_event(run: Run, seeded: str) -> None:
    """Readable tail prints each event on one line with its type and subject."""
    result = run("tail", "--family", "task")

    assert len(result.stdout.splitlines()) == 2
    assert "task.requested  task-1" in result.stdout


def test_tail_follow_stops_at_its_timeout(run: Run, seeded: str) -> None:
    """tail --follow --timeout 0.5 prints what there is and ends on its own with exit 0."""
    started = time.monotonic()

    result = run("tail", "--follow", "--timeout", "0.5", "--json")

    assert result.exit_code == 0, result.output
    assert len(lines(result)) == 2
    assert time.monotonic() - started < 5


def test_topics_lists_every_family_with_its_policy(run: Run, seeded: str) -> None:
    """topics shows each family with its retention, in words."""
    result = run("topics")

    assert result.exit_code == 0, result.output
    for word in ("governance", "confidential", "forever", "7d", "compact"):
        assert word in result.stdout


def test_topics_json_counts_events_and_end_offsets(run: Run, seeded: str) -> None:
    """topics --json gives one object per topic with events and per-partition offsets."""
    topics = {t["family"]: t for t in lines(run("topics", "--json"))}

    task = topics["task"]
    assert task["events"] == 2
    assert sum(p["end"] for p in task["offsets"]) == 2  # type: ignore[attr-defined]
    assert topics["context"]["retention_ms"] == 7 * 24 * 3600 * 1000


def test_groups_shows_each_group_with_its_total_lag(run: Run, seeded: str) -> None:
    """groups shows the committed group and how far behind it is."""
    result = run("groups", "--json")

    assert lines(result) == [{"group": "audit", "partitions": 4, "lag": 1}]
    assert "audit" in run("groups").stdout


def test_groups_says_so_when_there_are_none(run: Run, url: str) -> None:
    """Without any committed group, groups says so and succeeds."""
    fleetledger.open(url).close()

    result = run("groups")

    assert result.exit_code == 0
    assert "no consumer groups" in result.stdout


def test_lag_json_gives_committed_end_and_lag_per_partition(run: Run, seeded: str) -> None:
    """lag GROUP --json prints one object per partition whose lags add up."""
    rows = lines(run("lag", "audit", "--json"))

    assert {r["topic"] for r in rows} == {"fleet.task"}
    assert sum(r["lag"] for r in rows) == 1  # type: ignore[misc]
    assert all(r["lag"] == r["end"] - r["committed"] for r in rows)  # type: ignore[operator]


def test_lag_readable_shows_a_table(run: Run, seeded: str) -> None:
    """Readable lag is a table with committed, end and lag columns."""
    result = run("lag")

    assert result.exit_code == 0, result.output
    for header in ("group", "committed", "end", "lag", "fleet.task"):
        assert header in result.stdout


@pytest.fixture
def with_foreign(seeded: str, monkeypatch: pytest.MonkeyPatch) -> ForeignRecord:
    """tail yields, after the events, a foreign record (a Kafka record no writer attested)."""
    record = ForeignRecord(
        position=Position("fleet.task", 2, 7),
        body=foreign.encode(b"k", [("h", b"v")], b"not \x1b[31m an event"),
        reason="no writer attestation",
    )
    tail = Ledger.tail

    def with_stranger(self: Ledger, *args: Any, **kwargs: Any) -> Shown[Any]:
        assert kwargs["foreign"] is True
        return Shown(itertools.chain(tail(self, *args, **kwargs), [record]), lambda _: True)

    monkeypatch.setattr(Ledger, "tail", with_stranger)
    return record


def test_tail_shows_a_foreign_record_marked(run: Run, with_foreign: ForeignRecord) -> None:
    """A record no ledger writer produced is shown, marked FOREIGN, with why and what it holds."""
    result = run("tail")

    assert result.exit_code == 0, result.output
    last = result.stdout.splitlines()[-1]
    assert last == "FOREIGN  fleet.task/2@7  no writer attestation  not \\u001b[31m an event"


def test_tail_json_gives_a_foreign_record_as_what_it_holds(
    run: Run, with_foreign: ForeignRecord
) -> None:
    """--json prints a foreign record as {foreign, position, reason, key, headers, value}."""
    last = lines(run("tail", "--json"))[-1]

    assert last == {
        "foreign": True,
        "position": "fleet.task/2@7",
        "reason": "no writer attestation",
        "key": base64.b64encode(b"k").decode(),
        "headers": [["h", base64.b64encode(b"v").decode()]],
        "value": base64.b64encode(b"not \x1b[31m an event").decode(),
    }
