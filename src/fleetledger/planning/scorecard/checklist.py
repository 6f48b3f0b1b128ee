"""Both seeds' evaluation checklists, and the readiness sequence, answered by this ledger.

Each question of the seeds is mapped to the fleetledger feature and commands that answer it,
and to a check: a pure function of :class:`~.facts.Facts` saying whether that feature is
configured in *this* ledger (``yes``, ``partly``, ``no``; ``unknown`` without a ledger) and on
what evidence. The seeds' words are quoted from :mod:`.seeds`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from fleetledger.planning.scorecard.facts import Facts
from fleetledger.planning.scorecard.score import count as _count
from fleetledger.planning.scorecard.score import size
from fleetledger.planning.scorecard.seeds import (
    CHECKLIST_000,
    CHECKLIST_001,
    READINESS_001,
    SeedQuestion,
)
from fleetledger.topics import FOREVER, Cleanup, FamilyPolicy

Status = Literal["yes", "partly", "no", "unknown"]


@dataclass(frozen=True)
class Check:
    """Whether the ledger has what answers a question, and the evidence."""

    status: Status
    detail: str


@dataclass(frozen=True)
class Item:
    """One seed question, what in fleetledger answers it, and its check."""

    seed: SeedQuestion
    feature: str
    commands: tuple[str, ...]
    check: Callable[[Facts], Check]

    def answer(self, facts: Facts | None) -> Check:
        """The check's verdict on ``facts`` (``unknown`` when no ledger was read)."""
        if facts is None:
            return Check("unknown", "no ledger measured: run with --ledger URL")
        return self.check(facts)


def kafka_backend(facts: Facts) -> Check:
    """Kafka clients read and write the topics only when the ledger is on Kafka."""
    if facts.on_kafka:
        return Check("yes", "Kafka ledger: topics are {namespace}.{family}, records CloudEvents")
    return Check(
        "no", f"{facts.backend} ledger: Kafka clients need a copy (fleetledger mirror to kafka://)"
    )


def kafka_acls(facts: Facts) -> Check:
    """Compatibility plus ACL patterns: a Kafka ledger whose access policy can become ACLs."""
    base = kafka_backend(facts)
    if facts.access_policy is None:
        return Check("partly" if facts.on_kafka else "no", base.detail + "; policy not readable")
    if facts.access_policy:
        status: Status = "yes" if facts.on_kafka else "partly"
        return Check(status, base.detail + "; access policy recorded (policy kafka-acls)")
    return Check("partly" if facts.on_kafka else "no", base.detail + "; no access policy set")


def _key_text(policies: dict[str, FamilyPolicy]) -> str:
    return ", ".join(f"{name} by {p.key.value}" for name, p in sorted(policies.items()))


def ordering(facts: Facts) -> Check:
    """Every family has a partition key; ordering rules add order across families."""
    if not facts.families:
        return Check("no", "no family policies stored")
    rules = {True: "; ordering rules recorded", False: "; no ordering rules", None: ""}
    detail = _key_text(dict(facts.families)) + rules[facts.ordering_rules]
    return Check("yes", detail)


def _retention_text(policy: FamilyPolicy) -> str:
    if policy.cleanup == Cleanup.COMPACT:
        return "compacted"
    if policy.retention_ms == FOREVER:
        return "forever" if policy.retention_bytes == FOREVER else "size-capped"
    return f"{policy.retention_ms / 86_400_000:g} d"


def retention(facts: Facts) -> Check:
    """An explicit strategy by event class: some families keep history, others expire or
    compact."""
    if not facts.families:
        return Check("no", "no family policies stored")
    policies = facts.families.values()
    keeps = any(not p.expires and p.cleanup == Cleanup.DELETE for p in policies)
    trims = any(p.expires or p.cleanup == Cleanup.COMPACT for p in policies)
    detail = ", ".join(f"{n} {_retention_text(p)}" for n, p in sorted(facts.families.items()))
    return Check("yes" if keeps and trims else "partly", detail)


