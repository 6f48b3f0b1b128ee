"""The runner on an in-memory ledger: dispatch, retries, dead letters, commits and stops."""

import threading
from collections.abc import Callable

import pytest
from prometheus_client import REGISTRY

from fleetledger import ConfigurationError, Event, Ledger, NotFound
from fleetledger.consumers import Backoff, DeadLetters, DeadLetterStatus, Runner
from fleetledger.testing import memory_ledger


def counted(metric: str, group: str, handler: str, outcome: str | None = None) -> float:
    """A process-local counter's value (0 before its first increment)."""
    labels = {"group": group, "handler": handler}
    if outcome is not None:
        labels["outcome"] = outcome
    return REGISTRY.get_sample_value(metric, labels) or 0.0


def no_wait(seconds: float) -> None:
    """The runner's sleep in tests: return at once."""


def runner(ledger: Ledger, **options: object) -> Runner:
    """A runner of group ``audit`` that never sleeps between retries."""
    return Runner(ledger, "audit", sleep=no_wait, session_timeout=5.0, **options)  # type: ignore[arg-type]


def append_tasks(ledger: Ledger, count: int) -> None:
    """``count`` tasks requested, subjects t0, t1, ..."""
    for n in range(count):
        ledger.append("task.requested", subject=f"t{n}", data={"goal": f"goal {n}"})


def failing(times: int, seen: list[str]) -> Callable[[Event], None]:
    """A handler that fails ``times`` times per event, then records its subject."""
    failures: dict[str, int] = {}

    def handle(event: Event) -> None:
        failures[event.id] = failures.get(event.id, 0) + 1
        if failures[event.id] <= times:
            raise RuntimeError(f"failure {failures[event.id]}")
        seen.append(event.subject)

    return handle


def test_each_matching_event_goes_to_the_handler_once(ledger: Ledger) -> None:
    """Every task event reaches the handler; the run stops idle with everything committed."""
    append_tasks(ledger, 6)
    seen: list[str] = []
    run = runner(ledger)
    run.subscribe(lambda e: seen.append(e.subject), families=["task"])

    stats = run.run(until_idle=True)

    assert sorted(seen) == sorted(f"t{n}" for n in range(6))
    assert (stats.events, stats.handled, stats.stopped) == (6, 6, "idle")
    assert all(row.lag == 0 for row in ledger.lag("audit") if row.topic == "fleet.task")


def test_events_of_a_partition_arrive_in_offset_order(ledger: Ledger) -> None:
    """Within each partition the handler sees offsets increasing."""
    append_tasks(ledger, 20)
    offsets: dict[int, list[int]] = {}
    run = runner(ledger)

    @run.handler(families=["task"])
    def record(event: Event) -> None:
        assert event.position is not None
        offsets.setdefault(event.position.partition, []).append(event.position.offset)

    run.run(until_idle=True)

    assert all(found == sorted(found) for found in offsets.values())
    assert sum(len(found) for found in offsets.values()) == 20


def test_types_select_which_handler_is_called(ledger: Ledger) -> None:
    """A handler of task.started only never sees task.requested."""
    append_tasks(ledger, 2)
    ledger.append("task.started", subject="t0", agentid="planner")
    seen: list[str] = []
    run = runner(ledger)
    run.subscribe(lambda e: seen.append(e.type), families=["task"], types=["task.started"])

    stats = run.run(until_idle=True)

    assert seen == ["task.started"]
    assert stats.events == 3


def test_a_failing_handler_is_retried_until_it_succeeds(ledger: Ledger) -> None:
    """Two failures, then success: handled, two retries, nothing dead-lettered."""
    append_tasks(ledger, 1)
    seen: list[str] = []
    run = runner(ledger, attempts=3)
    run.subscribe(failing(2, seen), families=["task"])
    before = counted("fleetledger_handler_retries_total", "audit", run.subscriptions[0].name)

    stats = run.run(until_idle=True)

    assert seen == ["t0"]
    assert (stats.retries, stats.dead_lettered) == (2, 0)
    assert (
        counted("fleetledger_handler_retries_total", "audit", run.subscriptions[0].name)
        == before + 2
    )


def test_retries_wait_as_the_backoff_says(ledger: Ledger) -> None:
    """The sleeps between attempts are the backoff's delays."""
    append_tasks(ledger, 1)
    waits: list[float] = []
    run = Runner(
        ledger,
        "audit",
        attempts=3,
        backoff=Backoff(initial=0.5, maximum=10.0, multiplier=3.0, jitter=0.0),
        sleep=waits.append,
    )
    run.subscribe(failing(2, []), families=["task"])

    run.run(until_idle=True)

    assert waits == pytest.approx([0.5, 1.5])


