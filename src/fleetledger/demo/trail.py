"""How a task's events are written: shared attributes, causal chain, simulated clock, batches.

A requested task and its subtasks form one :class:`Run`: one tenant, one correlation id, one
W3C trace, one simulated clock and one random generator. Each task has a :class:`Trail` that
stamps those on every event and links each event to the one that caused it (``causationid``).
Where each task stands (its ``state.summary``) is not written here: the fleet's runtime reads
the events back through the task projection, which maintains it. Events collect
in the run until an agent step ends; :meth:`Run.flush` hands them over as one :class:`Batch`,
which the fleet appends atomically.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import msgspec

from fleetledger.demo.agents import Agent
from fleetledger.events import BUILTIN_TYPES, EventData, format_time, uuid7
from fleetledger.events.catalogue import Priority

EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
"""When the simulated clock starts: fixed, so the same seed gives the same event times."""

T = TypeVar("T")

_TYPES: dict[type[EventData], str] = {spec.model: spec.type for spec in BUILTIN_TYPES}


@dataclass(frozen=True)
class Batch:
    """The events of one agent step, appended together, and when the step ended."""

    due: float  # simulated milliseconds since EPOCH
    events: tuple[dict[str, Any], ...]


Flow = Generator[Batch, None, T]
"""A simulated process: yields the batches of its steps, returns its outcome."""


class Run:
    """What a requested task and its subtasks share: tenant, run id, trace, clock and dice."""

    def __init__(
        self, rng: random.Random, tenant: str, conversation: str | None, start_ms: float
    ) -> None:
        self.rng = rng
        self.tenant = tenant
        self.conversation = conversation
        self.id = f"run-{rng.getrandbits(64):016x}"
        self.trace_id = f"{rng.getrandbits(128) | 1:032x}"
        self.now_ms = start_ms
        self._pending: list[dict[str, Any]] = []

    def wait(self, low_ms: float, high_ms: float) -> None:
        """Let simulated time pass: thinking, network, a tool running, a human deciding."""
        self.now_ms += self.rng.uniform(low_ms, high_ms)

    def time(self, ahead_ms: float = 0.0) -> str:
        """The simulated now (or ``ahead_ms`` later), RFC 3339."""
        return format_time(EPOCH + timedelta(milliseconds=self.now_ms + ahead_ms))

    def traceparent(self) -> str:
        """W3C trace context: the run's trace, a new span for this event, sampled."""
        return f"00-{self.trace_id}-{self.rng.getrandbits(64) | 1:016x}-01"

    def collect(self, event: dict[str, Any]) -> None:
        """Hold an event until the current step ends."""
        self._pending.append(event)

    def flush(self) -> Batch:
        """The events of the step that just ended, due at the simulated now."""
        batch = Batch(self.now_ms, tuple(self._pending))
        self._pending.clear()
        return batch


@dataclass
class TaskState:
    """What a task's own steps need to know of it: its goal, priority and parent."""

    goal: str
    priority: Priority
    parent: str | None = None


class Trail:
    """One task's events: stamped with the run's attributes and chained by causation."""

    def __init__(self, run: Run, task: str, state: TaskState) -> None:
        self.run = run
        self.task = task
        self.state = state
        self.last_id: str | None = None

    def follow(self, event_id: str) -> None:
        """Make ``event_id`` (often another task's) the cause of this task's next event."""
        self.last_id = event_id

    def emit(self, agent: Agent, data: EventData, *, cause: str | None = None) -> str:
        """Record ``data`` as written by ``agent`` now; return the new event's id.

        The event is caused by ``cause`` when given, else by this task's previous event.
        """
        event_id = uuid7()
        event_type = _TYPES[type(data)]
        now = self.run.time()
        self.run.collect(
            {
                "id": event_id,
                "type": event_type,
                "subject": self.task,
                "source": agent.source,
                "time": now,
                # Plain builtins, so the ledger validates every constraint of the model.
                "data": msgspec.to_builtins(data),
                "tenant": self.run.tenant,
                "conversationid": self.run.conversation,
                "agentid": agent.id,
                "agentversion": agent.version,
                "correlationid": self.run.id,
                "causationid": cause or self.last_id,
                "traceparent": self.run.traceparent(),
            }
        )
        self.last_id = event_id
        return event_id