def scaling(facts: Facts) -> Check:
    """Capacity is the backend's: a Kafka cluster's brokers, one SQLite file's machine."""
    partitions = sum(p.partitions for p in facts.families.values())
    families = _count(len(facts.families), "family", "families")
    spread = f"{_count(partitions, 'partition')} over {families}"
    if facts.on_kafka:
        return Check("partly", f"{spread}; broker capacity and data movement are the cluster's")
    return Check("no", f"{spread} in one {facts.backend} store: scale by moving to Kafka")


def cost(facts: Facts) -> Check:
    """The cost model needs the workload's bytes, partitions and fan-out: measured here."""
    if facts.events == 0:
        return Check("no", "no stored events to model")
    partitions = sum(p.partitions for p in facts.families.values())
    detail = (
        f"{size(facts.bytes)} in {_count(facts.events, 'event')}, "
        f"{_count(partitions, 'partition')}, fan-out {_count(len(facts.groups), 'group')}"
    )
    return Check("yes", detail + ": fleetledger plan models the cost")


def _encrypted(facts: Facts) -> bool:
    """Whether fields are encrypted here: restricted events were stored, or keys erased."""
    return bool(facts.restricted_events or facts.erasures)


def _protections(facts: Facts) -> dict[str, bool | None]:
    return {
        "access policy": facts.access_policy,
        "signed heads": None if facts.signed_heads is None else facts.signed_heads > 0,
        "encrypted fields": _encrypted(facts),
        "retention by family": bool(facts.families),
    }


def _verdict(found: dict[str, bool | None]) -> Check:
    """``yes`` when every protection holds, ``no`` when none does, else ``partly``."""
    held = [name for name, ok in found.items() if ok]
    missing = [name for name, ok in found.items() if ok is False]
    unknown = [name for name, ok in found.items() if ok is None]
    parts = [
        f"set: {', '.join(held)}" if held else "",
        f"missing: {', '.join(missing)}" if missing else "",
    ]
    parts.append(f"unknown: {', '.join(unknown)}" if unknown else "")
    status: Status = "yes" if len(held) == len(found) else "no" if not held else "partly"
    return Check(status, "; ".join(p for p in parts if p))


def governance_boundary(facts: Facts) -> Check:
    """Data lives where the operator runs the ledger; the policy and keys draw the boundary."""
    where = "a Kafka cluster you run" if facts.on_kafka else f"a {facts.backend} store you run"
    found = {"access policy": facts.access_policy, "encrypted fields": _encrypted(facts)}
    verdict = _verdict(found)
    return Check(verdict.status, f"in {where}; {verdict.detail}")


def governance(facts: Facts) -> Check:
    """Retained, encrypted, attributed (every event is stamped), replayed under access
    boundaries, and provable with signed heads."""
    return _verdict(_protections(facts))


def rollback(facts: Facts) -> Check:
    """Consumers roll back by moving their group; schemas by versioned types; producers by
    a mirror back."""
    if not facts.groups:
        return Check(
            "partly", "no consumer group yet: offsets to roll back appear once one commits"
        )
    moved = f"{_count(facts.rewinds, 'recorded rewind')}" if facts.rewinds else "never rewound yet"
    return Check("yes", f"{_count(len(facts.groups), 'group')} movable ({moved})")


def migration(facts: Facts) -> Check:
    """A rehearsal copies events, proofs and group offsets to the target first."""
    if not facts.groups:
        return Check("partly", "events and proofs can be mirrored; no group offsets to carry yet")
    names = ", ".join(sorted(facts.groups))
    return Check("yes", f"mirror --groups carries the offsets of {names}")


def observability(facts: Facts) -> Check:
    """Lag, throughput and storage growth come from the ledger; broker health and cross-zone
    traffic only from the cluster's own metrics."""
    if not facts.groups:
        return Check("partly", "no consumer group to show lag for; throughput and storage measured")
    lag = sum(facts.groups.values())
    detail = f"lag {lag:,} events over {_count(len(facts.groups), 'group')}; throughput, storage"
    return Check(
        "partly", detail + " measured; broker health and cross-zone traffic are the cluster's"
    )


def contract(facts: Facts) -> Check:
    """The built-in catalogue names every event class; user types are registered, versioned."""
    return Check(
        "yes", f"built-in catalogue; {_count(facts.registered_types, 'user type')} registered"
    )


