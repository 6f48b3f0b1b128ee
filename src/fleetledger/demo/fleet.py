"""The simulation loop: requests arrive, steps interleave in simulated time, groups read.

Each request is a generator of steps (:func:`fleetledger.demo.task.request`). The loop keeps
the steps of every request in flight in one queue ordered by simulated time, appends the
earliest step (one event with ``append``, several atomically with ``append_many``), lets the
consumer groups read, and asks that request for its next step. New requests arrive at random
intervals, so dozens are in flight at once, the way a real fleet's traffic interleaves.

Determinism: a master ``random.Random(seed)`` draws only arrival gaps and one seed per request;
every other choice comes from the request's own generator, so a request's path does not depend
on how it interleaves with others, and the same seed writes the same events in the same order.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections.abc import Callable

from fleetledger import Ledger, NewEvent
from fleetledger.demo.fate import Fate, ScriptedFate
from fleetledger.demo.lifecycle import Outcome
from fleetledger.demo.readers import GROUPS, Readers
from fleetledger.demo.report import FleetReport
from fleetledger.demo.task import request, subtask_id
from fleetledger.demo.trail import Batch, Flow, Run

TENANTS = ("acme", "globex", "initech")
_TENANT_WEIGHTS = (5, 3, 2)
MEAN_ARRIVAL_MS = 4000.0  # a request every 4 s on average
CHAT_SHARE = 0.5  # requests that come from a conversation

Queue = list[tuple[float, int, Batch, Flow[Outcome]]]


def simulate(
    ledger: Ledger,
    *,
    tasks: int = 200,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
) -> FleetReport:
    """Simulate a fleet working through ``tasks`` requests into ``ledger``.

    ``progress(done, total)`` is called each time a request finishes. Request 0 is scripted,
    so ``sample_task`` always names a subtask with a retried tool failure, an approval and a
    compensation.
    """
    if tasks < 1:
        raise ValueError(f"tasks must be at least 1, not {tasks}")
    began = time.perf_counter()
    master = _dice(ledger, seed)
    readers = Readers(ledger)
    try:
        queue: Queue = []
        order = itertools.count()
        taken: set[str] = set()
        arrival, started, done, events = 0.0, 0, 0, 0
        sample = ""
        while done < tasks:
            if started < tasks and (not queue or arrival <= queue[0][0]):
                task, flow = _arrive(master, started, arrival, taken)
                sample = sample or subtask_id(task, "act")
                _schedule(queue, flow, next(order))
                started += 1
                arrival += master.expovariate(1 / MEAN_ARRIVAL_MS)
                continue
            _, _, batch, flow = heapq.heappop(queue)
            events += _append(ledger, batch)
            readers.after_step()
            if not _schedule(queue, flow, next(order)):
                done += 1
                if progress is not None:
                    progress(done, tasks)
                readers.after_request(done)
        letters = readers.finish(done)
    finally:
        readers.close()
    return FleetReport(tasks, events, time.perf_counter() - began, sample, GROUPS, letters)


def _dice(ledger: Ledger, seed: int) -> random.Random:
    """The master generator: the seed's own, unless ``ledger`` already holds that fleet.

    Running one seed twice into one ledger would give both runs the same task ids and mix their
    timelines, so a later run takes the seed's next generation (a fleet of its own).
    """
    generation = 0
    while True:
        master = random.Random(seed if generation == 0 else f"{seed}:{generation}")
        probe = random.Random()
        probe.setstate(master.getstate())
        first = _task_id(random.Random(probe.getrandbits(64)))
        if next(ledger.replay(first), None) is None:
            return master
        generation += 1


def _task_id(rng: random.Random) -> str:
    return f"task-{rng.getrandbits(32):08x}"


def _arrive(
    master: random.Random, index: int, at_ms: float, taken: set[str]
) -> tuple[str, Flow[Outcome]]:
    """A new request: its own generator, id, tenant, run; request 0 follows the script."""
    rng = random.Random(master.getrandbits(64))
    task = _task_id(rng)
    while task in taken:
        task = _task_id(rng)
    taken.add(task)
    tenant = rng.choices(TENANTS, _TENANT_WEIGHTS)[0]
    conversation = f"conv-{rng.getrandbits(40):010x}" if rng.random() < CHAT_SHARE else None
    fate = ScriptedFate(rng) if index == 0 else Fate(rng)
    return task, request(task, Run(rng, tenant, conversation, at_ms), fate)


def _schedule(queue: Queue, flow: Flow[Outcome], order: int) -> bool:
    """Queue the request's next step; False when the request has finished."""
    try:
        batch = next(flow)
    except StopIteration:
        return False
    heapq.heappush(queue, (batch.due, order, batch, flow))
    return True


def _append(ledger: Ledger, batch: Batch) -> int:
    """Write one step: a lone event as an ordinary append, several atomically."""
    if len(batch.events) == 1:
        ledger.append(NewEvent.of(batch.events[0]))
    elif batch.events:
        ledger.append_many(batch.events)
    return len(batch.events)