def test_after_its_attempts_an_event_is_dead_lettered_and_the_group_moves_on(
    ledger: Ledger,
) -> None:
    """The poison event is dead-lettered; the events after it are handled and committed."""
    append_tasks(ledger, 8)
    seen: list[str] = []
    run = runner(ledger, attempts=2)

    @run.handler(families=["task"])
    def poisoned(event: Event) -> None:
        if event.subject == "t3":
            raise ValueError("cannot handle t3")
        seen.append(event.subject)

    dead_before = counted(
        "fleetledger_dead_lettered_events_total", "audit", run.subscriptions[0].name
    )
    stats = run.run(until_idle=True)

    assert sorted(seen) == sorted(f"t{n}" for n in range(8) if n != 3)
    assert stats.dead_lettered == 1
    (letter,) = DeadLetters(ledger).list(group="audit")
    assert (letter.subject, letter.attempts, letter.error.type) == ("t3", 2, "ValueError")
    assert letter.handler == run.subscriptions[0].name
    assert all(row.lag == 0 for row in ledger.lag("audit") if row.topic == "fleet.task")
    assert (
        counted("fleetledger_dead_lettered_events_total", "audit", letter.handler)
        == dead_before + 1
    )


def test_a_dead_letter_carries_no_event_data(ledger: Ledger) -> None:
    """The confidential payload stays in the event, never in the dead-letter topic."""
    ledger.append("task.requested", subject="t0", data={"goal": "SECRET-GOAL-42"})
    run = runner(ledger, attempts=1)
    run.subscribe(lambda e: 1 / 0, families=["task"])

    run.run(until_idle=True)

    assert "SECRET-GOAL-42" not in repr(ledger.dead_letters())


def test_a_requested_retry_that_succeeds_resolves_the_dead_letter(ledger: Ledger) -> None:
    """Fixed handler, dlq retry: the next run calls it again and records resolved."""
    append_tasks(ledger, 1)
    broken = [True]
    seen: list[str] = []
    run = runner(ledger, attempts=1)

    @run.handler(families=["task"])
    def handle(event: Event) -> None:
        if broken[0]:
            raise RuntimeError("bug")
        seen.append(event.subject)

    run.run(until_idle=True)
    letters = DeadLetters(ledger)
    (letter,) = letters.list()
    letters.retry(letter.id)
    broken[0] = False

    stats = run.run(until_idle=True)

    assert seen == ["t0"]
    assert stats.resolved == 1
    assert letters.get(letter.id).status is DeadLetterStatus.RESOLVED


def test_a_requested_retry_that_fails_records_a_new_attempt(ledger: Ledger) -> None:
    """Still broken: the entry is open again with one more attempt."""
    append_tasks(ledger, 1)
    run = runner(ledger, attempts=2)
    run.subscribe(lambda e: 1 / 0, families=["task"])
    run.run(until_idle=True)
    letters = DeadLetters(ledger)
    (letter,) = letters.list()
    letters.retry(letter.id)

    stats = run.run(until_idle=True)

    assert stats.reattempted == 1
    again = letters.get(letter.id)
    assert (again.status, again.attempts) == (DeadLetterStatus.RECORDED, 3)


def test_max_events_stops_after_that_many_and_commits_them(ledger: Ledger) -> None:
    """max_events=3: three events handled and committed, the rest left for the next run."""
    append_tasks(ledger, 10)
    run = runner(ledger)
    run.subscribe(lambda e: None, families=["task"])

    stats = run.run(max_events=3)

    assert (stats.events, stats.stopped) == (3, "max_events")
    assert sum(row.committed for row in ledger.lag("audit") if row.topic == "fleet.task") == 3


def test_a_stop_event_ends_the_run_after_the_event_in_hand(ledger: Ledger) -> None:
    """stop set by the handler: that event is committed, the rest are not handled."""
    append_tasks(ledger, 10)
    stop = threading.Event()
    seen: list[str] = []
    run = runner(ledger)

    @run.handler(families=["task"])
    def handle(event: Event) -> None:
        seen.append(event.subject)
        stop.set()

    stats = run.run(stop=stop)

    assert (len(seen), stats.stopped) == (1, "stop")
    assert sum(row.committed for row in ledger.lag("audit") if row.topic == "fleet.task") == 1


def test_every_matching_handler_is_called_for_an_event(ledger: Ledger) -> None:
    """Two handlers of one family both see each event; outcomes are counted per handler."""
    append_tasks(ledger, 2)
    first: list[str] = []
    second: list[str] = []
    run = runner(ledger)
    run.subscribe(lambda e: first.append(e.subject), families=["task"])

    def other(event: Event) -> None:
        second.append(event.subject)

    run.subscribe(other, families=["task"])
    ok_before = counted(
        "fleetledger_handled_events_total", "audit", run.subscriptions[1].name, "ok"
    )

    run.run(until_idle=True)

    assert sorted(first) == sorted(second) == ["t0", "t1"]
    assert (
        counted("fleetledger_handled_events_total", "audit", run.subscriptions[1].name, "ok")
        == ok_before + 2
    )


def test_a_runner_needs_a_handler() -> None:
    """run without a subscription is a configuration mistake."""
    with memory_ledger() as ledger, pytest.raises(ConfigurationError, match="subscribe"):
        Runner(ledger, "audit").run(until_idle=True)


def test_subscribing_an_unknown_family_is_refused(ledger: Ledger) -> None:
    """A typo in a family name fails at subscribe, not silently at run."""
    with pytest.raises(NotFound, match="tsak"):
        runner(ledger).subscribe(lambda e: None, families=["tsak"])
