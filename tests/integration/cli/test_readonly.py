"""Readers never write: every read command works on a SQLite file the user cannot write and
leaves the file and its write-ahead log byte for byte as they were, even with a signing key
configured.

The suite runs as root here and in CI, and root ignores file modes, so the commands run in a
subprocess without the capabilities that override them (``setpriv``). The subprocess runs every
command in turn in one interpreter (a driver around ``CliRunner``), to keep the suite fast.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import fleetledger
from fleetledger.cli.app import app
from fleetledger.ledger import write_key_pair

ROOT = os.geteuid() == 0
UNPRIVILEGED = (
    ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable"]
    if ROOT
    else []
)
READ_ONLY_MOUNT = [
    "unshare",
    "--mount",
    "sh",
    "-c",
    'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
]
DRIVER = """
import json, sys
from typer.testing import CliRunner
from fleetledger.cli.app import app

results = []
for args in json.loads(sys.argv[1]):
    result = CliRunner().invoke(app, args)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    results.append({
        "args": args,
        "code": result.exit_code,
        "stdout": result.stdout,
        "stderr": result.stderr + (repr(result.exception) if crashed else ""),
    })
print(json.dumps(results))
"""
READ_COMMANDS = ["replay", "tail", "topics", "groups", "lag", "get", "verify", "prove"]
READ_COMMANDS += ["evidence", "types"]


@dataclass
class Ledger:
    """A signed SQLite ledger of one task, with a committed consumer group."""

    directory: Path
    file: Path
    url: str
    key: Path
    event_id: str
    out: Path
    """A writable directory for what a command writes elsewhere (an evidence bundle)."""

    def fingerprint(self) -> tuple[str, str]:
        """SHA-256 of the database file and of its WAL (a missing WAL reads as empty)."""
        wal = Path(f"{self.file}-wal")
        return (
            hashlib.sha256(self.file.read_bytes()).hexdigest(),
            hashlib.sha256(wal.read_bytes() if wal.exists() else b"").hexdigest(),
        )

    def args(self, command: str) -> list[str]:
        """The command line of one read command on this ledger."""
        given = {
            "replay": ["replay", "task-1", "--json"],
            "get": ["get", self.event_id],
            "prove": ["prove", self.event_id],
            "evidence": ["evidence", "task-1", "-o", str(self.out / "bundle.json")],
        }.get(command, [command])
        return [*given, "--ledger", self.url]


def run_driver(
    commands: list[list[str]],
    env: dict[str, str],
    prefix: list[str] = (),  # type: ignore[assignment]
) -> list[dict[str, Any]]:
    """Run the commands in one subprocess without the override capabilities; their results."""
    argv = [*prefix, *UNPRIVILEGED, sys.executable, "-c", DRIVER, json.dumps(commands)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    """A closed ledger in its own directory, signed with a key kept elsewhere."""
    directory, keys, out = tmp_path / "ledger", tmp_path / "keys", tmp_path / "out"
    for made in (directory, keys, out):
        made.mkdir()
    key, _ = write_key_pair("ledger.example/acme", keys)
    file = directory / "fleet.db"
    url = f"sqlite:///{file}"
    with fleetledger.open(url, signer=key, default_source="tests") as opened:
        opened.append("task.requested", subject="task-1", data={"goal": "refund order 991"})
        event_id = next(opened.replay("task-1")).id
        opened.append("task.started", subject="task-1", agentid="planner")
        with opened.consumer("audit", ["task"]) as consumer:
            consumer.poll(max=1)
            consumer.commit()
    assert not Path(f"{file}-wal").exists()
    return Ledger(directory, file, url, key, event_id, out)


@pytest.fixture
def env(ledger: Ledger) -> dict[str, str]:
    """The environment of the commands: a signing key configured, wide output."""
    return {**os.environ, "FLEETLEDGER_KEY": str(ledger.key), "COLUMNS": "200"}


def needs_root(why: str) -> pytest.MarkDecorator:
    """Skip unless root, saying why."""
    return pytest.mark.skipif(not ROOT, reason=why)


def _file_444(ledger: Ledger) -> Iterator[list[str]]:
    ledger.file.chmod(0o444)
    yield []


def _another_users_file(ledger: Ledger) -> Iterator[list[str]]:
    os.chown(ledger.file, 65534, 65534)
    yield []


def _read_only_directory(ledger: Ledger) -> Iterator[list[str]]:
    ledger.directory.chmod(0o555)
    try:
        yield []
    finally:
        ledger.directory.chmod(0o755)


def _read_only_mount(ledger: Ledger) -> Iterator[list[str]]:
    probe = subprocess.run([*READ_ONLY_MOUNT, str(ledger.directory), "true"], check=False)
    if probe.returncode != 0:
        pytest.skip("this environment does not allow a mount namespace (unshare --mount)")
    yield [*READ_ONLY_MOUNT, str(ledger.directory)]


def _immutable_file(ledger: Ledger) -> Iterator[list[str]]:
    if subprocess.run(["chattr", "+i", str(ledger.file)], check=False).returncode != 0:
        pytest.skip("this filesystem has no immutable attribute (chattr +i)")
    try:
        yield []
    finally:
        subprocess.run(["chattr", "-i", str(ledger.file)], check=True)


Case = Callable[[Ledger], Iterator[list[str]]]
CASES: dict[str, tuple[Case, pytest.MarkDecorator | None]] = {
    "mode 444 file": (_file_444, None),
    "another user's 644 file": (_another_users_file, needs_root("chown needs root")),
    "read-only directory": (_read_only_directory, None),
    "read-only mount": (_read_only_mount, needs_root("a bind mount needs root")),
    "immutable file": (_immutable_file, needs_root("chattr +i needs root")),
}


@pytest.fixture(
    params=[
        pytest.param(case, id=name, marks=[mark] if mark else [])
        for name, (case, mark) in CASES.items()
    ]
)
def unwritable(request: pytest.FixtureRequest, ledger: Ledger) -> Iterator[list[str]]:
    """The ledger made unwritable one way; the command prefix that keeps it so."""
    yield from request.param(ledger)


@pytest.fixture
def results(
    ledger: Ledger, unwritable: list[str], env: dict[str, str]
) -> tuple[dict[str, dict[str, Any]], tuple[str, str], tuple[str, str]]:
    """Every read command run on the unwritable ledger; the fingerprints before and after."""
    before = ledger.fingerprint()
    ran = run_driver([ledger.args(c) for c in READ_COMMANDS], env, unwritable)
    return dict(zip(READ_COMMANDS, ran, strict=True)), before, ledger.fingerprint()


@pytest.mark.slow
def test_every_read_command_works_on_a_ledger_the_user_cannot_write(
    results: tuple[dict[str, dict[str, Any]], tuple[str, str], tuple[str, str]],
) -> None:
    """replay, tail, topics, groups, lag, get, verify, prove, evidence and types exit 0."""
    failed = {name: r["stderr"] for name, r in results[0].items() if r["code"] != 0}

    assert failed == {}
    assert len(results[0]["replay"]["stdout"].splitlines()) == 2


@pytest.mark.slow
def test_read_commands_leave_the_file_and_its_wal_byte_for_byte_unchanged(
    results: tuple[dict[str, dict[str, Any]], tuple[str, str], tuple[str, str]],
) -> None:
    """The database and its WAL hash the same after every read command, key configured."""
    _, before, after = results

    assert after == before


@pytest.mark.slow
def test_a_write_command_on_a_444_file_exits_3_with_one_line(
    ledger: Ledger, env: dict[str, str]
) -> None:
    """emit on a file the user cannot write: exit 3, one line, no traceback."""
    ledger.file.chmod(0o444)
    args = ["emit", "task.started", "--subject", "task-1", "--ledger", ledger.url]

    (result,) = run_driver([args], env)

    assert result["code"] == 3, result["stderr"]
    assert result["stderr"].startswith(f"error: cannot write {ledger.file}")
    assert len(result["stderr"].splitlines()) == 1


@pytest.mark.slow
@needs_root("a read-only mount needs root")
def test_committed_events_left_in_the_wal_are_read_on_a_read_only_mount(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """A writer killed after committing leaves its events in the WAL; a reader sees them all."""
    directory = tmp_path / "crashed"
    directory.mkdir()
    url = f"sqlite:///{directory / 'fleet.db'}"
    writer = (
        "import os, signal, fleetledger\n"
        f"ledger = fleetledger.open({url!r}, default_source='tests', signer=False)\n"
        "for n in range(5):\n"
        "    ledger.append('task.requested', subject='task-w', data={'goal': str(n)})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", writer], check=False, timeout=60)
    assert killed.returncode == -signal.SIGKILL
    assert Path(f"{directory}/fleet.db-wal").stat().st_size > 0
    probe = subprocess.run([*READ_ONLY_MOUNT, str(directory), "true"], check=False)
    if probe.returncode != 0:
        pytest.skip("this environment does not allow a mount namespace (unshare --mount)")

    (result,) = run_driver(
        [["replay", "task-w", "--json", "--ledger", url]],
        env,
        [*READ_ONLY_MOUNT, str(directory)],
    )

    assert result["code"] == 0, result["stderr"]
    assert [json.loads(line)["data"]["goal"] for line in result["stdout"].splitlines()] == [
        str(n) for n in range(5)
    ]


def test_the_privilege_tools_are_there_when_running_as_root() -> None:
    """As root the tests need setpriv, unshare and chattr to drop what root may override."""
    if not ROOT:
        pytest.skip("not root: the file modes themselves refuse the writes")
    assert all(shutil.which(tool) for tool in ("setpriv", "unshare", "chattr"))


def test_read_commands_never_sign_a_writable_ledger_even_with_a_key_configured(
    ledger: Ledger, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With $FLEETLEDGER_KEY set and unsigned events, no read command signs (or writes)."""
    with fleetledger.open(ledger.url, signer=False, default_source="tests") as opened:
        opened.append("task.requested", subject="task-2", data={"goal": "unsigned"})
    monkeypatch.setenv("FLEETLEDGER_KEY", str(ledger.key))
    before = ledger.fingerprint()

    ran = [CliRunner().invoke(app, ledger.args(command)) for command in READ_COMMANDS]

    assert [r.exit_code for r in ran] == [0] * len(READ_COMMANDS)
    assert ledger.fingerprint() == before
