"""Which topics a mirror copies, and readying the destination to take them unchanged."""

from __future__ import annotations

from typing import NamedTuple

from fleetledger.errors import ConfigurationError
from fleetledger.ledger import Ledger
from fleetledger.topics import FamilyPolicy


class Plan(NamedTuple):
    """The topics to copy with their source policies, and what preparing the destination did."""

    topics: dict[str, FamilyPolicy]
    created: list[str]
    policy_differences: list[str]


def ledger_topics(ledger: Ledger) -> dict[str, FamilyPolicy]:
    """Every stored topic of the ledger's namespace (a store may hold several), with its stored
    policy, by name."""
    return dict(sorted(ledger.log.topics().items()))


def prepare(src: Ledger, dst: Ledger) -> Plan:
    """Create the source's missing topics on the destination with the source's policies.

    Refuse (:class:`ConfigurationError`, before anything is written) a destination in another
    namespace, or holding one of the topics with another partition count: keys would land in
    other partitions and per-task order would break.
    """
    if src.namespace != dst.namespace:
        raise ConfigurationError(
            f"the destination's namespace {dst.namespace!r} is not the source's "
            f"{src.namespace!r}: a mirror keeps topic names, so open the destination "
            f"with namespace {src.namespace!r} (URL option ?namespace={src.namespace})",
        )
    topics = ledger_topics(src)
    existing = dst.log.topics()
    conflicts = [
        f"{topic} has {existing[topic].partitions} partitions there, {policy.partitions} here"
        for topic, policy in topics.items()
        if topic in existing and existing[topic].partitions != policy.partitions
    ]
    if conflicts:
        raise ConfigurationError(
            "cannot mirror: the destination holds topics with another partition count "
            f"({'; '.join(conflicts)}); keys would move to other partitions, so mirror to a "
            "new ledger or a new namespace",
        )
    missing = {topic: policy for topic, policy in topics.items() if topic not in existing}
    if missing:
        dst.log.create_topics(missing)
    differences = [t for t, p in topics.items() if t in existing and existing[t] != p]
    return Plan(topics, sorted(missing), differences)
