"""The tools agents call: how long they take, how they fail, what governs and undoes them.

A tool is data, not code: latency range, failure modes, whether a human must approve the call
for given arguments, a policy that may deny it (and how an agent can comply), and the tool that
compensates its effect. The workflows read these to decide which governance events come first.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Args = dict[str, Any]


@dataclass(frozen=True)
class Failure:
    """One way a call can fail; ``retryable`` failures are worth another attempt."""

    error_type: str
    message: str
    retryable: bool


@dataclass(frozen=True)
class Policy:
    """A rule checked before a call runs; a denial is recorded as evidence."""

    id: str
    rule: str
    denies: Callable[[Args], str | None]  # the reason the arguments break the rule, if they do
    remedy: Callable[[Args], Args] | None = None  # compliant arguments, when the agent can adapt


@dataclass(frozen=True)
class Tool:
    """A tool of the fleet and everything the simulation needs to know about calling it."""

    name: str
    latency_ms: tuple[int, int]
    fail_rate: float = 0.0
    failures: tuple[Failure, ...] = ()
    approval: Callable[[Args], bool] | None = None  # True: a human must sign off these arguments
    policy: Policy | None = None
    undo: str | None = None  # the tool that compensates this one's effect

    def needs_approval(self, args: Args) -> bool:
        """Whether calling with ``args`` must wait for a human sign-off."""
        return self.approval is not None and self.approval(args)

    def result(self, args: Args, rng: random.Random) -> Args:
        """A plausible result of a successful call."""
        return _RESULTS.get(self.name, _ok)(args, rng)


TIMEOUT = Failure("timeout", "upstream did not answer within 2s", retryable=True)
UNAVAILABLE = Failure("unavailable", "503 service unavailable", retryable=True)
RATE_LIMITED = Failure("rate_limited", "429 too many requests", retryable=True)

REFUND_APPROVAL_OVER = 250.0
REFUND_LIMIT = 2500.0
BULK_EMAIL_APPROVAL_OVER = 1000


def _refund_over_limit(args: Args) -> str | None:
    amount = float(args.get("amount", 0))
    if amount > REFUND_LIMIT:
        return f"refund of {amount:.2f} exceeds the {REFUND_LIMIT:.0f} per-agent limit"
    return None


def _exports_pii(args: Args) -> str | None:
    if args.get("contains_pii") and not args.get("redact"):
        return f"dataset {args.get('dataset')} has PII columns and the export is not redacted"
    return None


def _emails_unsubscribed(args: Args) -> str | None:
    if not args.get("exclude_unsubscribed"):
        return "segment includes customers who unsubscribed from marketing"
    return None


def _ok(args: Args, rng: random.Random) -> Args:
    return {"status": "ok"}


def _hex(rng: random.Random, prefix: str) -> str:
    return f"{prefix}_{rng.getrandbits(48):012x}"


_RESULTS: dict[str, Callable[[Args, random.Random], Args]] = {
    "crm.get_customer": lambda a, r: {"tier": r.choice(["free", "pro", "enterprise"])},
    "orders.get": lambda a, r: {"status": "delivered", "total": a.get("amount")},
    "kb.search": lambda a, r: {"hits": r.randint(2, 12)},
    "tickets.search": lambda a, r: {"tickets": r.randint(0, 40)},
    "web.search": lambda a, r: {"results": r.randint(5, 50)},
    "catalog.describe": lambda a, r: {"columns": r.randint(6, 80), "rows": r.randint(10**3, 10**7)},
    "secrets.inventory": lambda a, r: {"keys": r.randint(1, 9), "oldest_days": r.randint(30, 400)},
    "crm.segment": lambda a, r: {"recipients": a.get("recipients")},
    "payments.refund": lambda a, r: {"refund_id": _hex(r, "re"), "status": "succeeded"},
    "payments.reverse_refund": lambda a, r: {"reversal_id": _hex(r, "rv"), "status": "succeeded"},
    "docs.publish": lambda a, r: {"url": f"https://wiki.example/{_hex(r, 'page')}"},
    "warehouse.export": lambda a, r: {"export_id": _hex(r, "ex"), "rows": r.randint(10**3, 10**6)},
    "secrets.rotate": lambda a, r: {"key_version": r.randint(2, 40)},
    "email.send_bulk": lambda a, r: {"accepted": a.get("recipients"), "batch": _hex(r, "em")},
    "payments.get_refund": lambda a, r: {"found": True},
    "monitor.health": lambda a, r: {"healthy": True, "p99_ms": r.randint(40, 400)},
    "email.delivery_report": lambda a, r: {"bounced": r.randint(0, 30)},
}

TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        # lookups a researcher makes
        Tool("crm.get_customer", (60, 400), 0.03, (TIMEOUT,)),
        Tool("orders.get", (40, 300), 0.04, (TIMEOUT, UNAVAILABLE)),
        Tool("kb.search", (80, 900), 0.02, (TIMEOUT,)),
        Tool("tickets.search", (100, 1200), 0.03, (TIMEOUT,)),
        Tool("web.search", (300, 2500), 0.06, (RATE_LIMITED, TIMEOUT)),
        Tool("catalog.describe", (50, 300), 0.02, (UNAVAILABLE,)),
        Tool("secrets.inventory", (50, 250)),
        Tool("crm.segment", (200, 1500), 0.03, (TIMEOUT,)),
        # actions an executor takes; these change the world
        Tool(
            "payments.refund",
            (400, 3000),
            0.08,
            (
                Failure("gateway_timeout", "payment gateway timed out", retryable=True),
                Failure("refund_window_closed", "order is past the refund window", False),
            ),
            approval=lambda a: float(a.get("amount", 0)) >= REFUND_APPROVAL_OVER,
            policy=Policy("refund-limit", "refunds above the per-agent limit", _refund_over_limit),
            undo="payments.reverse_refund",
        ),
        Tool(
            "docs.publish",
            (200, 900),
            0.03,
            (Failure("conflict", "page was edited concurrently", retryable=True),),
            undo="docs.unpublish",
        ),
        Tool(
            "warehouse.export",
            (800, 3000),
            0.05,
            (Failure("query_timeout", "warehouse query exceeded 30s", retryable=True),),
            policy=Policy(
                "pii-export",
                "no unredacted PII leaves the tenant",
                _exports_pii,
                remedy=lambda a: {**a, "redact": True},
            ),
            undo="warehouse.delete_export",
        ),
        Tool(
            "secrets.rotate",
            (300, 2000),
            0.05,
            (Failure("vault_unavailable", "vault sealed or unreachable", retryable=True),),
            approval=lambda a: True,
            undo="secrets.rollback",
        ),
        Tool(
            "email.send_bulk",
            (500, 3000),
            0.04,
            (Failure("throttled", "mail provider throttled the batch", retryable=True),),
            approval=lambda a: int(a.get("recipients", 0)) >= BULK_EMAIL_APPROVAL_OVER,
            policy=Policy(
                "marketing-consent",
                "marketing email only to subscribed customers",
                _emails_unsubscribed,
                remedy=lambda a: {**a, "exclude_unsubscribed": True},
            ),
        ),
        # compensations: they undo an action and are never refused
        Tool("payments.reverse_refund", (300, 1500)),
        Tool("docs.unpublish", (100, 500)),
        Tool("warehouse.delete_export", (200, 800)),
        Tool("secrets.rollback", (200, 1200)),
        # checks a validator runs
        Tool("payments.get_refund", (50, 400), 0.02, (TIMEOUT,)),
        Tool("docs.lint", (100, 800)),
        Tool("warehouse.verify", (200, 900), 0.02, (TIMEOUT,)),
        Tool("monitor.health", (50, 500), 0.02, (UNAVAILABLE,)),
        Tool("email.delivery_report", (100, 700)),
    )
}
"""Every tool of the fleet by name."""
