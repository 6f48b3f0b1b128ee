"""The consumer runner: handlers subscribed by family and type, called for each event of a
consumer group, retried with backoff, dead-lettered after ``attempts`` failures.

**At least once.** The runner commits after its handlers succeeded (after each batch, and
before it stops), so an event whose handling was cut short (a crash, a lost partition) is
handled again by whoever holds its partition next. Handlers must tolerate a repeat.

**Poison events never stall a partition.** A handler that fails ``attempts`` times on an
event has it written to the dead-letter topic (:mod:`fleetledger.consumers.deadletter`) and
the group moves past it. An operator's ``dlq retry`` is picked up by the runner holding the
event's partition on its next loop.

**Membership.** The runner joins its group (:meth:`fleetledger.Ledger.join`): runners of one
group, in any processes, split the partitions, and take over those of a member that stops
within about ``session_timeout`` (on SQLite and memory at most ``4/3 x session_timeout``
after the member's last sign of life, see :mod:`fleetledger.backends.leases`; on Kafka the
broker's ``session.timeout.ms`` plus a rebalance). A commit for a partition the runner lost
is refused (fenced) and left to the new holder.

**Graceful stop.** SIGTERM or SIGINT (when :meth:`Runner.run` runs on the main thread), the
``stop`` event, ``max_events`` or ``until_idle``: the handler call in progress finishes, what
was handled is committed, the runner leaves its group and ``run`` returns its
:class:`RunStats`. An event whose retries were cut short by a stop is not committed: it is
handled again after the restart.

**Between runs.** Each :meth:`Runner.run` joins the group and leaves it at the end; inside
``with runner:`` the runner stays a member between runs (a batch job that runs every so often
keeps its partitions rather than paying a rebalance each time), and leaves when the block ends.
While it stays but does not run, its partitions wait for it: the group gives them to another
member only after it leaves (or, if its process dies, after the session timeout).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Any, NamedTuple

from prometheus_client import Counter

from fleetledger.consumers.backoff import Backoff
from fleetledger.consumers.deadletter import DeadLetter, DeadLetters, DeadLetterStatus, Failure
from fleetledger.consumers.subscriptions import Handler, Subscription
from fleetledger.errors import ConfigurationError, Fenced
from fleetledger.events.envelope import Event
from fleetledger.ledger import Consumer, Ledger
from fleetledger.observe.metrics import DEAD_LETTERED, HANDLED, HANDLER_RETRIES
from fleetledger.observe.tracing import configured as tracing_configured
from fleetledger.observe.tracing import handling
from fleetledger.topics.naming import family_of
from fleetledger.types import TopicPartition

__all__ = ["RunStats", "Runner"]

_LOG = logging.getLogger("fleetledger.consumers")
_BATCH = 500
_POLL_WAIT = 0.5
"""Seconds one poll waits for new events when the runner is not to stop when idle."""
_FIRST_ASSIGNMENT_WAIT = 15.0
"""Seconds ``until_idle`` waits at most for a first partition, beyond the session timeout: a
Kafka group's first join takes the broker's initial rebalance delay plus a join and a sync
round, seconds on a loaded machine, and a runner that gave up before it would miss the work."""
_RETRIES_EVERY = 1.0
"""Seconds between looks at the dead-letter topic for retries operators requested."""


@dataclass
class RunStats:
    """What one :meth:`Runner.run` did."""

    events: int = 0
    """Events taken from the group's partitions (each once, whether a handler matched)."""
    handled: int = 0
    """Handler calls that succeeded (first time or after retries)."""
    retries: int = 0
    """Handler calls repeated after a failure."""
    dead_lettered: int = 0
    """Handler failures given up on and written to the dead-letter topic."""
    resolved: int = 0
    """Dead letters whose requested retry succeeded."""
    reattempted: int = 0
    """Dead letters whose requested retry failed again."""
    fenced: int = 0
    """Commits refused because another member had taken the partition."""
    stopped: str = ""
    """Why the run ended: ``idle``, ``max_events``, ``stop`` or ``signal``."""
    partitions: list[TopicPartition] = field(default_factory=list)
    """The partitions the runner held when it stopped."""


class Redriven(NamedTuple):
    """One handler call of a dry run (:meth:`Runner.redrive`): on which event, and how it went."""

    event: Event
    handler: str
    ok: bool
    result: Any = None
    """What the handler returned (``None`` for most handlers)."""
    error: str | None = None
    """``Type: message`` of what it raised."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON object of plain values; ``result`` as its ``repr`` so any return value fits."""
        position = self.event.position
        return {
            "position": None if position is None else str(position),
            "id": self.event.id,
            "type": self.event.type,
            "subject": self.event.subject,
            "handler": self.handler,
            "ok": self.ok,
            "result": None if self.result is None else repr(self.result),
            "error": self.error,
        }


