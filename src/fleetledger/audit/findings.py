"""What ``verify`` reports: one finding per thing that does not hold, and where."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class FindingKind(StrEnum):
    """What went wrong at a position."""

    MODIFIED = "modified"
    MISSING = "missing"
    INSERTED = "inserted"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    ROOT_MISMATCH = "root-mismatch"
    BAD_SIGNATURE = "bad-signature"
    MISINDEXED = "misindexed"
    DOES_NOT_EXTEND = "does-not-extend"
    FOREIGN = "foreign"
    """A record no ledger writer produced (its leaf holds: it is reported, not an error of
    the trees)."""


class Finding(NamedTuple):
    """One thing that does not hold; ``offset`` is ``None`` when it is not about one event."""

    topic: str
    partition: int | None
    offset: int | None
    kind: FindingKind
    detail: str
