"""Handlers ``fleetledger consume`` loads in the CLI tests."""

from __future__ import annotations

import os

from fleetledger import Event


def ok(event: Event) -> None:
    """Succeed on every event."""


def picky(event: Event) -> None:
    """Fail on every event while ``$CONSUME_TEST_BROKEN`` is 1 (a bug not fixed yet)."""
    if os.environ.get("CONSUME_TEST_BROKEN") == "1":
        raise ValueError(f"cannot handle {event.subject}")


NOT_CALLABLE = 42


def tally(event: Event) -> str:
    """Return what the event says about its task: deterministic, so dry runs repeat."""
    return f"{event.subject} {event.type}"


def fussy(event: Event) -> None:
    """Fail on tool calls that failed: a handler with a bug on one kind of event."""
    if event.type == "tool.call.failed":
        raise RuntimeError(f"cannot archive {event.id}")
