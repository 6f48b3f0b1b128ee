"""The consumer runner on Kafka, on each broker: retries and dead letters in a real
``{namespace}._deadletter`` topic, commits through the member's own consumer (the group
protocol), and a killed member's partitions taken over by the others."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import pytest

import fleetledger
from fleetledger import Event
from fleetledger.consumers import DeadLetters, DeadLetterStatus, Runner
from tests.integration.consumers.conftest import Start, read_log, start_runner, wait_for

from .conftest import Broker

__all__ = ["start_runner"]  # the fixture, used by name

SESSION = 2.0
"""The groups' session timeout: Kafka gives a silent member's partitions away after it."""


def url(broker: Broker) -> str:
    return f"{broker.url}?namespace=r{uuid.uuid4().hex[:10]}&timeout=10"


def append_tasks(where: str, count: int, first: int = 0) -> list[str]:
    """``count`` task.requested events; their ids."""
    ids = []
    with fleetledger.open(where, default_source="tests") as ledger:
        for n in range(first, first + count):
            position = ledger.append("task.requested", subject=f"t{n}", data={"goal": "g"})
            (event,) = ledger.read("task", position.partition, position.offset, limit=1)
            ids.append(event.id)
    return ids


def no_wait(seconds: float) -> None:
    """Retries without sleeping."""


def test_the_runner_dead_letters_a_poison_event_and_commits_the_rest_on_kafka(
    broker: Broker,
) -> None:
    """One event fails every attempt: it is in the dead-letter topic, the group's lag is 0."""
    where = url(broker)
    append_tasks(where, 6)
    handled: list[str] = []

    def handle(event: Event) -> None:
        if event.subject == "t2":
            raise ValueError("poison")
        handled.append(event.subject)

    with fleetledger.open(where) as ledger:
        runner = Runner(ledger, "audit", attempts=2, sleep=no_wait, session_timeout=SESSION)
        runner.subscribe(handle, families=["task"])
        stats = runner.run(until_idle=True)
        (letter,) = DeadLetters(ledger).list(group="audit")
        lag = [row.lag for row in ledger.lag("audit") if row.topic == ledger.topic("task")]
    assert sorted(handled) == ["t0", "t1", "t3", "t4", "t5"]
    assert (stats.dead_lettered, letter.subject, letter.attempts) == (1, "t2", 2)
    assert lag == [0] * len(lag)


def test_a_retry_after_the_fix_resolves_the_dead_letter_on_kafka(broker: Broker) -> None:
    """The dead-letter topic keeps the request and the resolution; a new opener sees them."""
    where = url(broker)
    append_tasks(where, 1)
    fixed = [False]

    def handle(event: Event) -> None:
        if not fixed[0]:
            raise RuntimeError("bug")

    with fleetledger.open(where) as ledger:
        runner = Runner(ledger, "audit", attempts=1, sleep=no_wait, session_timeout=SESSION)
        runner.subscribe(handle, families=["task"])
        runner.run(until_idle=True)
        (letter,) = DeadLetters(ledger).list()
        DeadLetters(ledger).retry(letter.id)
        fixed[0] = True
        stats = runner.run(until_idle=True)
    with fleetledger.open(where, readonly=True) as reader:
        assert DeadLetters(reader).get(letter.id).status is DeadLetterStatus.RESOLVED
    assert stats.resolved == 1


@pytest.mark.slow
def test_a_killed_runner_process_is_taken_over_on_kafka(
    broker: Broker, tmp_path: Path, start_runner: Start
) -> None:
    """Two runner processes of one group split it; after kill -9 of one, the survivor handles
    every event, those of the killed one's partitions included."""
    where = url(broker)
    log = tmp_path / "handled.log"
    ids = set(append_tasks(where, 16))
    options = ("--families", "task", "--session-timeout", str(SESSION))
    first = start_runner(where, "audit", *options, delay=0.05)
    second = start_runner(where, "audit", *options, delay=0.05)

    def both_handling() -> bool:
        """Whether both runners handled events; if not, more events (the first may have read
        everything before the second joined)."""
        if {line.pid for line in read_log(log)} == {first.pid, second.pid}:
            return True
        ids.update(append_tasks(where, 4, first=len(ids)))
        return False

    wait_for(both_handling, 60, "both runners handling events")
    first.kill()
    killed_at = time.time()
    first.wait(10)
    ids |= set(append_tasks(where, 16, first=len(ids)))

    wait_for(
        lambda: ids <= {line.event_id for line in read_log(log) if line.what == "end"},
        60,
        "every event handled",
    )
    after = {line.partition for line in read_log(log) if line.at > killed_at}
    assert after == {0, 1, 2, 3}  # the survivor now reads the killed one's partitions too
    second.send_signal(signal.SIGTERM)
    _, err = second.communicate(timeout=30)
    assert second.returncode == 0, err.decode()
