"""``fleetledger mirror``: copy, translate groups, check; exit 0, 1 (differs) or 2 (bad input)."""

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import fleetledger
from fleetledger import FamilyPolicy, Ledger
from fleetledger.cli.app import app

Mirror = Callable[..., Result]


@pytest.fixture
def mirror_cli() -> Mirror:
    """Run ``fleetledger mirror ARGS`` in-process, with wide output."""

    def invoke(*args: str) -> Result:
        runner = CliRunner(env={"COLUMNS": "200", "FLEETLEDGER_URL": None})
        return runner.invoke(app, ["mirror", *args])

    return invoke


def add_tasks(ledger: Ledger, count: int, prefix: str = "task") -> None:
    """Append ``count`` tasks, each requested, started and summarized."""
    for n in range(count):
        task = f"{prefix}-{n}"
        ledger.append_many(
            [
                {"type": "task.requested", "subject": task, "data": {"goal": f"goal {n}"}},
                {"type": "task.started", "subject": task},
                {
                    "type": "state.summary",
                    "subject": task,
                    "data": {"status": "running", "last_event_type": "task.started"},
                },
            ]
        )


@pytest.fixture
def source(tmp_path: Path) -> str:
    """A SQLite ledger with 10 tasks and a group ``audit`` that read 5 task events."""
    url = f"sqlite:///{tmp_path / 'src.db'}"
    with fleetledger.open(url, default_source="tests") as ledger:
        add_tasks(ledger, 10)
        with ledger.consumer("audit", ["task"]) as consumer:
            consumer.poll(max=5)
            consumer.commit()
    return url


