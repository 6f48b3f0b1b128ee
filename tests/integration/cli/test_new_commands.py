"""``get``, ``types``, ``maintain`` and ``sign`` on a real SQLite ledger."""

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner, Result

import fleetledger
from fleetledger.cli.app import app
from fleetledger.ledger import write_key_pair
from fleetledger.testing import FakeClock

Run = Callable[..., Result]


def first_id(url: str) -> str:
    """The id of task-1's first event."""
    with fleetledger.open(url, readonly=True) as ledger:
        return next(ledger.replay("task-1")).id


def test_get_shows_an_event_readably(run: Run, seeded: str) -> None:
    """get ID prints the position, one attribute per line, and the data as indented JSON."""
    result = run("get", first_id(seeded))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("position ")
    assert "fleet.task/" in result.stdout
    assert "type " in result.stdout
    assert "task.requested" in result.stdout
    assert "\ndata\n  {\n" in result.stdout
    assert '\n    "goal": "refund order 991",\n' in result.stdout


def test_get_json_prints_the_cloudevent(run: Run, seeded: str) -> None:
    """get ID --json prints the event as one CloudEvents JSON object."""
    event_id = first_id(seeded)

    event = json.loads(run("get", event_id, "--json").stdout)

    assert (event["id"], event["specversion"], event["data"]["goal"]) == (
        event_id,
        "1.0",
        "refund order 991",
    )


def test_get_of_an_unknown_id_exits_2(run: Run, seeded: str) -> None:
    """No event with that id: one line, exit 2."""
    result = run("get", "no-such-id")

    assert result.exit_code == 2
    assert result.stderr == "error: no event with id 'no-such-id'\n"


def test_types_lists_the_catalogue_with_kind_and_classification(run: Run, seeded: str) -> None:
    """types shows each type with intent or fact, its classification and its description."""
    result = run("types")

    assert result.exit_code == 0, result.output
    assert "tool.call.requested" in result.stdout
    assert "intent" in result.stdout
    assert "confidential" in result.stdout


def test_types_json_gives_one_object_per_type_with_its_family(run: Run, seeded: str) -> None:
    """types --json: one object per line; the family is the type's first segment."""
    rows = [json.loads(line) for line in run("types", "--json").stdout.splitlines()]

    with fleetledger.open("memory://") as ledger:
        assert [row["type"] for row in rows] == list(ledger.types())
    requested = next(row for row in rows if row["type"] == "task.requested")
    assert requested | {"description": ""} == {
        "type": "task.requested",
        "family": "task",
        "kind": "intent",
        "classification": "internal",
        "version": 1,
        "description": "",
    }


def test_types_of_one_type_lists_its_data_fields(run: Run, seeded: str) -> None:
    """types TYPE --json gives its fields: name, type, required, default."""
    spec = json.loads(run("types", "tool.call.requested", "--json").stdout)

    fields = {field["name"]: field for field in spec["fields"]}
    assert fields["call_id"] == {
        "name": "call_id",
        "type": "string",
        "required": True,
        "default": None,
    }
    assert fields["arguments"]["required"] is False
    assert fields["arguments"]["default"] == {}
    assert fields["reason"]["type"] == "string | null"


def test_types_of_one_type_shows_a_table_of_fields(run: Run, seeded: str) -> None:
    """types TYPE prints what the type is, then its fields with required or default."""
    result = run("types", "state.summary")

    assert result.exit_code == 0, result.output
    assert "state.summary (version 1): fact of the state family" in result.stdout
    assert "'assigned' | 'awaiting_approval'" in result.stdout
    assert "required" in result.stdout
    assert "optional" in result.stdout


def test_types_of_an_unknown_type_exits_2(run: Run, seeded: str) -> None:
    """An unknown TYPE is refused, pointing at the list."""
    result = run("types", "task.nope")

    assert result.exit_code == 2
    assert "no event type 'task.nope'" in result.stderr


def test_maintain_removes_what_retention_expired_and_says_how_many(run: Run, url: str) -> None:
    """Events of the 7-day context family recorded long ago are removed; the count is printed."""
    clock = FakeClock()  # 2025-01-01: long before now
    with fleetledger.open(url, clock=clock, default_source="tests") as ledger:
        ledger.append("context.retrieved", subject="t", data={"query": "q"})
        ledger.append("task.requested", subject="t", data={"goal": "g"})

    result = run("maintain", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"removed": 1}
    assert "removed 0 records" in run("maintain").stdout


def test_sign_signs_a_head_over_every_event_now(run: Run, url: str, tmp_path: Path) -> None:
    """sign --key signs the changed partitions and a head; prove --heads then lists it."""
    key, _ = write_key_pair("ledger.example/acme", tmp_path)
    with fleetledger.open(url, signer=False, default_source="tests") as ledger:
        ledger.append("task.requested", subject="t", data={"goal": "g"})

    result = run("sign", "--key", str(key))

    assert result.exit_code == 0, result.output
    assert result.stdout == "signed 1 partition checkpoint and a ledger head\n"
    assert json.loads(run("prove", "--heads", "--json").stdout)[0]["size"] == 1


def test_sign_with_nothing_new_says_so(run: Run, url: str, tmp_path: Path) -> None:
    """A second sign finds every partition's checkpoint current."""
    key, _ = write_key_pair("ledger.example/acme", tmp_path)
    with fleetledger.open(url, signer=key, default_source="tests") as ledger:
        ledger.append("task.requested", subject="t", data={"goal": "g"})

    result = run("sign", "--key", str(key), "--json")

    assert json.loads(result.stdout) == {"partitions": 0}


def test_sign_without_a_key_exits_2_saying_where_to_give_one(run: Run, seeded: str) -> None:
    """No --key, no ?key=, no $FLEETLEDGER_KEY: exit 2 naming all three."""
    result = run("sign")

    assert result.exit_code == 2
    assert "give --key NAME.key, the URL option ?key=, or $FLEETLEDGER_KEY" in result.stderr


def test_sign_on_a_ledger_that_does_not_sign_exits_2(run: Run, tmp_path: Path) -> None:
    """memory:// keeps no trees to sign: exit 2, saying so."""
    key, _ = write_key_pair("ledger.example/acme", tmp_path)

    result = run("sign", "--key", str(key), ledger="memory://")

    assert result.exit_code == 2
    assert "keeps no Merkle trees to sign" in result.stderr


def test_types_fits_80_columns(seeded: str) -> None:
    """The catalogue reads on an 80-column terminal: no line is cut or longer."""
    runner = CliRunner(env={"COLUMNS": "80"})

    result = runner.invoke(app, ["types", "--ledger", seeded])

    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "  An entry of the agent's long-term memory was" in result.stdout
