"""Consumer spans that continue the trace an event was written in.

An event's ``traceparent`` (W3C trace context) names the span of the agent that wrote it; a
consumer handling the event should show up in that same trace, as a child, so an SRE follows
one request from the agent through the ledger to every reader. :func:`handling` opens that
span around one handler call: a ``CONSUMER`` span named ``process {topic}`` with the
OpenTelemetry messaging attributes (and the CloudEvents ones), parented through
OpenTelemetry's W3C trace-context propagator. An exception leaving the block is recorded on
the span and sets its status to error.

``opentelemetry-api`` is optional (the ``[otel]`` extra): without it, or while the process has
set no tracer provider, :func:`handling` does nothing and yields ``None``, so the runner calls
it unconditionally at no cost worth naming.
Spans go wherever the process's tracer provider sends them (none configured: nowhere).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from fleetledger.events.envelope import Event

try:
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
except ImportError:  # the [otel] extra is not installed: spans are a no-op
    trace = None  # type: ignore[assignment]

__all__ = [
    "MESSAGING_SYSTEM",
    "configured",
    "consumer_attributes",
    "handling",
    "task_trace_id",
    "trace_of",
]

MESSAGING_SYSTEM = "fleetledger"
"""``messaging.system`` of the spans: the ledger, whichever backend stores it."""

TRACER = "fleetledger.consumers"


def task_trace_id(task: str) -> int:
    """The trace id of a task whose events carry no traceparent: the first 16 bytes of the
    SHA-256 of ``fleetledger task`` and its id, the same on every export."""
    digest = hashlib.sha256(f"fleetledger task {task}".encode()).digest()
    return int.from_bytes(digest[:16], "big") or 1


def trace_of(task: str, events: Iterable[Event]) -> str:
    """The trace (32 hex digits) a task's spans are exported in: that of the first
    well-formed traceparent among its events, else :func:`task_trace_id`."""
    for event in events:
        parts = (event.traceparent or "").split("-")
        if len(parts) == 4 and len(parts[1]) == 32 and parts[1].strip("0"):
            return parts[1].lower()
    return f"{task_trace_id(task):032x}"


def consumer_attributes(event: Event, *, group: str, handler: str) -> dict[str, str | int]:
    """The attributes of the span of ``handler`` (of ``group``) handling ``event``."""
    attributes: dict[str, str | int] = {
        "messaging.system": MESSAGING_SYSTEM,
        "messaging.operation.name": "process",
        "messaging.operation.type": "process",
        "messaging.consumer.group.name": group,
        "messaging.message.id": event.id,
        "cloudevents.event_id": event.id,
        "cloudevents.event_type": event.type,
        "cloudevents.event_source": event.source,
        "cloudevents.event_subject": event.subject,
        "fleetledger.handler": handler,
    }
    if event.position is not None:
        attributes["messaging.destination.name"] = event.position.topic
        attributes["messaging.destination.partition.id"] = str(event.position.partition)
        attributes["fleetledger.offset"] = event.position.offset
    return attributes


def configured() -> bool:
    """Whether the process set a tracer provider: until it does, OpenTelemetry's global one is
    a proxy whose spans go nowhere, and building one per event would cost more than the
    handler call it wraps (a no-op handler ran at a third of a bare consumer's rate)."""
    if trace is None:
        return False
    return not isinstance(
        trace.get_tracer_provider(), (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
    )


@contextmanager
def handling(
    event: Event, *, group: str, handler: str, tracer_provider: Any = None
) -> Iterator[Any]:
    """A consumer span around handling ``event``, a child of its ``traceparent`` (a new trace
    when it has none); yields the span, or ``None`` without ``opentelemetry-api``.

    ``tracer_provider`` defaults to the process's global one.
    """
    if trace is None or (tracer_provider is None and not configured()):
        yield None
        return
    carrier = {"traceparent": event.traceparent} if event.traceparent else {}
    parent = TraceContextTextMapPropagator().extract(carrier)
    tracer = trace.get_tracer(TRACER, tracer_provider=tracer_provider)
    destination = event.position.topic if event.position is not None else event.family
    with tracer.start_as_current_span(
        f"process {destination}",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes=consumer_attributes(event, group=group, handler=handler),
    ) as span:
        yield span
