"""``fleetledger emit``: one event from options, or many atomically from JSON Lines."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

import fleetledger

Run = Callable[..., Result]

REQUEST = {"type": "task.requested", "subject": "task-9", "data": {"goal": "refund"}}


def test_emit_prints_the_position_of_the_new_event(run: Run) -> None:
    """Without --json, emit prints where the event was stored: topic/partition@offset."""
    result = run("emit", "task.requested", "--subject", "task-9", "--data", '{"goal": "refund"}')

    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith("fleet.task/")


def test_emitted_event_shows_in_the_replay_of_its_task(run: Run) -> None:
    """An emitted event appears in the replay timeline of its subject."""
    run("emit", "task.requested", "--subject", "task-9", "--data", '{"goal": "refund"}')

    result = run("replay", "task-9")

    assert result.exit_code == 0, result.output
    assert "requested" in result.stdout
    assert "goal=refund" in result.stdout


def test_emit_json_prints_the_stored_event_as_cloudevents(run: Run) -> None:
    """emit --json prints the stored event: CloudEvents 1.0 with the given type and subject."""
    result = run("emit", "task.started", "--subject", "task-9", "--agent", "planner", "--json")

    event = json.loads(result.stdout)
    assert event["specversion"] == "1.0"
    assert (event["type"], event["subject"], event["agentid"]) == (
        "task.started",
        "task-9",
        "planner",
    )
    assert event["id"]
    assert event["recordedtime"]


def test_emit_defaults_the_source_to_the_cli_user(run: Run) -> None:
    """Without --source, the event's source names the command line and the user."""
    result = run("emit", "task.started", "--subject", "task-9", "--json")

    assert json.loads(result.stdout)["source"].startswith("cli/")


def test_emit_reads_data_from_a_file_after_an_at_sign(run: Run, tmp_path: Path) -> None:
    """--data @file.json takes the event data from that file."""
    data = tmp_path / "data.json"
    data.write_text('{"goal": "from a file"}')

    result = run("emit", "task.requested", "--subject", "task-9", "--data", f"@{data}", "--json")

    assert json.loads(result.stdout)["data"]["goal"] == "from a file"


