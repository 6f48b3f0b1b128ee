"""The read side: a runner that retries and dead-letters, exactly-once projections, task state."""

from fleetledger.consumers.backoff import Backoff
from fleetledger.consumers.deadletter import DeadLetter, DeadLetters, DeadLetterStatus, Failure
from fleetledger.consumers.projection import (
    Projection,
    ProjectionRun,
    TableProjection,
    run_projection,
)
from fleetledger.consumers.runner import Redriven, Runner, RunStats
from fleetledger.consumers.subscriptions import Handler, Subscription, handler_name
from fleetledger.consumers.tables import project, rebuild

__all__ = [
    "Backoff",
    "DeadLetter",
    "DeadLetters",
    "Failure",
    "Handler",
    "Redriven",
    "RunStats",
    "Runner",
    "DeadLetterStatus",
    "Subscription",
    "handler_name",
    "Projection",
    "ProjectionRun",
    "TableProjection",
    "project",
    "rebuild",
    "run_projection",
]
