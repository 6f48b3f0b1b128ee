"""The process-local Prometheus instruments: what one process did, counted as it does it.

Names follow Prometheus conventions: base units in the name, ``_total`` on counters. They live
in the ``prometheus_client`` default registry, so any exporter of it serves them.
"""

from __future__ import annotations

from prometheus_client import Counter

HANDLER_RETRIES = Counter(
    "fleetledger_handler_retries_total",
    "Handler calls retried after a failure, per consumer group and handler.",
    ["group", "handler"],
)
DEAD_LETTERED = Counter(
    "fleetledger_dead_lettered_events_total",
    "Events a consumer group gave up on and wrote to the dead-letter topic.",
    ["group", "handler"],
)
HANDLED = Counter(
    "fleetledger_handled_events_total",
    "Events a consumer group's handler processed, by outcome (ok, retried, dead_lettered).",
    ["group", "handler", "outcome"],
)
