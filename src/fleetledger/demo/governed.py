"""One governed payment, after the fleet: access rules, an ordering rule, and an erasure.

The fleet itself writes with no policy (it simulates traffic); this scene opens the same ledger
as configured principals under :data:`POLICY`: the payments agent's refund is refused until a
person approves it (the refusal is recorded as ``governance.policy.denied``), the auditor reads
the task but not its restricted context (withheld, and counted), and the operator forgets the
customer: their keys are destroyed, their fields read as erased, and the ledger still verifies.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

import fleetledger
from fleetledger import Ledger
from fleetledger.errors import PolicyViolation
from fleetledger.governance import Policy, parse_ordering, parse_principals, parse_rules

POLICY = """
[[principals]]
id = "payments-agent"
kind = "agent"

[[principals]]
id = "alice"
kind = "human"

[[principals]]
id = "auditor"
kind = "human"

[[principals]]
id = "ops"
kind = "service"

[[rules]]
name = "agents work on tasks, tools and context"
effect = "allow"
actions = ["append", "read"]
principals = ["kind:agent"]
families = ["task", "tool", "context"]

[[rules]]
name = "people approve and read"
effect = "allow"
actions = ["append", "read"]
principals = ["kind:human"]
families = ["governance", "task", "tool", "context"]

[[rules]]
name = "restricted context is for agents"
effect = "deny"
actions = ["read"]
principals = ["kind:human"]
families = ["context"]
classifications = ["restricted"]

[[rules]]
name = "operations administer"
effect = "allow"
actions = ["append", "read", "admin"]
principals = ["kind:service"]

[[ordering]]
name = "payments need an approval"
when = { type = "tool.call.started", data = { tool = "payments.*" } }
requires = { type = "governance.approval.granted" }
join = ["subject", "data.call_id"]
unless_after = { type = "governance.approval.rejected" }
"""


@dataclass(frozen=True)
class GovernanceReport:
    """What the governed scene showed."""

    task: str
    refused: str
    """The ordering rule's refusal of the unapproved payment."""
    denials_recorded: int
    approved: bool
    auditor_shown: int
    auditor_withheld: int
    datasubject: str
    keys_destroyed: int
    erased_fields: int
    """Fields of the customer's events that read as erased after the erasure."""
    events: int
    """Events the scene stored: its own six, the recorded refusals and the erasure record."""


def governed_payment(url: str, task: str, datasubject: str) -> GovernanceReport:
    """Run the scene on the ledger at ``url`` for a new ``task`` of customer ``datasubject``."""
    document = tomllib.loads(POLICY)
    principals = {p.id: p for p in parse_principals(document["principals"])}
    policy = Policy(parse_rules(document["rules"]))
    ordering = parse_ordering(document["ordering"])

    def as_(who: str) -> Ledger:
        return fleetledger.open(
            url,
            principal=principals[who],
            access=policy,
            ordering=ordering,
            signer=False,
            default_source="fleetledger-demo/governance",
        )

    private = {"subject": task, "datasubject": datasubject, "dataclassification": "restricted"}
    call: dict[str, Any] = {"call_id": f"{task}-refund", "tool": "payments.refund"}
    with as_("payments-agent") as agent:
        agent.append("task.requested", data={"goal": f"refund order of {datasubject}"}, **private)
        agent.append(
            "context.retrieved", data={"query": f"payment details of {datasubject}"}, **private
        )
        agent.append(
            "tool.call.requested", data={**call, "arguments": {"amount": "42.00"}}, **private
        )
        try:
            agent.append("tool.call.started", data=call, subject=task)
            refused = ""
        except PolicyViolation as exc:
            refused = str(exc)
    with as_("alice") as alice:
        alice.append(
            "governance.approval.granted",
            subject=task,
            data={"approval_id": f"{task}-ok", "call_id": call["call_id"], "approver": "alice"},
        )
    with as_("payments-agent") as agent:
        agent.append("tool.call.started", data=call, subject=task)
        agent.append("tool.call.completed", data={**call, "result": "refunded"}, **private)
    with as_("auditor") as auditor:
        shown = auditor.replay(task)
        seen = list(shown)
        denials = sum(
            1
            for e in auditor.tail(last=50)
            if e.type == "governance.policy.denied" and e.data.get("event_type")
        )
    with as_("ops") as ops:
        erasure = ops.forget(datasubject, reason="the customer asked", requested_by="ops")
        erased = sum(_erased(e.data) for e in ops.replay(task))
    return GovernanceReport(
        task,
        refused,
        denials,
        not refused or any(e.type == "tool.call.started" for e in seen),
        len(seen),
        shown.withheld,
        datasubject,
        erasure.keys_destroyed,
        erased,
        _APPENDED + denials + 2,  # and the erasure, and the policy recorded at the first open
    )


_APPENDED = 6
"""The events the scene appends itself: task, context, call requested, approval, call started,
call completed."""


def _erased(value: Any) -> int:
    """How many fields of ``value`` read as erased (``{"$erased": true}``)."""
    if isinstance(value, dict):
        if value.get("$erased") is True:
            return 1
        return sum(_erased(v) for v in value.values())
    if isinstance(value, list):
        return sum(_erased(v) for v in value)
    return 0
