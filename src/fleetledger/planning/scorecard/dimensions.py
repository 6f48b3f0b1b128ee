"""The six dimensions of the readiness scorecard, each with the seed's meaning of 1 and of 5.

The texts are the seed article's own ("Readiness Checklist for Multi-agent Coordination Logs",
seed 000), word for word, so the scorecard asks exactly what the article asks. ``key`` is the
name used in answers files, JSON output and (with dashes) the command-line flags.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dimension:
    """One line of the scorecard: scored 1 (``one``) to 5 (``five``)."""

    key: str
    name: str
    one: str
    five: str
    measured_from: str
    """What a live ledger says about it (empty: it cannot be measured)."""

    @property
    def means(self) -> tuple[str, str]:
        """What 1 means and what 5 means."""
        return self.one, self.five

    @property
    def flag(self) -> str:
        """The command-line flag that answers it (``--replay-depth``)."""
        return "--" + self.key.replace("_", "-")


CRITICALITY = Dimension(
    "criticality",
    "Coordination criticality",
    "Logs are mainly diagnostic",
    "Logs are the workflow journal",
    "the share of intent events, and approvals",
)
REPLAY_DEPTH = Dimension(
    "replay_depth",
    "Replay depth",
    "Replay is rare and shallow",
    "Replay is a normal debugging and recovery path",
    "consumer groups' recorded seeks and resets, and the age of what they read",
)
TRAFFIC_VARIANCE = Dimension(
    "traffic_variance",
    "Traffic variance",
    "Throughput is steady",
    "Bursts are frequent and hard to predict",
    "append rates over windows: peak-to-median and coefficient of variation",
)
RETENTION_PRESSURE = Dimension(
    "retention_pressure",
    "Retention pressure",
    "Short-lived runtime traces",
    "Long audit and evaluation history",
    "the families' retention policies, weighted by their stored bytes",
)
GOVERNANCE_PRESSURE = Dimension(
    "governance_pressure",
    "Governance pressure",
    "Low sensitivity metadata",
    "Prompts, tool outputs, and approvals are regulated",
    "the classification mix, recorded policies, denials and erasures",
)
MIGRATION_TOLERANCE = Dimension(
    "migration_tolerance",
    "Migration tolerance",
    "Rewrites are acceptable",
    "Kafka client and Connector compatibility are required",
    "",
)

DIMENSIONS: tuple[Dimension, ...] = (
    CRITICALITY,
    REPLAY_DEPTH,
    TRAFFIC_VARIANCE,
    RETENTION_PRESSURE,
    GOVERNANCE_PRESSURE,
    MIGRATION_TOLERANCE,
)
"""In the seed's order, which is also the radar chart's (clockwise from the top)."""

BY_KEY = {dimension.key: dimension for dimension in DIMENSIONS}

LOWEST, HIGHEST = 1, 5
