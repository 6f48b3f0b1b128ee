"""``consume`` runs handlers over a group; ``dlq list|show|retry|drop`` tends its dead letters."""

import json
import os
from collections.abc import Iterator

import pytest

from tests.integration.cli.conftest import Run

HANDLERS = "tests.integration.cli.consume_handlers"


@pytest.fixture
def broken() -> Iterator[None]:
    """The picky handler fails until the test unsets this."""
    os.environ["CONSUME_TEST_BROKEN"] = "1"
    yield
    os.environ.pop("CONSUME_TEST_BROKEN", None)


def consume(run: Run, *options: str) -> dict[str, object]:
    """Run ``consume audit --until-idle --json`` and return its summary."""
    result = run("consume", "audit", "--until-idle", "--json", *options)
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return summary


def test_consume_handles_the_group_and_prints_a_summary(run: Run, seeded: str) -> None:
    """Two task events handled, stopped when idle."""
    summary = consume(run, "--handler", f"{HANDLERS}:ok", "--families", "task")

    assert summary["group"] == "audit"
    assert (summary["handled"], summary["dead_lettered"], summary["stopped"]) == (1, 0, "idle")


def test_consume_prints_a_readable_summary_without_json(run: Run, seeded: str) -> None:
    """One line naming the group and the counts."""
    result = run(
        "consume", "g2", "--handler", f"{HANDLERS}:ok", "--families", "task", "--until-idle"
    )

    assert result.exit_code == 0, result.output
    assert (
        "group g2: 2 events, 2 handled, 0 retries, 0 dead-lettered (stopped: idle)" in result.stdout
    )


def test_types_narrow_the_handled_events(run: Run, seeded: str) -> None:
    """--types task.started: only that event is handled, both are read."""
    result = run(
        "consume",
        "g3",
        "--handler",
        f"{HANDLERS}:ok",
        "--families",
        "task",
        "--types",
        "task.started",
        "--until-idle",
        "--json",
    )

    summary = json.loads(result.stdout)
    assert (summary["events"], summary["handled"]) == (2, 1)


def test_max_events_stops_the_run(run: Run, seeded: str) -> None:
    """--max-events 1 handles one event and says why it stopped."""
    result = run("consume", "g4", "--handler", f"{HANDLERS}:ok", "--max-events", "1", "--json")

    assert json.loads(result.stdout)["stopped"] == "max_events"


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        ("no_colon", "give MODULE:FUNCTION"),
        ("no_such_module_xyz:f", "cannot import"),
        (f"{HANDLERS}:missing", "has no 'missing'"),
        (f"{HANDLERS}:NOT_CALLABLE", "not callable"),
    ],
)
def test_a_bad_handler_is_a_usage_error(run: Run, seeded: str, handler: str, message: str) -> None:
    """Exit 2 and one line saying what is wrong with --handler."""
    result = run("consume", "audit", "--handler", handler)

    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("broken")
def test_dlq_list_shows_what_consume_dead_lettered(run: Run, seeded: str) -> None:
    """A failing handler: each event dead-lettered after --attempts, listed with its error."""
    summary = consume(
        run, "--handler", f"{HANDLERS}:picky", "--families", "task", "--attempts", "1"
    )

    rows = [json.loads(line) for line in run("dlq", "list", "--json").stdout.splitlines()]
    assert summary["dead_lettered"] == 1
    assert [(r["subject"], r["status"], r["attempts"]) for r in rows] == [("task-1", "recorded", 1)]
    assert rows[0]["error"]["type"] == "ValueError"
    assert rows[0]["handler"] == f"{HANDLERS}:picky"


@pytest.mark.usefixtures("broken")
def test_dlq_show_includes_the_original_event(run: Run, seeded: str) -> None:
    """show --json: the entry and the event (the ledger is open to everyone here)."""
    consume(run, "--handler", f"{HANDLERS}:picky", "--families", "task", "--attempts", "1")
    letter = json.loads(run("dlq", "list", "--json").stdout.splitlines()[0])

    shown = json.loads(run("dlq", "show", letter["id"], "--json").stdout)

    assert shown["letter"]["id"] == letter["id"]
    assert shown["event"]["id"] == letter["event_id"]


@pytest.mark.usefixtures("broken")
def test_dlq_retry_after_the_fix_resolves_on_the_next_consume(run: Run, seeded: str) -> None:
    """retry marks it; the next consume with the fixed handler records it resolved."""
    consume(run, "--handler", f"{HANDLERS}:picky", "--families", "task", "--attempts", "1")
    letter = json.loads(run("dlq", "list", "--json").stdout.splitlines()[0])

    retried = run("dlq", "retry", letter["id"], "--json")
    os.environ.pop("CONSUME_TEST_BROKEN")
    summary = consume(run, "--handler", f"{HANDLERS}:picky", "--families", "task")

    assert json.loads(retried.stdout)["status"] == "retry-requested"
    assert summary["resolved"] == 1
    assert json.loads(run("dlq", "show", letter["id"], "--json").stdout)["letter"]["status"] == (
        "resolved"
    )


@pytest.mark.usefixtures("broken")
def test_dlq_drop_keeps_the_entry_and_a_dropped_one_cannot_be_retried(
    run: Run, seeded: str
) -> None:
    """drop: listed as dropped; retrying it is a usage error."""
    consume(run, "--handler", f"{HANDLERS}:picky", "--families", "task", "--attempts", "1")
    letter = json.loads(run("dlq", "list", "--json").stdout.splitlines()[0])

    dropped = run("dlq", "drop", letter["id"])
    retried = run("dlq", "retry", letter["id"])

    assert dropped.exit_code == 0
    assert f"dead letter {letter['id']}: dropped" in dropped.stdout
    assert len(run("dlq", "list", "--status", "dropped", "--json").stdout.splitlines()) == 1
    assert retried.exit_code == 2
    assert "dropped" in retried.stderr


def test_dlq_show_of_an_unknown_id_is_a_usage_error(run: Run, seeded: str) -> None:
    """Exit 2, saying how to find the ids."""
    result = run("dlq", "show", "nope")

    assert result.exit_code == 2
    assert "dlq list" in result.stderr


def test_dlq_list_of_an_empty_queue_says_so(run: Run, seeded: str) -> None:
    """No dead letters: one plain line."""
    assert run("dlq", "list").stdout == "no dead letters\n"
