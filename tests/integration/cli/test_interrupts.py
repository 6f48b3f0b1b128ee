"""Ctrl-C: exit 130 with one line saying what was committed; a --follow stopped by it is a
normal stop (exit 0)."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

import fleetledger
from fleetledger import Ledger

Run = Callable[..., Result]

CLI = [sys.executable, "-m", "fleetledger.cli"]
EVENTS = [
    {"type": "task.requested", "subject": "task-9", "data": {"goal": "refund"}},
    {"type": "task.started", "subject": "task-9"},
    {"type": "task.completed", "subject": "task-9"},
]


def interrupt(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Send SIGINT, then wait: the exit code, stdout and stderr."""
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("the command was still running 30 s after Ctrl-C")
    return process.returncode, out, err


@pytest.mark.slow
def test_ctrl_c_while_emit_reads_its_file_exits_130_having_written_nothing(
    url: str, tmp_path: Path, count: Callable[[], int]
) -> None:
    """Interrupted while reading a slow file: exit 130, one line, no event appended."""
    fifo = tmp_path / "events.jsonl"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [*CLI, "emit", "--file", str(fifo), "--ledger", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with fifo.open("w") as writer:  # returns once the command has opened the file to read it
        writer.write(json.dumps(EVENTS[0]) + "\n")
        writer.flush()

        code, _, err = interrupt(process)

    assert code == 130
    assert err == "interrupted: nothing was written\n"
    assert count() == 0


@pytest.mark.slow
def test_ctrl_c_ends_tail_follow_as_a_normal_stop(run: Run, seeded: str) -> None:
    """tail --follow stopped by Ctrl-C after printing exits 0."""
    process = subprocess.Popen(
        [*CLI, "tail", "--follow", "--json", "--ledger", seeded],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    printed = [process.stdout.readline() for _ in range(2)]  # then it is following

    code, _, err = interrupt(process)

    assert code == 0, err
    assert [json.loads(line)["type"] for line in printed] == ["task.requested", "task.started"]


def ctrl_c_during_the_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Press Ctrl-C while append_many commits (it finishes all the same)."""
    original = Ledger.append_many

    def pressed(self: Ledger, events: Any) -> Any:
        os.kill(os.getpid(), signal.SIGINT)
        return original(self, events)

    monkeypatch.setattr(Ledger, "append_many", pressed)


def test_ctrl_c_during_a_batch_commit_waits_and_says_all_was_committed(
    run: Run, count: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch is all or nothing: Ctrl-C lets it finish, exits 130 and says all 3 are in."""
    ctrl_c_during_the_commit(monkeypatch)
    lines = "\n".join(json.dumps({**e, "id": f"e-{n}"}) for n, e in enumerate(EVENTS))

    result = run("emit", "--file", "-", input=lines)

    assert result.exit_code == 130
    assert result.stderr.startswith(
        "interrupted: the batch of 3 events was committed whole (3 appended, 0 already present)"
    )
    assert count() == 3


def test_after_an_interrupted_batch_with_ids_a_rerun_is_called_safe(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the file gives every event an id, the line says running it again is safe."""
    ctrl_c_during_the_commit(monkeypatch)
    lines = "\n".join(json.dumps({**e, "id": f"e-{n}"}) for n, e in enumerate(EVENTS))

    result = run("emit", "--file", "-", input=lines)

    assert "running it again is safe: every event has an id" in result.stderr


def test_after_an_interrupted_batch_without_ids_a_rerun_is_called_unsafe(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When events lack ids, the line says a re-run would append them again."""
    ctrl_c_during_the_commit(monkeypatch)
    lines = "\n".join(json.dumps(e) for e in EVENTS)

    result = run("emit", "--file", "-", input=lines)

    assert "do not run it again: 3 events without an id in the file would be appended again" in (
        result.stderr
    )
    assert len(result.stderr.splitlines()) == 1


def test_ctrl_c_during_a_single_emit_says_where_the_event_was_committed(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """emit of one event interrupted during its commit: exit 130, its position named."""
    ctrl_c_during_the_commit(monkeypatch)

    result = run("emit", "task.started", "--subject", "task-9")

    assert result.exit_code == 130
    assert result.stderr.startswith("interrupted: the event was committed at fleet.task/")


def copied(url: str) -> int:
    """How many events the copy holds so far (0 while it is not a ledger yet)."""
    try:
        with fleetledger.open(url, readonly=True) as ledger:
            return sum(info.events for info in ledger.topics())
    except fleetledger.LedgerError:
        return 0


@pytest.mark.slow
def test_ctrl_c_ends_mirror_follow_as_a_normal_stop(seeded: str, tmp_path: Path) -> None:
    """mirror --follow stopped by Ctrl-C checks both sides and exits 0, saying it was stopped."""
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    process = subprocess.Popen(
        [*CLI, "mirror", seeded, copy, "--follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while copied(copy) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)

    code, out, err = interrupt(process)

    assert code == 0, err
    assert "copied 2 events" in out
    assert "(stopped by Ctrl-C)" in out
