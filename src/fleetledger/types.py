"""The vocabulary every layer shares: where an event sits, and how sensitive its data is.

These are values, not behaviour: :class:`Position` is what every append returns and every
read carries, :class:`Classification` is what the contract stamps and (later) access rules and
encryption act on. Keeping them at the bottom lets the contract, the topic policies and the
backends agree on one spelling of each.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

TopicPartition = tuple[str, int]
"""A partition of a topic, as ``(topic, partition)``."""


class Position(NamedTuple):
    """Where an event sits: its topic, partition and offset within that partition."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}/{self.partition}@{self.offset}"


class Classification(StrEnum):
    """How sensitive an event's data is, least to most; drives access rules and encryption."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        """Its place from least (0, public) to most sensitive."""
        return _RANKS[self]


_RANKS = {c: i for i, c in enumerate(Classification)}
