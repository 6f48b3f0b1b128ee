"""The runner on a SQLite ledger: retries, dead letters, operators' acts, fencing, and runner
processes that stop gracefully, split a group's partitions and take over a killed one's."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

import fleetledger
from fleetledger import Event, Ledger
from fleetledger.consumers import DeadLetters, DeadLetterStatus, Runner
from fleetledger.errors import Fenced
from tests.integration.consumers.conftest import Start, read_log, wait_for

SESSION = 2.0
"""The session timeout of the processes' group: a killed member's partitions move after it."""
TAKEOVER_BOUND = SESSION * 4 / 3 + 0.5
"""The documented take-over bound (fleetledger.backends.leases) plus one poll's wait."""
SLACK = 3.0
"""Allowance for process scheduling on a loaded 2-core machine."""


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A SQLite ledger file holding the task family (four partitions)."""
    made = f"sqlite:///{tmp_path}/ledger.db"
    fleetledger.open(made).close()
    return made


def append_tasks(url: str, count: int, first: int = 0) -> list[str]:
    """``count`` task.requested events (subjects t<first>...); their ids."""
    with fleetledger.open(url, default_source="tests") as ledger:
        return [_append(ledger, n) for n in range(first, first + count)]


def _append(ledger: Ledger, n: int) -> str:
    position = ledger.append("task.requested", subject=f"t{n}", data={"goal": "g"})
    (event,) = ledger.read("task", position.partition, position.offset, limit=1)
    return event.id


def no_wait(seconds: float) -> None:
    """Retries without sleeping."""


def committed_total(url: str, group: str) -> int:
    """The sum of the group's committed offsets on the task family."""
    with fleetledger.open(url, readonly=True) as ledger:
        return sum(row.committed for row in ledger.lag(group) if row.topic == "fleet.task")


def test_a_handler_that_fails_then_succeeds_is_retried_and_committed(url: str) -> None:
    """Two failures, then success, on a real file: handled once, committed, no dead letter."""
    append_tasks(url, 1)
    calls: list[str] = []

    def flaky(event: Event) -> None:
        calls.append(event.subject)
        if len(calls) < 3:
            raise ConnectionError("dependency down")

    with fleetledger.open(url) as ledger:
        runner = Runner(ledger, "audit", attempts=5, sleep=no_wait)
        runner.subscribe(flaky, families=["task"])
        stats = runner.run(until_idle=True)
        assert DeadLetters(ledger).list() == []
    assert (stats.handled, stats.retries, len(calls)) == (1, 2, 3)
    assert committed_total(url, "audit") == 1


def test_a_poison_event_is_dead_lettered_and_its_partition_moves_on(url: str) -> None:
    """After N attempts the event is in the DLQ, and later events of its partition are handled."""
    append_tasks(url, 12)
    handled: list[str] = []
    with fleetledger.open(url) as ledger:
        poison = next(ledger.replay("t0"))
        assert poison.position is not None

        def handle(event: Event) -> None:
            if event.id == poison.id:
                raise KeyError("no such customer")
            handled.append(event.id)

        runner = Runner(ledger, "audit", attempts=3, sleep=no_wait)
        runner.subscribe(handle, families=["task"])
        runner.run(until_idle=True)
        (letter,) = DeadLetters(ledger).list(group="audit")
        later = list(ledger.read("task", poison.position.partition, poison.position.offset + 1))
    assert (letter.event_id, letter.attempts, letter.error.type) == (poison.id, 3, "KeyError")
    assert (letter.topic, letter.partition, letter.offset) == tuple(poison.position)
    assert later
    assert all(e.id in handled for e in later)
    assert committed_total(url, "audit") == 12


def test_a_retry_after_the_fix_resolves_the_dead_letter(url: str) -> None:
    """dlq retry, then a runner with the fixed handler: resolved, handled once more."""
    append_tasks(url, 1)
    fixed = [False]
    handled: list[str] = []

    def handle(event: Event) -> None:
        if not fixed[0]:
            raise RuntimeError("bug")
        handled.append(event.subject)

    with fleetledger.open(url) as ledger:
        runner = Runner(ledger, "audit", attempts=2, sleep=no_wait)
        runner.subscribe(handle, families=["task"])
        runner.run(until_idle=True)
        letters = DeadLetters(ledger)
        (letter,) = letters.list()
        letters.retry(letter.id)
        fixed[0] = True
        stats = runner.run(until_idle=True)
        assert letters.get(letter.id).status is DeadLetterStatus.RESOLVED
    assert (handled, stats.resolved) == (["t0"], 1)


def test_a_dropped_dead_letter_is_kept_and_its_drop_recorded_as_an_admin_act(url: str) -> None:
    """drop: status dropped, still listed, and a governance.admin.performed names it."""
    append_tasks(url, 1)
    with fleetledger.open(url) as ledger:
        runner = Runner(ledger, "audit", attempts=1, sleep=no_wait)
        runner.subscribe(lambda e: 1 / 0, families=["task"])
        runner.run(until_idle=True)
        letters = DeadLetters(ledger)
        (letter,) = letters.list()

        letters.drop(letter.id)

        assert [d.status for d in letters.list(status="dropped")] == [DeadLetterStatus.DROPPED]
        acts = [e.data for e in ledger.replay("fleetledger:admin")]
    assert any(a["operation"] == "deadletter.dropped" and a["target"] == letter.id for a in acts)


