"""The read side: a runner that retries and dead-letters, exactly-once projections, task state."""

from fleetledger.consumers.backoff import Backoff
from fleetledger.consumers.deadletter import DeadLetter, DeadLetters, Failure, Status
from fleetledger.consumers.runner import Runner, RunStats
from fleetledger.consumers.subscriptions import Handler, Subscription, handler_name

__all__ = [
    "Backoff",
    "DeadLetter",
    "DeadLetters",
    "Failure",
    "Handler",
    "RunStats",
    "Runner",
    "Status",
    "Subscription",
    "handler_name",
]
