"""The consumer runner's throughput against a bare ``poll``/``commit`` loop over the same file.

Both read every family of the same SQLite ledger from the start as a new consumer group, in
batches of 500, committing after each batch. The bare loop does only that; the runner also
joins the group (a lease in the file), dispatches each event to a no-op handler by family and
type, counts it in the process-local metrics, and looks for requested dead-letter retries
once a second. The ratio is the price of that machinery per event; it is an information line:
a real handler costs more than the difference.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from itertools import count
from pathlib import Path

from common import Result, alternate, median, open_ledger, rate, seconds, spread
from fleetledger.consumers import Runner
from fleetledger.events.envelope import Event
from fleetledger.ledger import Ledger

BATCH = 500


def bare_loop(ledger: Ledger, group: str) -> int:
    """Poll and commit until nothing is left; the events read."""
    total = 0
    with ledger.consumer(group) as consumer:
        while events := consumer.poll(max=BATCH):
            total += len(events)
            consumer.commit()
    return total


def nothing(event: Event) -> None:
    """The no-op handler."""


def runner_loop(ledger: Ledger, group: str) -> int:
    """A runner with a no-op handler of every event, until idle; the events it took."""
    runner = Runner(ledger, group, batch=BATCH)
    runner.subscribe(nothing)
    stats = runner.run(until_idle=True)
    if stats.handled != stats.events:
        raise AssertionError(f"the runner handled {stats.handled} of {stats.events} events")
    return stats.events


def _rate_of(loop: Callable[[], int], counted: list[int]) -> float:
    found: list[int] = []
    elapsed = seconds(lambda: found.append(loop()))
    counted.append(found[0])
    return rate(found[0], elapsed)


def runner_vs_bare(path: Path, *, rounds: int) -> Result:
    """Median events/s of each over ``rounds`` alternating passes, each a new group."""
    groups = count()
    with open_ledger(path) as ledger:

        def bare() -> int:
            return bare_loop(ledger, f"bench-bare-{next(groups)}")

        def run() -> int:
            return runner_loop(ledger, f"bench-runner-{next(groups)}")

        counted: list[int] = []
        runner_rates: list[float] = []
        bare_rates: list[float] = []
        for index in range(rounds):
            alternate(
                index,
                (runner_rates, partial(_rate_of, run, counted)),
                (bare_rates, partial(_rate_of, bare, counted)),
            )
    if len(set(counted)) != 1:
        raise AssertionError(f"the loops read different numbers of events: {sorted(set(counted))}")
    return Result(
        "consumer runner, no-op handler, vs bare poll/commit (info)",
        median(runner_rates),
        median(bare_rates),
        "events/s",
        "-",
        None,
        f"{counted[0]:,} events per pass; {spread(runner_rates, bare_rates)}",
    )