def test_the_dead_letters_survive_reopening_the_file(url: str) -> None:
    """The DLQ lives in the ledger file: another opener sees the same entries."""
    append_tasks(url, 1)
    with fleetledger.open(url) as ledger:
        runner = Runner(ledger, "audit", attempts=1, sleep=no_wait)
        runner.subscribe(lambda e: 1 / 0, families=["task"])
        runner.run(until_idle=True)

    with fleetledger.open(url, readonly=True) as ledger:
        assert [d.subject for d in DeadLetters(ledger).list()] == ["t0"]


def test_a_member_that_lost_its_lease_cannot_commit(url: str) -> None:
    """Two openers of one file: the taken-over member's commit is fenced, nothing stored."""
    with fleetledger.open(url) as first, fleetledger.open(url) as second:
        old = first.join("audit", ["task"], member="old", session_timeout=0.3)
        old.rebalance(now=True)
        assert len(old.assignment) == 4
        assert old.member is not None
        old.member.leave()  # its leases go to the others; the consumer still believes
        new = second.join("audit", ["task"], member="new", session_timeout=5.0)
        new.rebalance(now=True)
        assert len(new.assignment) == 4

        with pytest.raises(Fenced):
            old.commit({("fleet.task", 0): 1})
        new.close()
        assert "audit" not in second.groups()


def test_sigterm_finishes_the_event_in_hand_commits_it_and_exits_0(
    url: str, tmp_path: Path, start_runner: Start
) -> None:
    """A runner process stopped mid-handler: that handler ends, its event is committed, rc 0."""
    append_tasks(url, 5)
    log = tmp_path / "handled.log"
    process = start_runner(url, "audit", "--families", "task", delay=1.5)
    wait_for(lambda: any(line.what == "start" for line in read_log(log)), 30, "a handler call")

    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)

    assert process.returncode == 0, err.decode()
    lines = read_log(log)
    started = [line for line in lines if line.what == "start"]
    ended = [line for line in lines if line.what == "end"]
    assert len(started) == 1
    assert [line.event_id for line in ended] == [started[0].event_id]
    with fleetledger.open(url, readonly=True) as ledger:
        rows = {row.partition: row.committed for row in ledger.lag("audit")}
    assert rows[started[0].partition] == started[0].offset + 1
    assert committed_total(url, "audit") == 1


def leases(path: Path) -> dict[str, set[int]]:
    """Who holds which partition of group ``audit`` now, read from the file."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT member, partition FROM group_leases WHERE grp = 'audit'"
        ).fetchall()
    held: dict[str, set[int]] = {}
    for member, partition in rows:
        held.setdefault(member, set()).add(partition)
    return held


@pytest.mark.slow
def test_runner_processes_split_a_group_and_take_over_a_killed_member(
    url: str, tmp_path: Path, start_runner: Start
) -> None:
    """Three runners split the partitions; after kill -9 of one, the others take its partitions
    within the bound, and every event is handled at least once."""
    path = tmp_path / "ledger.db"
    log = tmp_path / "handled.log"
    ids = set(append_tasks(url, 24))
    options = ("--families", "task", "--session-timeout", str(SESSION))
    processes = [start_runner(url, "audit", *options, delay=0.05) for _ in range(3)]
    wait_for(lambda: len(leases(path)) == 3, 30, "three members holding partitions")
    victim_name, victim_partitions = max(leases(path).items(), key=lambda item: len(item[1]))
    victim = next(p for p in processes if f"-{p.pid}-" in victim_name)

    victim.kill()
    killed_at = time.time()
    victim.wait(10)
    ids |= set(append_tasks(url, 24, first=24))

    def handled() -> set[str]:
        return {line.event_id for line in read_log(log) if line.what == "end"}

    wait_for(lambda: ids <= handled(), 30, "every event handled")
    takeover = min(
        line.at
        for line in read_log(log)
        if line.what == "start"
        and line.partition in victim_partitions
        and line.at > killed_at
        and line.pid != victim.pid
    )
    took = takeover - killed_at
    print(f"killed member's partitions taken over after {took:.2f} s")
    assert took <= TAKEOVER_BOUND + SLACK, f"taken over after {took:.2f} s"
    survivors = [p for p in processes if p is not victim]
    for process in survivors:
        process.send_signal(signal.SIGTERM)
    for process in survivors:
        _, err = process.communicate(timeout=30)
        assert process.returncode == 0, err.decode()
    assert {line.pid for line in read_log(log)} - {victim.pid}


def test_a_runner_used_as_a_context_stays_in_its_group_between_runs(url: str) -> None:
    """Inside ``with runner:`` the member keeps its partitions after a run (another member
    waiting a second gets none); after the block it has left, and the other takes them all."""
    append_tasks(url, 12)
    with fleetledger.open(url) as ledger:
        staying = Runner(ledger, "g", sleep=no_wait, session_timeout=SESSION)
        staying.subscribe(lambda event: None, families=["task"])
        other = Runner(ledger, "g", member="other", sleep=no_wait, session_timeout=SESSION)
        other.subscribe(lambda event: None, families=["task"])
        with staying:
            first = staying.run(until_idle=True, max_events=1)
            waited = threading.Event()
            timer = threading.Timer(1.0, waited.set)
            timer.start()
            meanwhile = other.run(stop=waited)
            again = staying.run(until_idle=True)
        alone = other.run(until_idle=True)

    assert (len(first.partitions), meanwhile.partitions, meanwhile.events) == (4, [], 0)
    assert (len(again.partitions), again.events) == (4, 11)
    assert (len(alone.partitions), alone.events) == (4, 0)