class _Stopping(Exception):
    """A stop came while an event's retries were waiting: leave it uncommitted."""


class Runner:
    """Calls subscribed handlers for the events of consumer group ``group`` (see the module).

    ``sleep`` waits between retries (default: a wait that a stop cuts short); tests pass
    one that returns at once. ``member`` names this runner in its group. Each handler call
    runs in an OpenTelemetry consumer span of ``tracer_provider`` (the process's global one by
    default; nothing without ``opentelemetry-api``).
    """

    def __init__(
        self,
        ledger: Ledger,
        group: str,
        *,
        attempts: int = 5,
        backoff: Backoff | None = None,
        session_timeout: float = 10.0,
        member: str | None = None,
        sleep: Callable[[float], object] | None = None,
        batch: int = _BATCH,
        tracer_provider: Any = None,
    ) -> None:
        if type(attempts) is not int or attempts < 1:
            raise ConfigurationError(f"attempts must be 1 or more, not {attempts!r}")
        if not group or not group.strip():
            raise ConfigurationError("a runner needs a consumer group name")
        self.ledger = ledger
        self.group = group
        self.attempts = attempts
        self.backoff = backoff or Backoff(initial=0.1, maximum=30.0, multiplier=2.0, jitter=0.5)
        self.session_timeout = session_timeout
        self.member = member
        self._stop = threading.Event()
        self._sleep = sleep if sleep is not None else self._stop.wait
        self._batch = batch
        self._subscriptions: list[Subscription] = []
        self._routes: dict[tuple[str, str], list[Subscription]] = {}
        self._counters: dict[tuple[str, str], Counter] = {}
        self._committed: dict[TopicPartition, int] = {}
        """What this runner committed last, per partition, during a run."""
        self._dead = DeadLetters(ledger)
        self._signalled = False
        self._tracer_provider = tracer_provider
        self._traced = tracer_provider is not None
        self._staying = False
        self._joined: Consumer | None = None
        """The membership kept between runs inside ``with runner:``."""

    # -- subscribing ---------------------------------------------------------------------------

    def subscribe(
        self,
        handler: Handler,
        families: Iterable[str] | None = None,
        types: Iterable[str] = ("*",),
    ) -> Handler:
        """Call ``handler`` for events of ``families`` (default: all) whose type matches one
        of the ``types`` globs; returns the handler."""
        subscription = Subscription.of(handler, families, types)
        for family in subscription.families or ():
            self.ledger.topic(family)  # NotFound for a family the ledger does not have
        if any(s.name == subscription.name for s in self._subscriptions):
            raise ConfigurationError(f"handler {subscription.name} is subscribed already")
        self._subscriptions.append(subscription)
        self._routes.clear()
        return handler

    def handler(
        self, families: Iterable[str] | None = None, types: Iterable[str] = ("*",)
    ) -> Callable[[Handler], Handler]:
        """The decorator form of :meth:`subscribe`."""

        def subscribe(handler: Handler) -> Handler:
            return self.subscribe(handler, families, types)

        return subscribe

    @property
    def subscriptions(self) -> list[Subscription]:
        """The subscriptions, in the order they were made (handlers are called in it)."""
        return list(self._subscriptions)

    def _families(self) -> list[str] | None:
        """The families the group reads: those subscribed to, or all if one wants all."""
        if any(s.families is None for s in self._subscriptions):
            return None
        return sorted({f for s in self._subscriptions for f in s.families or ()})

    # -- running -------------------------------------------------------------------------------

    def __enter__(self) -> Runner:
        """Stay in the group between runs until the ``with`` block ends: a batch job that runs
        every so often keeps its partitions instead of joining again each time (on Kafka a
        join is a rebalance of the whole group, seconds long)."""
        self._staying = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._staying = False
        if self._joined is not None:
            self._leave(self._joined)

    def _leave(self, consumer: Consumer) -> None:
        """Leave the group (what was handled is committed already)."""
        self._joined = None
        consumer.close()

    def redrive(self, events: Iterable[Event]) -> Iterator[Redriven]:
        """Call the subscribed handlers over ``events`` (a fleet replayed from a signed head,
        :meth:`fleetledger.Ledger.replay_head`) as a dry run: once each, in the order given,
        with nothing committed, retried or dead-lettered; yields how each call went.

        Given the same events and deterministic handlers, two dry runs yield the same calls
        and outcomes: an incident re-driven exactly as the fleet saw it.
        """
        if not self._subscriptions:
            raise ConfigurationError("subscribe at least one handler before re-driving")
        self._traced = self._tracer_provider is not None or tracing_configured()
        for event in events:
            position = event.position
            topic = position.topic if position is not None else self.ledger.topic(event.family)
            for subscription in self._route(topic, event.type):
                try:
                    result = self._call(subscription, event)
                except Exception as exc:  # a dry run reports each failure and goes on
                    yield Redriven(event, subscription.name, False, error=_described(exc))
                else:
                    yield Redriven(event, subscription.name, True, result)

    def stop(self) -> None:
        """Ask a running :meth:`run` to stop (from another thread or a signal handler)."""
        self._stop.set()

    def run(
        self,
        until_idle: bool = False,
        max_events: int | None = None,
        stop: threading.Event | None = None,
    ) -> RunStats:
        """Poll, handle, commit until stopped (see the module); what the run did."""
        if not self._subscriptions:
            raise ConfigurationError("subscribe at least one handler before running")
        if max_events is not None and (type(max_events) is not int or max_events < 1):
            raise ConfigurationError(f"max_events must be 1 or more, not {max_events!r}")
        self._stop.clear()
        self._signalled = False
        self._committed = {}
        stats = RunStats()
        consumer = self._joined or self.ledger.join(
            self.group,
            self._families(),
            member=self.member,
            session_timeout=self.session_timeout,
        )
        with self._signals():
            try:
                stats.stopped = self._loop(consumer, stats, until_idle, max_events, stop)
            finally:
                stats.partitions = list(consumer.assignment)
                if self._staying and stats.stopped != "signal":
                    self._joined = consumer
                else:
                    self._leave(consumer)
        return stats

    def _loop(
        self,
        consumer: Consumer,
        stats: RunStats,
        until_idle: bool,
        max_events: int | None,
        stop: threading.Event | None,
    ) -> str:
        began = time.monotonic()
        retried_at = float("-inf")
        while True:
            if self._stopped(stop):
                return "signal" if self._signalled else "stop"
            if time.monotonic() - retried_at >= _RETRIES_EVERY:
                consumer.rebalance(now=retried_at == float("-inf"))
                self._retry_requested(consumer, stats)
                retried_at = time.monotonic()
            wanted = (
                self._batch if max_events is None else min(self._batch, max_events - stats.events)
            )
            batch = consumer.poll(max=wanted, timeout=0.0 if until_idle else _POLL_WAIT)
            if batch:
                self._handle_batch(consumer, batch, stats, stop)
            if max_events is not None and stats.events >= max_events:
                return "max_events"
            if until_idle and not batch and self._idle(consumer, began):
                return "idle"

    def _idle(self, consumer: Consumer, began: float) -> bool:
        """Nothing left to read: the runner holds partitions (or waited long enough for some:
        a session, and a first join) and no retry it should make is pending."""
        patience = max(self.session_timeout, _FIRST_ASSIGNMENT_WAIT)
        if not consumer.assignment and time.monotonic() - began < patience:
            consumer.rebalance(now=True)
            return False
        return not self._requested(consumer)

    def _stopped(self, stop: threading.Event | None) -> bool:
        return self._stop.is_set() or (stop is not None and stop.is_set())

    def _handle_batch(
        self, consumer: Consumer, batch: list[Event], stats: RunStats, stop: threading.Event | None
    ) -> None:
        """Handle each event in order; commit what was handled (all of it, unless a stop came
        mid-batch: then up to the first event not handled of each partition)."""
        done = 0
        self._traced = self._tracer_provider is not None or tracing_configured()
        try:
            for event in batch:
                if self._stopped(stop):
                    break
                self._dispatch(event, stats, stop)
                done += 1
                stats.events += 1
        except _Stopping:
            pass
        self._commit(consumer, batch[done:], stats)

    def _commit(self, consumer: Consumer, unhandled: list[Event], stats: RunStats) -> None:
        """Commit the partitions whose position moved since the runner's last commit."""
        offsets = consumer.positions
        for event in unhandled:
            assert event.position is not None
            topic, partition, offset = event.position
            offsets[(topic, partition)] = min(offsets[(topic, partition)], offset)
        moved = {tp: o for tp, o in offsets.items() if self._committed.get(tp) != o}
        try:
            consumer.commit(moved)
            self._committed.update(moved)
        except Fenced as exc:
            stats.fenced += 1
            _LOG.warning("group %r: %s; the new holder handles them again", self.group, exc)
            consumer.rebalance(now=True)

    def _dispatch(self, event: Event, stats: RunStats, stop: threading.Event | None) -> None:
        assert event.position is not None
        for subscription in self._route(event.position.topic, event.type):
            self._attempt(subscription, event, stats, stop)

    def _route(self, topic: str, type: str) -> list[Subscription]:
        """The subscriptions an event of ``topic`` and ``type`` goes to (remembered: a
        ledger has few topics and types, and this is asked for every event)."""
        key = (topic, type)
        found = self._routes.get(key)
        if found is None:
            family = family_of(topic)
            found = [s for s in self._subscriptions if s.matches(family, type)]
            self._routes[key] = found
        return found

    def _counted(self, subscription: Subscription, outcome: str) -> Counter:
        """The handled-events counter of one handler and outcome (its labelled child kept:
        looking labels up costs more than counting)."""
        key = (subscription.name, outcome)
        child = self._counters.get(key)
        if child is None:
            child = HANDLED.labels(self.group, subscription.name, outcome)
            self._counters[key] = child
        return child

    def _attempt(
        self,
        subscription: Subscription,
        event: Event,
        stats: RunStats,
        stop: threading.Event | None,
    ) -> None:
        """Call the handler until it succeeds or ``attempts`` calls failed (then dead-letter)."""
        for attempt in range(1, self.attempts + 1):
            try:
                self._call(subscription, event)
            except Exception as exc:  # any handler failure is retried, then kept
                if attempt == self.attempts:
                    self._dead_letter(subscription, event, exc, stats)
                    return
                if self._stopped(stop):
                    raise _Stopping from exc
                stats.retries += 1
                HANDLER_RETRIES.labels(self.group, subscription.name).inc()
                self._sleep(self.backoff.delay(attempt))
                if self._stopped(stop):
                    raise _Stopping from exc
                continue
            stats.handled += 1
            self._counted(subscription, "ok" if attempt == 1 else "retried").inc()
            return

    def _call(self, subscription: Subscription, event: Event) -> Any:
        """The one place a handler is called, inside a consumer span that continues the
        event's trace (its ``traceparent``), so a handler's work joins the trace that caused it;
        a plain call while the process traces nothing (``_traced``, looked at per batch)."""
        if not self._traced:
            return subscription.handler(event)
        with handling(
            event,
            group=self.group,
            handler=subscription.name,
            tracer_provider=self._tracer_provider,
        ):
            return subscription.handler(event)

    def _dead_letter(
        self, subscription: Subscription, event: Event, exc: Exception, stats: RunStats
    ) -> None:
        letter = self._dead.record(
            self.group, subscription.name, event, Failure.of(exc), self.attempts
        )
        stats.dead_lettered += 1
        DEAD_LETTERED.labels(self.group, subscription.name).inc()
        self._counted(subscription, "dead_lettered").inc()
        _LOG.warning(
            "group %r: %s failed %d times on event %s (%s): dead letter %s",
            self.group,
            subscription.name,
            self.attempts,
            event.id,
            exc,
            letter,
        )

    # -- retries operators requested -----------------------------------------------------------

    def _requested(self, consumer: Consumer) -> list[tuple[DeadLetter, Subscription]]:
        """Dead letters of this group whose retry was requested, of partitions this runner
        holds and handlers it has."""
        held = set(consumer.assignment)
        handlers = {s.name: s for s in self._subscriptions}
        return [
            (letter, handlers[letter.handler])
            for letter in self._dead.list(group=self.group, status=DeadLetterStatus.RETRY_REQUESTED)
            if (letter.topic, letter.partition) in held and letter.handler in handlers
        ]

    def _retry_requested(self, consumer: Consumer, stats: RunStats) -> None:
        for letter, subscription in self._requested(consumer):
            try:
                event = self.ledger.get(letter.event_id)
                self._call(subscription, event)
            except Exception as exc:  # recorded as a new attempt
                _LOG.warning("dead letter %s failed again: %s", letter.id, exc)
                self._dead.attempted(letter, Failure.of(exc))
                stats.reattempted += 1
                continue
            self._dead.resolved(letter)
            stats.resolved += 1

    # -- signals -------------------------------------------------------------------------------

    @contextmanager
    def _signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT stop the run gracefully while it runs on the main thread."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def graceful(signum: int, frame: FrameType | None) -> None:
            self._signalled = True
            self._stop.set()

        before = {sig: signal.signal(sig, graceful) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)


def _described(exc: BaseException) -> str:
    """``Type: message`` of an exception, as a dry run reports it."""
    return f"{type(exc).__name__}: {exc}"
