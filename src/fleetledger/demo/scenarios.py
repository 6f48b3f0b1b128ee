"""The kinds of work customers ask the fleet for, and the plan each one decomposes into.

Each scenario names the lookups a researcher makes, the one action an executor takes (the call
that changes the world, so the one governance cares about) and the check a validator runs. Its
``brief`` draws the concrete request: goal text, inputs, and the action's arguments, whose values
decide whether approval is needed or a policy denies the call.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fleetledger.demo.tools import Args


@dataclass(frozen=True)
class Brief:
    """One concrete request: what to do, with which inputs and action arguments."""

    goal: str
    inputs: dict[str, Any]
    arguments: Args


@dataclass(frozen=True)
class Scenario:
    """A kind of request and the tools its three subtasks use."""

    kind: str
    weight: int
    lookups: tuple[str, ...]  # researcher
    action: str  # executor
    check: str  # validator
    brief: Callable[[random.Random], Brief]


def _order(rng: random.Random) -> str:
    return f"{rng.randint(100_000, 999_999)}"


def _customer(rng: random.Random) -> str:
    return f"cus_{rng.getrandbits(32):08x}"


def refund_brief(rng: random.Random, amount: float | None = None) -> Brief:
    """A customer refund; the amount decides approval (>= 250) and the policy limit (> 2500)."""
    order, customer = _order(rng), _customer(rng)
    value = round(rng.lognormvariate(6.0, 1.3), 2) if amount is None else amount
    return Brief(
        goal=f"Refund order #{order} for customer {customer}",
        inputs={"order_id": order, "customer_id": customer, "amount": value},
        arguments={
            "order_id": order,
            "amount": value,
            "currency": "EUR",
            "idempotency_key": f"refund-{order}",
        },
    )


def _report_brief(rng: random.Random) -> Brief:
    service = rng.choice(["checkout", "search", "billing-api", "mobile-app", "auth"])
    week = rng.randint(1, 52)
    return Brief(
        goal=f"Summarize incidents of {service} for week {week}",
        inputs={"service": service, "week": week},
        arguments={"space": "SRE", "title": f"{service} incidents, week {week}"},
    )


_DATASETS = {
    "orders_2024": False,
    "customers": True,
    "support_tickets": True,
    "web_sessions": False,
}


def _export_brief(rng: random.Random) -> Brief:
    dataset = rng.choice(sorted(_DATASETS))
    partner = rng.choice(["northwind", "contoso", "fabrikam"])
    return Brief(
        goal=f"Export {dataset} to the {partner} analytics sandbox",
        inputs={"dataset": dataset, "partner": partner},
        arguments={
            "dataset": dataset,
            "destination": f"s3://{partner}-sandbox/{dataset}/",
            "contains_pii": _DATASETS[dataset],
            "redact": False,
        },
    )


def _rotate_brief(rng: random.Random) -> Brief:
    service = rng.choice(["billing-api", "search", "webhooks", "auth"])
    return Brief(
        goal=f"Rotate the API credentials of {service}",
        inputs={"service": service},
        arguments={"service": service, "grace_period_s": rng.choice([300, 900, 3600])},
    )


def _outreach_brief(rng: random.Random) -> Brief:
    topic = rng.choice(["planned maintenance", "new invoice format", "price update"])
    recipients = int(rng.lognormvariate(6.5, 1.0))
    return Brief(
        goal=f"Email {recipients} customers about the {topic}",
        inputs={"topic": topic, "recipients": recipients},
        arguments={
            "template": topic.replace(" ", "-"),
            "recipients": recipients,
            "exclude_unsubscribed": rng.random() < 0.7,  # agents sometimes forget
        },
    )


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "refund",
        30,
        ("crm.get_customer", "orders.get"),
        "payments.refund",
        "payments.get_refund",
        refund_brief,
    ),
    Scenario(
        "report",
        25,
        ("tickets.search", "kb.search", "web.search"),
        "docs.publish",
        "docs.lint",
        _report_brief,
    ),
    Scenario(
        "export",
        15,
        ("catalog.describe",),
        "warehouse.export",
        "warehouse.verify",
        _export_brief,
    ),
    Scenario(
        "rotate",
        10,
        ("secrets.inventory",),
        "secrets.rotate",
        "monitor.health",
        _rotate_brief,
    ),
    Scenario(
        "outreach",
        20,
        ("crm.segment",),
        "email.send_bulk",
        "email.delivery_report",
        _outreach_brief,
    ),
)
"""Every kind of request, with how often customers make it."""

REFUND = SCENARIOS[0]
