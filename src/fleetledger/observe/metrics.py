"""The process-local Prometheus instruments: what one process did, counted as it does it.

Names follow Prometheus conventions: base units in the name, ``_total`` on counters, labels
of few values (a family, a reason, a consumer group; never an event or task id). They live in
the ``prometheus_client`` default registry, so any exporter of it serves them. What can be
read from the ledger itself (lag, storage, signing) is computed at scrape time instead, by
:class:`fleetledger.observe.collector.LedgerCollector`, so every process sees the same figures.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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

APPENDED_EVENTS = Counter(
    "fleetledger_appended_events_total",
    "Events this process appended through Ledger.append/append_many, per family (an id"
    " already stored with the same event counts too: the call succeeded).",
    ["family"],
)
APPENDED_BYTES = Counter(
    "fleetledger_appended_bytes_total",
    "Bytes of the canonical encoding of the events this process appended, per family.",
    ["family"],
)
APPEND_SECONDS = Histogram(
    "fleetledger_append_duration_seconds",
    "Seconds one successful Ledger.append/append_many call took, from validation until the"
    " batch was durable (one observation per call, whatever the batch size).",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
APPEND_FAILURES = Counter(
    "fleetledger_append_failures_total",
    "Ledger.append/append_many calls that stored nothing, by reason: contract (the event"
    " breaks the contract), conflict (its id is stored with other content), policy (an"
    " ordering or access rule refused it), access, backpressure, backend, readonly, integrity,"
    " closed, configuration, other.",
    ["reason"],
)
POLICY_DENIALS = Counter(
    "fleetledger_policy_denials_total",
    "Appends this process saw refused by a policy rule (each also recorded as a"
    " governance.policy.denied event, rate-limited per principal).",
)
MIRROR_BEHIND = Gauge(
    "fleetledger_mirror_behind_events",
    "Events the source of a running mirror (fleetledger mirror --follow) held that it had not"
    " copied yet, as of its latest batch; 0 when caught up.",
)
