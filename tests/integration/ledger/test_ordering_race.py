"""Ordering rules on SQLite under concurrent writers: threads sharing a ledger (group commit),
and processes sharing the file. A rejection racing the tool call never lets the call in after
it, because the rule is checked under the write lock, in the transaction that stores the call.

Each round is one task: an approver grants call c and rejects it at once, while callers try
to start c until they succeed or give up (bounded). Afterwards the file is read in commit order
and every accepted call must follow a grant of its call id, with no rejection in between, and
name that grant in its ``orderedafter``.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import fleetledger
from fleetledger import Ledger, PolicyViolation
from fleetledger.governance import OrderingRule, parse_ordering

ROUNDS_THREADS = 40
ROUNDS_PROCESSES = 15
CALLERS = 2
ATTEMPTS = 40
"""At most this many tries per caller and round."""


def rules() -> tuple[OrderingRule, ...]:
    return parse_ordering(
        [
            {
                "name": "payments need an approval",
                "when": {"type": "tool.call.started", "data": {"tool": "payments.*"}},
                "requires": {"type": "governance.approval.granted"},
                "join": ["subject", "data.call_id"],
                "unless_after": {"type": "governance.approval.rejected"},
            }
        ]
    )


def approve_then_reject(ledger: Ledger, task: str) -> None:
    """Grant the call of ``task``, then reject it straight away."""
    data = {"approval_id": f"a-{task}", "call_id": "c"}
    ledger.append("governance.approval.granted", subject=task, data=data)
    ledger.append("governance.approval.rejected", subject=task, data=data)


def try_call(ledger: Ledger, task: str) -> bool:
    """Try to start the call of ``task`` until accepted (True) or ATTEMPTS refusals (False)."""
    data = {"call_id": "c", "tool": "payments.transfer"}
    for _ in range(ATTEMPTS):
        try:
            ledger.append("tool.call.started", subject=task, data=data)
            return True
        except PolicyViolation:
            time.sleep(0.0005)
    return False


def violations(ledger: Ledger, task: str) -> list[str]:
    """Accepted calls of ``task`` that do not follow a live grant in commit order, or that do
    not name it."""
    last: dict[str, tuple[str, str]] = {}
    found = []
    for _, _, _, body in ledger.log.subject_bodies(task):  # SQLite: commit order
        event = json.loads(body)
        call_id = (event.get("data") or {}).get("call_id")
        if event["type"].startswith("governance.approval."):
            last[call_id] = (event["type"], event["id"])
        elif event["type"] == "tool.call.started":
            decision = last.get(call_id)
            if decision is None or decision[0] != "governance.approval.granted":
                found.append(f"{event['id']} after {decision}")
            elif event.get("orderedafter") != decision[1]:
                found.append(f"{event['id']} names {event.get('orderedafter')}, not {decision}")
    return found


def calls(ledger: Ledger, task: str) -> int:
    return sum(e.type == "tool.call.started" for e in ledger.replay(task))


# -- threads -----------------------------------------------------------------------------------


def race(ledger: Ledger, task: str) -> list[bool]:
    """One round on threads: the approver and the callers start together; what each caller
    got (accepted or not)."""
    start = threading.Barrier(CALLERS + 1)
    results: list[bool] = []

    def caller() -> None:
        start.wait(timeout=10)
        results.append(try_call(ledger, task))

    def approver() -> None:
        start.wait(timeout=10)
        approve_then_reject(ledger, task)

    threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
    threads.append(threading.Thread(target=approver))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_threads_sharing_a_ledger_never_start_a_call_after_its_rejection(
    sqlite_url: str,
) -> None:
    """40 rounds, one approver and two callers per round on one ledger (their appends share
    group commits): no call is ever accepted without a live grant."""
    with fleetledger.open(sqlite_url, default_source="tests", ordering=rules()) as ledger:
        for n in range(ROUNDS_THREADS):
            results = race(ledger, f"task-{n}")
            assert violations(ledger, f"task-{n}") == []
            assert calls(ledger, f"task-{n}") == sum(results)


def test_a_rejection_committed_first_refuses_the_call(sqlite_url: str) -> None:
    """The sequential edge of the race: grant, reject, then the call: refused."""
    with fleetledger.open(sqlite_url, default_source="tests", ordering=rules()) as ledger:
        approve_then_reject(ledger, "task-x")
        with pytest.raises(PolicyViolation, match="cancelled"):
            ledger.append(
                "tool.call.started",
                subject="task-x",
                data={"call_id": "c", "tool": "payments.transfer"},
            )


def test_two_ledgers_on_one_file_see_each_others_rejection(sqlite_url: str) -> None:
    """Two openers (two writer connections): the rejection one commits is read by the other's
    guard under the file's write lock, not from a stale cache."""
    with (
        fleetledger.open(sqlite_url, default_source="a", ordering=rules()) as first,
        fleetledger.open(sqlite_url, default_source="b", ordering=rules()) as second,
    ):
        data = {"approval_id": "a", "call_id": "c"}
        first.append("governance.approval.granted", subject="task-y", data=data)
        assert try_call(second, "task-y")
        second.append("governance.approval.rejected", subject="task-y", data=data)
        with pytest.raises(PolicyViolation):
            first.append(
                "tool.call.started",
                subject="task-y",
                data={"call_id": "c", "tool": "payments.transfer"},
            )


# -- processes ---------------------------------------------------------------------------------


def approver_process(url: str, rounds: int, barrier: Any) -> None:
    with fleetledger.open(url, default_source="approver", ordering=rules()) as ledger:
        for n in range(rounds):
            barrier.wait(timeout=60)
            approve_then_reject(ledger, f"task-{n}")


def caller_process(url: str, rounds: int, barrier: Any) -> None:
    with fleetledger.open(url, default_source="caller", ordering=rules()) as ledger:
        for n in range(rounds):
            barrier.wait(timeout=60)
            try_call(ledger, f"task-{n}")


def run_processes(targets: list[tuple[Callable[..., None], tuple[Any, ...]]]) -> list[int | None]:
    """Run each target in a spawned process; their exit codes (killed after 120 s)."""
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=target, args=args) for target, args in targets]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join(timeout=10)
    return [process.exitcode for process in processes]


@pytest.fixture(autouse=True)
def _importable_by_children(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spawned children import this module by name: make the test tree importable for them."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[3]))


@pytest.mark.slow
def test_processes_sharing_the_file_never_start_a_call_after_its_rejection(
    sqlite_url: str,
) -> None:
    """15 rounds, one approver process and two caller processes in step: in commit order no
    accepted call lacks a live grant, and each names its grant."""
    barrier = multiprocessing.get_context("spawn").Barrier(CALLERS + 1)
    targets: list[tuple[Callable[..., None], tuple[Any, ...]]] = [
        (approver_process, (sqlite_url, ROUNDS_PROCESSES, barrier))
    ]
    targets += [(caller_process, (sqlite_url, ROUNDS_PROCESSES, barrier))] * CALLERS
    assert run_processes(targets) == [0] * (CALLERS + 1)
    with fleetledger.open(sqlite_url, readonly=True) as ledger:
        for n in range(ROUNDS_PROCESSES):
            assert violations(ledger, f"task-{n}") == []
