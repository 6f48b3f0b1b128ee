"""Projections whose output is ledger events: outputs and consumed offsets commit together."""

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import fleetledger
from fleetledger import AccessDenied, ConfigurationError, Ledger, Policy, Principal
from fleetledger.consumers.projection import Projection, run_projection
from fleetledger.governance import parse_rules
from fleetledger.testing import memory_ledger
from tests.projections import Echo, all_ids, echoed, register_echo


@pytest.fixture(params=["memory", "sqlite"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """A ledger that accepts the echo projection's outputs, on memory and on SQLite."""
    if request.param == "memory":
        opened = memory_ledger(default_source="tests")
    else:
        opened = fleetledger.open(f"sqlite:///{tmp_path / 'ledger.db'}", default_source="tests")
    with opened:
        register_echo(opened)
        yield opened


def started(ledger: Ledger, count: int, prefix: str = "t") -> None:
    ledger.append_many(
        [{"type": "task.started", "subject": f"{prefix}{n % 17}"} for n in range(count)]
    )


def test_an_echo_projection_satisfies_the_protocol() -> None:
    """The test projection is a Projection (names, families, project, reset)."""
    assert isinstance(Echo(), Projection)


def test_every_input_gets_exactly_one_output(ledger: Ledger) -> None:
    """A run over 230 events in batches of 50 appends one output per input."""
    started(ledger, 230)
    run = run_projection(ledger, Echo(), batch=50)
    assert (run.events, run.outputs, run.batches) == (230, 230, 5)
    assert Counter(echoed(ledger)) == Counter(all_ids(ledger))


def test_the_consumed_offsets_are_committed_under_the_projection_name(ledger: Ledger) -> None:
    """After a run the projection's group has no lag, and the run reports where it stands."""
    started(ledger, 40)
    run = run_projection(ledger, Echo())
    lags = ledger.lag("echo")
    assert all(lag.lag == 0 for lag in lags)
    assert {(lag.topic, lag.partition): lag.committed for lag in lags} == run.positions


def test_a_second_run_resumes_where_the_first_committed(ledger: Ledger) -> None:
    """Nothing is projected twice: the second run sees only the events appended since."""
    started(ledger, 30)
    run_projection(ledger, Echo())
    started(ledger, 12, prefix="u")
    assert run_projection(ledger, Echo()).events == 12
    assert Counter(echoed(ledger)) == Counter(all_ids(ledger))


def test_a_failed_batch_commits_nothing_and_resets_the_projection(ledger: Ledger) -> None:
    """When project raises, no output and no offset of the batch is kept, reset() is called,
    and the next run does the batch again."""
    started(ledger, 20)
    echo = Echo()
    echo.fail_on = sorted(all_ids(ledger))[7]
    with pytest.raises(RuntimeError):
        run_projection(ledger, echo, batch=100)
    assert echo.resets == 1
    assert echoed(ledger) == []
    assert "echo" not in ledger.groups()
    echo.fail_on = None
    assert run_projection(ledger, echo).events == 20


def test_a_run_that_waits_for_events_ends_when_stopped(ledger: Ledger) -> None:
    """With until_idle=False the run keeps polling and ends once stop() is true."""
    started(ledger, 5)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    run = run_projection(ledger, Echo(), until_idle=False, stop=stop.is_set)
    assert run.events == 5


def test_a_batch_size_below_one_is_refused(ledger: Ledger) -> None:
    """batch=0 is a configuration error, before anything is read."""
    with pytest.raises(ConfigurationError):
        run_projection(ledger, Echo(), batch=0)


READ_TOOLS_ONLY = Policy(
    parse_rules(
        [
            {
                "effect": "allow",
                "actions": ["append", "read"],
                "principals": ["viewer"],
                "families": ["tool", "echo"],
            }
        ]
    )
)


def test_a_principal_that_may_not_read_the_families_is_refused() -> None:
    """run_projection asks for read on the projection's families first: AccessDenied."""
    with (
        memory_ledger(principal=Principal("viewer"), access=READ_TOOLS_ONLY) as ledger,
        pytest.raises(AccessDenied),
    ):
        run_projection(ledger, Echo())


def test_committing_offsets_of_a_family_the_principal_may_not_read_is_refused() -> None:
    """append_many(commit=...) needs read on the families whose offsets it commits."""
    with memory_ledger(principal=Principal("viewer"), access=READ_TOOLS_ONLY) as ledger:
        with pytest.raises(AccessDenied):
            ledger.append_many([], commit=("echo", {(ledger.topic("task"), 0): 1}))
        assert ledger.groups() == []


def test_committing_offsets_of_another_namespace_is_refused(ledger: Ledger) -> None:
    """A commit names the ledger's own topics only."""
    with pytest.raises(fleetledger.NotFound):
        ledger.append_many([], commit=("echo", {("other.task", 0): 1}))
