"""What the model computes for one architecture in one month, and the whole plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fleetledger.planning.cost.crosszone import CrossZone

COMPUTE = "compute"
BLOCK = "block storage"
OBJECT = "object storage"
REQUESTS = "object requests"
TRANSFER = "cross-zone transfer"
COST_LINES = (COMPUTE, BLOCK, OBJECT, REQUESTS, TRANSFER)
"""The terms of every bill, in the order reports list them."""

SHARED_NOTHING = "shared nothing"
SHARED_STORAGE = "shared storage"
ARCHITECTURES = (SHARED_NOTHING, SHARED_STORAGE)


@dataclass(frozen=True)
class ArchitectureMonth:
    """One architecture's cluster and bill for one month.

    ``brokers_by`` says what each sizing rule asks for (the cluster takes the largest);
    ``block_bytes`` is provisioned local disk (shared nothing) or write-ahead log (shared
    storage); ``object_bytes`` is what object storage holds; ``puts`` and ``gets`` are
    requests in the month; ``rebalance_bytes`` is what adding one broker moves (shared nothing
    only: shared-storage brokers hold no data to move).
    """

    architecture: str
    month: int
    brokers: int
    brokers_by: Mapping[str, int]
    block_bytes: float
    object_bytes: float
    puts: float
    gets: float
    cross_zone: CrossZone
    costs: Mapping[str, float]
    rebalance_bytes: float = 0.0

    @property
    def total(self) -> float:
        """The month's bill."""
        return sum(self.costs.values())

    @property
    def dominant(self) -> str:
        """The largest term of the bill."""
        return max(COST_LINES, key=lambda line: self.costs.get(line, 0.0))


@dataclass(frozen=True)
class Plan:
    """Both architectures over the horizon (months 1..N), and the stored bytes per family."""

    months: tuple[int, ...]
    stored: Mapping[str, tuple[float, ...]]
    architectures: Mapping[str, tuple[ArchitectureMonth, ...]] = field(default_factory=dict)

    def first(self, architecture: str) -> ArchitectureMonth:
        """Month 1 of ``architecture``: the baseline the report and the sensitivity use."""
        return self.architectures[architecture][0]

    def last(self, architecture: str) -> ArchitectureMonth:
        """The horizon's last month of ``architecture``."""
        return self.architectures[architecture][-1]
