"""Runner processes for the consumer tests: ``fleetledger consume`` started as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[3]
HANDLER = "tests.integration.consumers.handlers:record"


class Line(NamedTuple):
    """One line of the handlers' log."""

    what: str
    at: float
    pid: int
    partition: int
    offset: int
    event_id: str


def read_log(path: Path) -> list[Line]:
    """The handlers' log so far (a line being written is left for the next read)."""
    if not path.exists():
        return []
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        parts = text.split()
        if len(parts) == 6:
            what, at, pid, partition, offset, event_id = parts
            lines.append(Line(what, float(at), int(pid), int(partition), int(offset), event_id))
    return lines


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``condition`` until it holds, failing with ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"after {seconds:g} s: still waiting for {what}")
        time.sleep(0.05)


Start = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def start_runner(tmp_path: Path) -> Iterator[Start]:
    """Start ``fleetledger consume`` processes; every one still running is killed at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(url: str, group: str, *options: str, delay: float = 0.0) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "RUNNER_TEST_LOG": str(tmp_path / "handled.log"),
            "RUNNER_TEST_DELAY": str(delay),
        }
        env.pop("FLEETLEDGER_URL", None)
        command = [sys.executable, "-m", "fleetledger.cli", "consume", group]
        command += ["--handler", HANDLER, "--ledger", url, *options]
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
