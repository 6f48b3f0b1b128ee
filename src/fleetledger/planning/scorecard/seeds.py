"""The seed articles' own words: both evaluation checklists, the readiness sequence and the
recommendation, verbatim, so the report quotes rather than paraphrases.

Seed 000: "Design Patterns for Multi-agent Coordination Logs in Event-Driven AI Systems".
Seed 001: its companion on coordination ledgers for AI agent fleets ("Evaluation checklist
for platform teams", "Migration and readiness scorecard").
"""

from __future__ import annotations

from typing import NamedTuple


class SeedQuestion(NamedTuple):
    """One row of a seed's evaluation checklist."""

    seed: str
    area: str
    question: str
    why: str


CHECKLIST_000 = (
    SeedQuestion(
        "000",
        "Compatibility",
        "Can existing Kafka clients, Connectors, and stream processors keep working?",
        "Agent platforms evolve quickly; rewriting integrations creates avoidable migration risk",
    ),
    SeedQuestion(
        "000",
        "Ordering",
        "What key determines partition ordering: task ID, tenant ID, conversation ID, or agent"
        " group?",
        "The wrong key either breaks replay semantics or creates hot partitions",
    ),
    SeedQuestion(
        "000",
        "Retention",
        "Which events must be retained for audit, replay, evaluation, or incident review?",
        "Coordination logs often outlive the active workflow by weeks or months",
    ),
    SeedQuestion(
        "000",
        "Scaling",
        "Can broker capacity change without long data movement windows?",
        "Agent workloads spike around launches, incidents, and evaluation batches",
    ),
    SeedQuestion(
        "000",
        "Cost",
        "Which costs grow with bytes, partitions, cross-AZ replication, and operational labor?",
        "AI platform budgets are already exposed to model, GPU, and inference costs",
    ),
    SeedQuestion(
        "000",
        "Governance",
        "Where does customer data live, and who controls the network boundary?",
        "Agent logs may contain prompts, tool results, retrieved context, and policy decisions",
    ),
    SeedQuestion(
        "000",
        "Rollback",
        "Can producers, consumers, and schemas be rolled back independently?",
        "Multi-agent systems fail in partial states more often than linear pipelines",
    ),
)

CHECKLIST_001 = (
    SeedQuestion(
        "001",
        "Kafka compatibility",
        "Can existing Kafka clients, schemas, ACL patterns, and connectors keep working?",
        "Agent platforms often integrate with existing data systems rather than greenfield"
        " pipelines.",
    ),
    SeedQuestion(
        "001",
        "Elasticity",
        "Can broker capacity change without bulk data movement becoming the main event?",
        "Agent traffic can be bursty when workflows, evaluations, or batch replays spike.",
    ),
    SeedQuestion(
        "001",
        "Cost model",
        "Can compute, storage, and network costs be reasoned about independently?",
        "Coordination events are verbose, retained, and consumed by many downstream systems.",
    ),
    SeedQuestion(
        "001",
        "Governance",
        "Can events be retained, encrypted, attributed, and replayed under clear access"
        " boundaries?",
        "The stream may become evidence for regulated decisions and incident review.",
    ),
    SeedQuestion(
        "001",
        "Migration risk",
        "Can producers, consumers, offsets, and rollback paths be tested before cutover?",
        "A coordination ledger is hard to replace once many agents depend on it.",
    ),
    SeedQuestion(
        "001",
        "Observability",
        "Can teams see lag, throughput, storage growth, broker health, and cross-zone traffic?",
        "Operational symptoms need to be visible before they affect agent decisions.",
    ),
)

READINESS_001 = (
    SeedQuestion(
        "001",
        "Define the event contract.",
        "Name the task, context, tool, governance, and evaluation events that must be"
        " append-only and replayable.",
        "",
    ),
    SeedQuestion(
        "001",
        "Choose partition keys deliberately.",
        "Preserve ordering where agent state transitions depend on it, and avoid keys that"
        " create hot partitions during popular workflows.",
        "",
    ),
    SeedQuestion(
        "001",
        "Test consumer independence.",
        "Run runtime, evaluation, audit, and lake-ingestion consumers at different speeds to"
        " verify offset management and replay behavior.",
        "",
    ),
    SeedQuestion(
        "001",
        "Model retention and network cost.",
        "Estimate event size, fan-out, retention, and cross-zone traffic before the platform"
        " becomes difficult to move.",
        "",
    ),
    SeedQuestion(
        "001",
        "Exercise rollback.",
        "Validate producer cutover, consumer offset recovery, topic-level rollback, and the"
        " path back to the previous system.",
        "",
    ),
    SeedQuestion(
        "001",
        "Instrument operations.",
        "Monitor broker health, throughput, storage growth, consumer lag, failed writes,"
        " connector status, and policy-denied events.",
        "",
    ),
)
"""Seed 001's "pragmatic readiness sequence": step title in ``area``, its text in
``question``."""

FIRST_CLASS = (
    "If most scores are 4 or 5, design the coordination log as a first-class event system"
    " rather than a side channel."
)
FIRST_CLASS_MEANS = (
    "separate topics for intent and fact",
    "explicit partitioning rules",
    "compatibility-tested schemas",
    "consumer lag alerts",
    "a documented replay process",
)
"""Seed 000: "That means separate topics for intent and fact, explicit partitioning rules,
compatibility-tested schemas, consumer lag alerts, and a documented replay process." """
STORAGE_MODEL = (
    "It also means evaluating whether the broker storage model will keep up with the way the"
    " AI platform actually grows."
)
SIDE_CHANNEL = (
    "A team with low retention, stable traffic, and loose replay requirements may not need a"
    " different storage architecture."
)
