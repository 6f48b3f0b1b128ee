"""Handlers the runner subprocesses of these tests load with ``--handler``.

Each writes a line per event it starts and ends to the file ``$RUNNER_TEST_LOG``:
``start|end <time> <pid> <partition> <offset> <event id>``, and takes ``$RUNNER_TEST_DELAY``
seconds in between (an event "in hand" a signal can arrive during).
"""

from __future__ import annotations

import os
import time

from fleetledger import Event


def _line(what: str, event: Event) -> None:
    assert event.position is not None
    line = (
        f"{what} {time.time():.3f} {os.getpid()} {event.position.partition}"
        f" {event.position.offset} {event.id}\n"
    )
    with open(os.environ["RUNNER_TEST_LOG"], "a", encoding="utf-8") as log:
        log.write(line)


def record(event: Event) -> None:
    """Log the event's start, take the delay, log its end."""
    _line("start", event)
    time.sleep(float(os.environ.get("RUNNER_TEST_DELAY", "0")))
    _line("end", event)