@pytest.fixture
def target(tmp_path: Path) -> str:
    """Where to mirror: a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'dst.db'}"


def events(url: str) -> int:
    """Events retained in the ledger at ``url``."""
    with fleetledger.open(url) as ledger:
        return sum(info.events for info in ledger.topics())


def report(result: Result) -> dict[str, Any]:
    """The JSON report a --json run printed."""
    value: dict[str, Any] = json.loads(result.stdout)
    return value


def test_mirror_copies_the_ledger_and_the_check_passes(
    mirror_cli: Mirror, source: str, target: str
) -> None:
    """A mirror exits 0, says how many events it copied, and that both sides match."""
    result = mirror_cli(source, target)

    assert result.exit_code == 0, result.output
    assert "copied 30 events" in result.stdout
    assert "both sides hold the same 30 events" in result.stdout
    assert events(target) == 30


def test_mirror_json_prints_one_report_with_every_partition(
    mirror_cli: Mirror, source: str, target: str
) -> None:
    """--json prints one object: ok, copied, and a digest per side of every partition."""
    result = mirror_cli(source, target, "--json")

    data = report(result)
    partitions = data["partitions"]
    assert data["ok"] is True
    assert data["copied"] == 30
    assert len(partitions) == 24
    assert all(p["source"] == p["destination"] for p in partitions)


def test_a_second_run_copies_nothing(mirror_cli: Mirror, source: str, target: str) -> None:
    """Running the same mirror again finds the destination up to date."""
    mirror_cli(source, target)

    result = mirror_cli(source, target, "--json")

    assert report(result)["copied"] == 0
    assert events(target) == 30


def test_groups_resume_at_the_same_event_on_the_destination(
    mirror_cli: Mirror, source: str, target: str
) -> None:
    """With --groups, the audit group reads the same next events on the copy."""
    result = mirror_cli(source, target, "--groups")

    assert result.exit_code == 0, result.output
    assert "group position(s) (audit)" in result.stdout
    with (
        fleetledger.open(source) as src,
        fleetledger.open(target) as dst,
        src.consumer("audit", ["task"]) as before,
        dst.consumer("audit", ["task"]) as after,
    ):
        assert [e.id for e in after.poll(max=100)] == [e.id for e in before.poll(max=100)]


def test_without_groups_no_group_is_moved(mirror_cli: Mirror, source: str, target: str) -> None:
    """Group positions move only when asked."""
    mirror_cli(source, target)

    with fleetledger.open(target) as dst:
        assert dst.groups() == []


def test_a_destination_with_another_partition_count_exits_2(
    mirror_cli: Mirror, source: str, target: str
) -> None:
    """A topic with another partition count on the destination is one clear line, exit 2."""
    two = [FamilyPolicy(family="task", partitions=2)]
    with fleetledger.open(target, policies=two):
        pass

    result = mirror_cli(source, target)

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert "'fleet.task'" in result.stderr
    assert "2 partitions" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    with fleetledger.open(target, policies=two) as dst:
        assert sum(info.events for info in dst.topics()) == 0


def test_a_tampered_destination_fails_the_check_naming_the_partition(
    mirror_cli: Mirror, source: str, target: str
) -> None:
    """An event appended only to the copy makes the next mirror exit 1 naming its partition."""
    mirror_cli(source, target)
    with fleetledger.open(target, default_source="intruder") as dst:
        where = dst.append("task.requested", subject="task-0", data={"goal": "forged"})

    result = mirror_cli(source, target)

    assert result.exit_code == 1, result.output
    assert f"1 partition(s) differ: fleet.task/{where.partition}" in result.stderr
    assert f"fleet.task/{where.partition}" in result.stdout
    assert "ahead" in result.stdout


def test_check_only_passes_on_an_identical_copy(
    mirror_cli: Mirror, source: str, target: str
) -> None:
    """--check-only exits 0 when both sides hold the same events."""
    mirror_cli(source, target)

    result = mirror_cli(source, target, "--check-only")

    assert result.exit_code == 0, result.output
    assert "both sides hold the same 30 events" in result.stdout


def test_check_only_fails_and_copies_nothing_when_the_copy_is_behind(
    mirror_cli: Mirror, source: str, target: str
) -> None:
    """--check-only on a stale copy exits 1 and leaves the copy as it was."""
    mirror_cli(source, target)
    with fleetledger.open(source, default_source="tests") as src:
        add_tasks(src, 1, prefix="late")

    result = mirror_cli(source, target, "--check-only", "--json")

    assert result.exit_code == 1
    assert {p["match"] for p in report(result)["partitions"]} == {"same", "behind"}
    assert events(target) == 30


def test_follow_copies_events_appended_during_the_run(
    mirror_cli: Mirror, source: str, target: str
) -> None:
    """--follow --timeout keeps copying what a writer appends meanwhile, then exits 0."""

    def write_later() -> None:
        time.sleep(0.5)
        with fleetledger.open(source, default_source="tests") as src:
            add_tasks(src, 4, prefix="live")

    writer = threading.Thread(target=write_later)
    writer.start()
    try:
        result = mirror_cli(source, target, "--follow", "--timeout", "2.5", "--json")
    finally:
        writer.join()

    assert result.exit_code == 0, result.output
    assert report(result)["copied"] == 42
    assert events(target) == 42


def test_a_non_following_run_stopped_by_ctrl_c_says_how_to_resume(
    mirror_cli: Mirror, source: str, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during a one-shot copy exits 130 with one line: how far it got, run it again."""

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("fleetledger.cli.mirror.copy_ledger", interrupted)

    result = mirror_cli(source, target)

    assert result.exit_code == 130
    assert result.stderr.startswith("interrupted: copied 0 events; run the same command again")
    assert len(result.stderr.splitlines()) == 1


BAD = {
    "unsupported scheme": (["{src}", "nosuch://x"], "unsupported ledger URL scheme"),
    "not a URL": (["{src}", "copy.db"], "not a ledger URL"),
    "missing source file": (["sqlite:///{tmp}/missing.db", "{dst}"], "no ledger at"),
    "missing directory": (["{src}", "sqlite:///{tmp}/nowhere/d.db"], "does not exist"),
    "same ledger": (["{src}", "{src}"], "the same ledger"),
    "timeout without follow": (["{src}", "{dst}", "--timeout", "1"], "only applies with --follow"),
    "check-only and follow": (["{src}", "{dst}", "--check-only", "--follow"], "copies nothing"),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_bad_input_exits_2_with_one_line(
    mirror_cli: Mirror,
    source: str,
    target: str,
    tmp_path: Path,
    case: tuple[list[str], str],
) -> None:
    """Each mistake is one red line naming it, exit 2, and no file is created."""
    args, message = case
    filled = [
        a.replace("{src}", source).replace("{dst}", target).replace("{tmp}", str(tmp_path))
        for a in args
    ]

    result = mirror_cli(*filled)

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "missing.db").exists()
    assert not (tmp_path / "dst.db").exists()
