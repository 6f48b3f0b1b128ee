"""The read side: a runner that retries and dead-letters, exactly-once projections, task state."""

from fleetledger.consumers.projection import (
    Projection,
    ProjectionRun,
    TableProjection,
    run_projection,
)
from fleetledger.consumers.tables import project, rebuild

__all__ = [
    "Projection",
    "ProjectionRun",
    "TableProjection",
    "project",
    "rebuild",
    "run_projection",
]
