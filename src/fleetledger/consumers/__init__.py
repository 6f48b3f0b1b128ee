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
from fleetledger.consumers.tasks import TaskProjection

__all__ = [
    "Backoff",
    "DeadLetter",
    "DeadLetterStatus",
    "DeadLetters",
    "Failure",
    "Handler",
    "Projection",
    "ProjectionRun",
    "Redriven",
    "RunStats",
    "Runner",
    "Subscription",
    "TableProjection",
    "TaskProjection",
    "handler_name",
    "project",
    "rebuild",
    "run_projection",
]
