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