def consumers(facts: Facts) -> Check:
    """Independent consumers are groups reading at their own speed."""
    count = len(facts.groups)
    status: Status = "yes" if count >= 2 else "partly" if count else "no"
    return Check(status, f"{_count(count, 'consumer group')} with their own offsets")


def instrumented(facts: Facts) -> Check:
    """The metrics command exports lag, throughput, storage and denials; the ledger cannot
    tell whether anything scrapes them."""
    denials = _count(facts.denials, "policy denial")
    detail = f"{denials} recorded; whether anything scrapes the metrics is not visible here"
    return Check("partly", detail)


CHECKLIST: tuple[Item, ...] = (
    Item(
        CHECKLIST_000[0],
        "Kafka backend; events are CloudEvents 1.0 (binary mode on Kafka)",
        ("--ledger kafka://", "fleetledger mirror"),
        kafka_backend,
    ),
    Item(
        CHECKLIST_000[1],
        "a partition key per family (task, tenant, conversation, agent); ordering rules",
        ("fleetledger topics", "fleetledger policy"),
        ordering,
    ),
    Item(
        CHECKLIST_000[2],
        "retention and cleanup per family; maintain applies them",
        ("fleetledger topics", "fleetledger maintain"),
        retention,
    ),
    Item(
        CHECKLIST_000[3],
        "partitions per family; the Kafka backend's brokers",
        ("fleetledger topics", "fleetledger mirror"),
        scaling,
    ),
    Item(CHECKLIST_000[4], "the measured workload and the cost model", ("fleetledger plan",), cost),
    Item(
        CHECKLIST_000[5],
        "self-hosted storage; access policy; field encryption per data subject",
        ("fleetledger policy", "fleetledger forget"),
        governance_boundary,
    ),
    Item(
        CHECKLIST_000[6],
        "consumer group moves; versioned types; mirror back",
        ("fleetledger groups reset", "fleetledger groups seek", "fleetledger plan migrate"),
        rollback,
    ),
)
"""Seed 000's evaluation checklist."""

CHECKLIST_B: tuple[Item, ...] = (
    Item(
        CHECKLIST_001[0],
        "Kafka backend, CloudEvents records, broker ACLs from the policy",
        ("--ledger kafka://", "fleetledger policy kafka-acls"),
        kafka_acls,
    ),
    Item(
        CHECKLIST_001[1],
        "partitions per family; the Kafka backend's brokers",
        ("fleetledger topics",),
        scaling,
    ),
    Item(
        CHECKLIST_001[2],
        "bytes, partitions and fan-out measured; cost per storage model",
        ("fleetledger plan",),
        cost,
    ),
    Item(
        CHECKLIST_001[3],
        "retention per family, field encryption, stamped principals, signed heads, access policy",
        ("fleetledger policy", "fleetledger verify", "fleetledger forget"),
        governance,
    ),
    Item(
        CHECKLIST_001[4],
        "mirror with group offsets; a rehearsed migration",
        ("fleetledger mirror --groups", "fleetledger plan migrate"),
        migration,
    ),
    Item(
        CHECKLIST_001[5],
        "Prometheus metrics and alert rules; lag per group",
        ("fleetledger metrics", "fleetledger lag"),
        observability,
    ),
)
"""Seed 001's evaluation checklist."""

STEPS: tuple[Item, ...] = (
    Item(
        READINESS_001[0],
        "the type catalogue; registered, versioned user types",
        ("fleetledger types", "fleetledger types register"),
        contract,
    ),
    Item(READINESS_001[1], "partition key per family", ("fleetledger topics",), ordering),
    Item(
        READINESS_001[2],
        "consumer groups with their own offsets; replay",
        ("fleetledger groups", "fleetledger replay"),
        consumers,
    ),
    Item(READINESS_001[3], "the measured workload and the cost model", ("fleetledger plan",), cost),
    Item(
        READINESS_001[4],
        "group moves, mirror and a rehearsed migration",
        ("fleetledger groups reset", "fleetledger plan migrate"),
        rollback,
    ),
    Item(
        READINESS_001[5],
        "metrics, alert rules, policy-denied events",
        ("fleetledger metrics --alerts",),
        instrumented,
    ),
)
"""Seed 001's readiness sequence."""
