"""The checklists: every seed question mapped to a feature and a command, checked on facts."""

from __future__ import annotations

from fleetledger.planning.scorecard.checklist import (
    CHECKLIST,
    CHECKLIST_B,
    STEPS,
    governance,
    kafka_backend,
    ordering,
    retention,
)
from fleetledger.planning.scorecard.facts import Facts
from fleetledger.topics import FOREVER, FamilyPolicy, PartitionKey


def test_the_checklists_hold_the_seeds_areas_in_order() -> None:
    """Seed 000's seven areas, seed 001's six, and the six-step sequence."""
    assert [i.seed.area for i in CHECKLIST] == [
        "Compatibility",
        "Ordering",
        "Retention",
        "Scaling",
        "Cost",
        "Governance",
        "Rollback",
    ]
    assert [i.seed.area for i in CHECKLIST_B] == [
        "Kafka compatibility",
        "Elasticity",
        "Cost model",
        "Governance",
        "Migration risk",
        "Observability",
    ]
    assert len(STEPS) == 6


def test_every_question_names_a_feature_and_a_command() -> None:
    """Nothing is left without what in fleetledger answers it."""
    for item in (*CHECKLIST, *CHECKLIST_B, *STEPS):
        assert item.feature
        assert item.commands


def test_without_a_ledger_every_question_is_unknown() -> None:
    """No facts, no verdict: unknown, saying how to get one."""
    assert {item.answer(None).status for item in (*CHECKLIST, *CHECKLIST_B, *STEPS)} == {"unknown"}


def test_compatibility_holds_on_kafka_only() -> None:
    """A SQLite ledger needs a mirror to Kafka before Kafka clients can read it."""
    assert kafka_backend(Facts("kafka")).status == "yes"
    assert kafka_backend(Facts("sqlite")).status == "no"


def test_ordering_lists_each_familys_partition_key() -> None:
    """The evidence is the keys of this ledger's policies."""
    families = {
        "task": FamilyPolicy(family="task"),
        "chat": FamilyPolicy(family="chat", key=PartitionKey.CONVERSATION),
    }

    check = ordering(Facts("sqlite", families=families, ordering_rules=False))

    assert check.status == "yes"
    assert check.detail == "chat by conversation, task by task; no ordering rules"


def test_retention_is_partly_there_when_every_family_keeps_everything_forever() -> None:
    """No family expires or compacts: no strategy by event class yet."""
    families = {"task": FamilyPolicy(family="task", retention_ms=FOREVER)}

    assert retention(Facts("sqlite", families=families)).status == "partly"


def test_governance_is_yes_only_with_policy_signed_heads_encryption_and_retention() -> None:
    """Each missing protection is named; all four make it yes."""
    families = {"task": FamilyPolicy(family="task")}
    partial = Facts("sqlite", families=families, access_policy=False, signed_heads=0)
    full = Facts("sqlite", families=families, access_policy=True, signed_heads=2, erasures=1)

    assert governance(partial).status == "partly"
    assert "missing: access policy, signed heads, encrypted fields" in governance(partial).detail
    assert governance(full).status == "yes"