def test_emit_file_appends_every_line(run: Run, tmp_path: Path, count: Callable[[], int]) -> None:
    """emit --file appends one event per non-blank line and says how many per family."""
    lines = [
        REQUEST,
        {"type": "tool.call.requested", "subject": "task-9", "data": {"call_id": "c", "tool": "t"}},
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")

    result = run("emit", "--file", str(path))

    assert result.exit_code == 0, result.output
    assert "appended 2 events (task 1, tool 1)" in result.stdout
    assert count() == 2


def test_emit_file_reads_stdin_for_a_dash(run: Run, count: Callable[[], int]) -> None:
    """emit --file - reads the JSON Lines from standard input."""
    result = run("emit", "--file", "-", input=json.dumps(REQUEST) + "\n")

    assert result.exit_code == 0, result.output
    assert count() == 1


def test_emit_file_json_prints_each_stored_event(run: Run) -> None:
    """emit --file --json prints every stored event as CloudEvents JSON, one per line."""
    text = "\n".join(json.dumps({**REQUEST, "subject": s}) for s in ("a", "b"))

    result = run("emit", "--file", "-", "--json", input=text)

    assert [json.loads(line)["subject"] for line in result.stdout.splitlines()] == ["a", "b"]


def test_emit_file_with_one_bad_line_appends_nothing(
    run: Run, tmp_path: Path, count: Callable[[], int]
) -> None:
    """One invalid event in the file refuses the whole batch and names its line."""
    bad = {"type": "task.started", "subject": "task-9", "data": {"nope": 1}}
    path = tmp_path / "events.jsonl"
    path.write_text(f"{json.dumps(REQUEST)}\n\n{json.dumps(bad)}\n")

    result = run("emit", "--file", str(path))

    assert result.exit_code == 2
    assert "line 3" in result.stderr
    assert "data.nope" in result.stderr
    assert count() == 0


def test_emit_file_with_a_malformed_line_appends_nothing(
    run: Run, count: Callable[[], int]
) -> None:
    """A line that is not JSON refuses the whole file and names the line."""
    result = run("emit", "--file", "-", input=json.dumps(REQUEST) + "\n{oops\n")

    assert result.exit_code == 2
    assert "stdin line 2 is not valid JSON" in result.stderr
    assert count() == 0


def test_emit_with_an_existing_id_stores_it_once(run: Run, url: str) -> None:
    """Emitting the same id twice stores one event; the second says it is already present."""
    args = ("emit", "task.started", "--subject", "task-9", "--id", "evt-1")

    first, second = run(*args), run(*args)

    assert second.stdout.startswith(f"already present at {first.stdout.strip()}")
    with fleetledger.open(url) as ledger:
        assert len(list(ledger.replay("task-9"))) == 1


def test_emit_file_names_the_line_of_a_single_bad_event(run: Run) -> None:
    """A one-event file whose event is refused still names line 1."""
    bad = {"type": "task.started", "subject": "task-9", "data": {"nope": 1}}

    result = run("emit", "--file", "-", input=json.dumps(bad) + "\n")

    assert result.exit_code == 2
    assert "stdin line 1: task.started" in result.stderr


def test_emit_file_with_an_oversized_event_exits_2(run: Run, url: str) -> None:
    """An oversized event among several in a file is refused like any other bad line."""
    small = {"type": "task.requested", "subject": "t", "data": {"goal": "x"}}
    big = {"type": "task.requested", "subject": "t", "data": {"goal": "x" * 2000}}
    text = f"{json.dumps(small)}\n{json.dumps(big)}\n"

    result = run("emit", "--file", "-", input=text, ledger=f"{url}?max_event_bytes=1024")

    assert result.exit_code == 2, result.output
    assert "stdin line 2: event is" in result.stderr
    assert "above the limit of 1024 bytes" in result.stderr


def test_emit_file_counts_events_already_present_apart(run: Run, tmp_path: Path) -> None:
    """Re-appending a file with ids says how many it appended and how many were there."""
    first = [{**REQUEST, "id": "e-1"}]
    both = [*first, {**REQUEST, "id": "e-2"}, {**REQUEST, "id": "e-3"}]
    run("emit", "--file", "-", input=json.dumps(first[0]))

    result = run("emit", "--file", "-", input="\n".join(json.dumps(e) for e in both))

    assert result.exit_code == 0, result.output
    assert result.stdout == "appended 2 events (task 2); 1 already present\n"


def test_emit_file_of_events_all_present_appends_none(run: Run) -> None:
    """A file whose every event is stored already appends nothing, and says so."""
    line = json.dumps({**REQUEST, "id": "e-1"})
    run("emit", "--file", "-", input=line)

    result = run("emit", "--file", "-", input=line)

    assert result.stdout == "appended 0 events; 1 already present\n"


def test_emit_of_an_id_stored_with_other_content_exits_2_naming_it(run: Run) -> None:
    """An id that names another event is an id conflict: exit 2, the id and where it lives."""
    run("emit", "task.started", "--subject", "task-9", "--id", "evt-1")

    result = run("emit", "task.started", "--subject", "task-8", "--id", "evt-1")

    assert result.exit_code == 2
    assert "event id 'evt-1' is already stored at fleet.task/" in result.stderr


DEEP = "[" * 5000 + "]" * 5000
DEEPISH = "[" * 150 + "]" * 150
HUGE = "9" * 5000
TOOL = '{{"call_id": "c", "tool": "t", "arguments": {{"n": {value}}}}}'


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (DEEP, "--data nests more than 99 levels deep"),
        (DEEPISH, "--data nests more than 99 levels deep"),
        (HUGE, "--data holds an integer of 5000 digits, beyond ±2^53-1"),
        ("9007199254740993", "beyond ±2^53-1"),
    ],
    ids=["nested 5000 deep", "nested 150 deep", "5000 digits", "2^53+1"],
)
def test_emit_data_too_deep_or_too_big_exits_2_with_one_line(
    run: Run, count: Callable[[], int], value: str, message: str
) -> None:
    """--data that nests too deep or holds a huge integer: exit 2, one line, nothing stored."""
    result = run(
        "emit", "tool.call.requested", "--subject", "t", "--data", TOOL.format(value=value)
    )

    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert count() == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [(DEEP, "stdin line 2 nests more than 100 levels"), (HUGE, "stdin line 2 holds an integer")],
    ids=["nested 5000 deep", "5000 digits"],
)
def test_emit_file_lines_too_deep_or_too_big_exit_2_naming_the_line(
    run: Run, count: Callable[[], int], value: str, message: str
) -> None:
    """--file lines are held to the same limits, and the refusal names the line."""
    bad = {"type": "tool.call.requested", "subject": "t", "data": "X"}
    text = json.dumps(REQUEST) + "\n" + json.dumps(bad).replace('"X"', TOOL.format(value=value))

    result = run("emit", "--file", "-", input=text)

    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert count() == 0


def test_data_nested_as_deep_as_emit_allows_is_appended(run: Run) -> None:
    """The depth --data is allowed is the depth the contract encodes: data 99 levels deep is
    appended, 100 levels are refused by emit itself (nothing passes its check only to be
    refused by the ledger)."""

    def nested(levels: int) -> str:
        chain: object = 1
        for _ in range(levels - 2):  # data and inputs are the first two levels
            chain = [chain]
        return json.dumps({"goal": "g", "inputs": {"n": chain}})

    ok = run("emit", "task.requested", "--subject", "t-1", "--data", nested(99))
    refused = run("emit", "task.requested", "--subject", "t-1", "--data", nested(100))
    assert ok.exit_code == 0, ok.output
    assert refused.exit_code == 2
    assert "--data nests more than 99 levels deep" in refused.stderr
