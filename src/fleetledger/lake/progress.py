"""What an export has taken so far, and what one commit adds: the record an export keeps of
itself (a manifest beside the Parquet files, a snapshot property of each Iceberg table).

Progress is per partition by leaf index: the next leaf to export. Leaves are dense and never
removed, so a row per leaf (an event, or a hash-only row for one the exporter may not show)
makes every partition's tree close in the export, and a resumed export starts exactly where
the last commit ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fleetledger.backends.protocols import StoredCheckpoint
from fleetledger.errors import ContractError

PROGRESS_KEY = "fleetledger.progress"
"""The snapshot property (Iceberg) holding a table's progress as JSON."""


def place(topic: str, partition: int) -> str:
    """The key of a partition in progress records: ``topic/partition``."""
    return f"{topic}/{partition}"


def split_place(key: str) -> tuple[str, int]:
    """``(topic, partition)`` of a progress key."""
    topic, _, partition = key.rpartition("/")
    if not topic or not partition.isdigit():
        raise ContractError(f"not a partition of an export's progress: {key!r}")
    return topic, int(partition)


@dataclass
class Progress:
    """How far an export has gone: per partition the next leaf index and the next offset (what
    the export's consumer group commits), how many signed notes and dead-letter records."""

    leaves: dict[str, int] = field(default_factory=dict)
    offsets: dict[str, int] = field(default_factory=dict)
    notes: int = 0
    dead_letters: int = 0

    def to_json(self) -> dict[str, Any]:
        """The JSON form kept in the export."""
        return {
            "leaves": dict(sorted(self.leaves.items())),
            "offsets": dict(sorted(self.offsets.items())),
            "notes": self.notes,
            "dead_letters": self.dead_letters,
        }

    @classmethod
    def from_json(cls, value: Any) -> Progress:
        """Read the JSON form; :class:`ContractError` if it is not one."""
        if not isinstance(value, dict):
            raise ContractError("an export's progress is a JSON object")
        try:
            return cls(
                {str(k): int(v) for k, v in value.get("leaves", {}).items()},
                {str(k): int(v) for k, v in value.get("offsets", {}).items()},
                int(value.get("notes", 0)),
                int(value.get("dead_letters", 0)),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise ContractError(f"an export's progress is malformed: {exc}") from None

    def copy(self) -> Progress:
        """An independent copy."""
        return Progress(dict(self.leaves), dict(self.offsets), self.notes, self.dead_letters)


@dataclass
class Batch:
    """One commit of an export: new rows per family (Arrow tables), the signed notes and
    dead-letter records that follow those already exported, and the progress after it."""

    families: dict[str, list[Any]]
    notes: list[StoredCheckpoint]
    dead_letters: list[dict[str, Any]]
    progress: Progress

    @property
    def rows(self) -> int:
        """Event rows in the batch."""
        return sum(t.num_rows for tables in self.families.values() for t in tables)

    @property
    def empty(self) -> bool:
        """Whether the batch adds nothing at all."""
        return not (self.rows or self.notes or self.dead_letters)
