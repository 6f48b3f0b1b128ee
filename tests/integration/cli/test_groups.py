"""``groups`` lists consumer groups; ``groups reset|seek|delete`` move or forget one."""

import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner, Result

import fleetledger
from fleetledger.cli.app import app

Run = Callable[..., Result]


def committed(url: str, group: str = "audit") -> dict[tuple[str, int], int]:
    """The group's committed offsets where it has any."""
    with fleetledger.open(url, readonly=True) as ledger:
        return {(r.topic, r.partition): r.committed for r in ledger.lag(group)}


def task_partition(url: str) -> int:
    """The partition of the task family holding task-1's events."""
    with fleetledger.open(url, readonly=True) as ledger:
        position = next(ledger.replay("task-1")).position
    assert position is not None
    return position.partition


def test_groups_reset_to_earliest_moves_every_partition_to_its_start(run: Run, seeded: str) -> None:
    """reset --to earliest: the group re-reads everything; one JSON line per partition moved."""
    result = run("groups", "reset", "audit", "--to", "earliest", "--json")

    assert result.exit_code == 0, result.output
    moves = [json.loads(line) for line in result.stdout.splitlines()]
    assert {m["to"] for m in moves} == {0}
    assert set(committed(seeded).values()) == {0}


def test_groups_reset_to_latest_leaves_no_lag(run: Run, seeded: str) -> None:
    """reset --to latest: the group skips to the end of its partitions."""
    run("groups", "reset", "audit", "--to", "latest")

    rows = [json.loads(line) for line in run("lag", "audit", "--json").stdout.splitlines()]
    assert sum(row["lag"] for row in rows) == 0


def test_groups_reset_says_what_it_moved(run: Run, seeded: str) -> None:
    """Readable output lists each partition: from where, to where."""
    partition = task_partition(seeded)

    result = run("groups", "reset", "audit", "--to", "latest")

    assert result.stdout.startswith("moved consumer group audit:\n")
    assert f"  fleet.task/{partition}: 1 -> 2\n" in result.stdout


def test_groups_reset_can_be_narrowed_to_families(run: Run, seeded: str) -> None:
    """--family moves only that family's partitions (here one the group never read)."""
    result = run("groups", "reset", "audit", "--to", "latest", "--family", "tool", "--json")

    assert {json.loads(line)["topic"] for line in result.stdout.splitlines()} == {"fleet.tool"}


def test_groups_seek_to_a_time_before_every_event_moves_to_the_start(run: Run, seeded: str) -> None:
    """seek --to-time 1h: every event was recorded later, so the group moves to offset 0."""
    result = run("groups", "seek", "audit", "--to-time", "1h")

    assert result.exit_code == 0, result.output
    assert set(committed(seeded).values()) == {0}


def test_groups_seek_to_an_offset_moves_one_partition(run: Run, seeded: str) -> None:
    """seek --to-offset N --family F --partition P commits that one position."""
    partition = task_partition(seeded)

    result = run(
        "groups", "seek", "audit", "--to-offset", "2", "--family", "task",
        "--partition", str(partition), "--json",
    )  # fmt: skip

    assert [json.loads(line)["to"] for line in result.stdout.splitlines()] == [2]
    assert committed(seeded)[("fleet.task", partition)] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give one of --to-time TIME or --to-offset N"),
        (["--to-time", "1h", "--to-offset", "0"], "give one of --to-time TIME or --to-offset N"),
        (["--to-offset", "0"], "--to-offset moves one partition"),
        (["--to-offset", "0", "--family", "task"], "--to-offset moves one partition"),
        (["--to-time", "2025-01-01T00:00:00"], "has no timezone"),
    ],
    ids=["no target", "two targets", "offset alone", "offset without partition", "naive time"],
)
def test_groups_seek_refuses_an_unclear_target_with_exit_2(
    run: Run, seeded: str, args: list[str], message: str
) -> None:
    """A target that does not say exactly where to move is a usage error; nothing moves."""
    before = committed(seeded)

    result = run("groups", "seek", "audit", *args)

    assert result.exit_code == 2
    assert message in result.stderr
    assert committed(seeded) == before


def test_groups_delete_forgets_the_group(run: Run, seeded: str) -> None:
    """delete: the group is no longer listed."""
    result = run("groups", "delete", "audit")

    assert result.exit_code == 0, result.output
    assert result.stdout == "deleted consumer group audit\n"
    assert "no consumer groups" in run("groups").stdout


def test_groups_delete_of_a_group_that_never_committed_exits_2(run: Run, seeded: str) -> None:
    """A typo in the group name is refused, not silently accepted."""
    result = run("groups", "delete", "adit")

    assert result.exit_code == 2
    assert "consumer group 'adit' has never committed" in result.stderr


def test_groups_takes_the_ledger_before_its_subcommand_too(run: Run, seeded: str) -> None:
    """groups --ledger URL reset ...: the group's option reaches the subcommand."""
    result = CliRunner(env={"FLEETLEDGER_URL": None}).invoke(
        app, ["groups", "--ledger", seeded, "reset", "audit", "--to", "earliest"]
    )

    assert result.exit_code == 0, result.output
    assert set(committed(seeded).values()) == {0}
