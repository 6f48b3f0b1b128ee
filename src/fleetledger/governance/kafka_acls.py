"""Kafka ACL bindings derived from an access policy, so the broker enforces what it can.

On Kafka a principal holding credentials talks to the broker directly; the rules bind there only
as broker ACLs. A family is a topic ``{namespace}.{family}``, so the broker can grant or deny an
action on a whole family, never on part of one:

- ``append`` is WRITE (and DESCRIBE) on the family's topics, IDEMPOTENT_WRITE on the cluster and
  WRITE/DESCRIBE on the writers' transactional ids (``fleetledger-`` prefixed);
- ``read`` is READ (and DESCRIBE) on the topics and READ on the consumer groups whose names
  start with the principal's id;
- ``admin`` is ALTER, DESCRIBE_CONFIGS, CREATE (and DESCRIBE) on the topics;
- anyone allowed anything may open the ledger: DESCRIBE and DESCRIBE_CONFIGS on the namespace's
  topics (prefix ``{namespace}.``; a topic it cannot see, opening would try to create), READ on
  ``{namespace}._checkpoints`` (signed roots, no events) and READ, DESCRIBE and DESCRIBE_CONFIGS
  on the policy registry ``_fleetledger.topics``; no event topic is readable by that alone;
- a deny rule is a DENY binding of the same topic operations (DESCRIBE aside); Kafka, too, lets
  a DENY win over any ALLOW;
- a family glob ending in one ``*`` is a PREFIXED pattern, a plain name a LITERAL one; any other
  glob cannot be expressed and is refused.

Where the broker cannot express a rule exactly, the bindings grant less, never more: an allow
narrowed to classifications or tenants is left out (grant it through the server), a deny so
narrowed denies the whole family. :attr:`KafkaAcls.notes` says each time. ``kind:<kind>``
becomes every configured principal of that kind; ``*`` becomes ``User:*``. Plain data: nothing
here imports a Kafka client.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

import msgspec

from fleetledger.errors import PolicyError
from fleetledger.governance.access import Action, Effect, Policy, Rule
from fleetledger.governance.principal import Principal

CLUSTER = "kafka-cluster"
TRANSACTIONAL_PREFIX = "fleetledger-"
"""What the Kafka backend's transactional ids start with (``fleetledger-<uuid>``)."""
REGISTRY = "_fleetledger.topics"
"""The Kafka backend's topic policy registry, which every ledger reads when it opens."""

_TOPIC_OPERATIONS = {
    Action.APPEND: ("WRITE", "DESCRIBE"),
    Action.READ: ("READ", "DESCRIBE"),
    Action.ADMIN: ("ALTER", "DESCRIBE_CONFIGS", "CREATE", "DESCRIBE"),
}
_GLOB = frozenset("*?[]!")


class Binding(msgspec.Struct, frozen=True):
    """One Kafka ACL binding, and the number (from 1) of the rule it comes from."""

    principal: str
    permission: str
    operation: str
    resource_type: str
    name: str
    pattern: str
    rule: int
    host: str = "*"


class KafkaAcls(msgspec.Struct, frozen=True):
    """The bindings a policy derives, and notes on what the broker cannot express."""

    bindings: tuple[Binding, ...]
    notes: tuple[str, ...]


def kafka_acls(
    policy: Policy,
    principals: Sequence[Principal],
    namespace: str,
    *,
    path: tuple[str, ...] = ("rules",),
) -> KafkaAcls:
    """The ACL bindings that enforce ``policy`` on the topics of ``namespace``.

    Raises :class:`~fleetledger.errors.PolicyError` (``path`` naming the family glob) for a glob
    Kafka cannot express.
    """
    bindings: dict[Binding, None] = {}
    notes: list[str] = []
    if not policy.configured:
        notes.append(
            "no policy is configured: nothing to derive (a broker with an authorizer and no"
            " bindings refuses everyone but its super users)"
        )
    for index, rule in enumerate(policy.rules):
        patterns = [
            _pattern(namespace, glob, (*path, index, "families", j))
            for j, glob in enumerate(rule.families)
        ]
        users = _users(rule, principals, index + 1, notes)
        if rule.classifications is not None or rule.tenants is not None:
            if rule.effect is Effect.ALLOW:
                notes.append(
                    f"{policy.label(rule)}: left out, the broker cannot grant part of a family"
                )
                continue
            notes.append(
                f"{policy.label(rule)}: denies whole families (the broker cannot deny part of one)"
            )
        for binding in _rule_bindings(rule, index + 1, users, patterns, namespace):
            bindings.setdefault(binding, None)
    return KafkaAcls(tuple(bindings), tuple(notes))


def _users(
    rule: Rule, principals: Sequence[Principal], number: int, notes: list[str]
) -> list[tuple[str, str | None]]:
    """``(Kafka principal, consumer-group prefix)`` for each principal the rule names."""
    users: list[tuple[str, str | None]] = []
    for entry in rule.principals:
        if entry == "*":
            users.append(("User:*", None))
        elif entry.startswith("kind:"):
            kind = entry.removeprefix("kind:")
            named = [p.id for p in principals if p.kind == kind]
            if not named:
                notes.append(f"rule {number}: no configured principal is of {entry}, nothing bound")
            users.extend((f"User:{pid}", pid) for pid in named)
        else:
            users.append((f"User:{entry}", entry))
    return list(dict.fromkeys(users))


def _rule_bindings(
    rule: Rule,
    number: int,
    users: list[tuple[str, str | None]],
    patterns: list[tuple[str, str]],
    namespace: str,
) -> list[Binding]:
    permission = rule.effect.value.upper()
    found: list[Binding] = []
    for user, group in users:
        for action in rule.actions:
            operations = _TOPIC_OPERATIONS[action]
            if rule.effect is Effect.DENY:
                operations = tuple(op for op in operations if op != "DESCRIBE")
            for name, pattern in patterns:
                found += [
                    Binding(user, permission, op, "TOPIC", name, pattern, number)
                    for op in operations
                ]
            if rule.effect is Effect.ALLOW:
                found += _extras(action, user, group, number)
        if rule.effect is Effect.ALLOW:
            found += _opening(user, namespace, number)
    return found


def _opening(user: str, namespace: str, number: int) -> list[Binding]:
    """What opening the ledger needs of anyone allowed anything: seeing which of the
    namespace's topics exist and their configs (else it would try to create them), reading
    the policy registry and the signed checkpoints (public: roots, never events)."""
    prefix = f"{namespace}."
    checkpoints = f"{namespace}._checkpoints"
    return [
        Binding(user, "ALLOW", "DESCRIBE", "TOPIC", prefix, "PREFIXED", number),
        Binding(user, "ALLOW", "DESCRIBE_CONFIGS", "TOPIC", prefix, "PREFIXED", number),
        Binding(user, "ALLOW", "READ", "TOPIC", checkpoints, "LITERAL", number),
        Binding(user, "ALLOW", "READ", "TOPIC", REGISTRY, "LITERAL", number),
        Binding(user, "ALLOW", "DESCRIBE", "TOPIC", REGISTRY, "LITERAL", number),
        Binding(user, "ALLOW", "DESCRIBE_CONFIGS", "TOPIC", REGISTRY, "LITERAL", number),
    ]


def _extras(action: Action, user: str, group: str | None, number: int) -> list[Binding]:
    """The cluster, transactional-id and group bindings an allowed action needs besides topics."""
    if action is Action.APPEND:
        return [
            Binding(user, "ALLOW", "IDEMPOTENT_WRITE", "CLUSTER", CLUSTER, "LITERAL", number),
            Binding(
                user, "ALLOW", "WRITE", "TRANSACTIONAL_ID", TRANSACTIONAL_PREFIX, "PREFIXED", number
            ),
            Binding(
                user,
                "ALLOW",
                "DESCRIBE",
                "TRANSACTIONAL_ID",
                TRANSACTIONAL_PREFIX,
                "PREFIXED",
                number,
            ),
        ]
    if action is Action.READ:
        name, pattern = ("*", "LITERAL") if group is None else (group, "PREFIXED")
        return [Binding(user, "ALLOW", "READ", "GROUP", name, pattern, number)]
    return []


def _pattern(namespace: str, glob: str, path: tuple[str | int, ...]) -> tuple[str, str]:
    """``(resource name, pattern type)`` of the topics a family glob covers."""
    stem = glob.removesuffix("*")
    if _GLOB.isdisjoint(stem):
        return (f"{namespace}.{stem}", "PREFIXED" if stem != glob else "LITERAL")
    raise PolicyError(
        f"family glob {glob!r} cannot be a Kafka ACL: use a family name or a prefix ending in"
        " one '*'",
        path=path,
    )


_OPERATION_FLAGS = {
    "WRITE": "Write",
    "READ": "Read",
    "DESCRIBE": "Describe",
    "IDEMPOTENT_WRITE": "IdempotentWrite",
    "ALTER": "Alter",
    "DESCRIBE_CONFIGS": "DescribeConfigs",
    "CREATE": "Create",
}


def shell_line(binding: Binding) -> str:
    """The ``kafka-acls.sh`` command that adds ``binding`` (``$BOOTSTRAP``: the broker)."""
    who = "--allow-principal" if binding.permission == "ALLOW" else "--deny-principal"
    if binding.resource_type == "CLUSTER":
        resource = "--cluster"
    else:
        flag = binding.resource_type.lower().replace("_", "-")
        resource = f"--{flag} {shlex.quote(binding.name)}"
    return (
        f'kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --add'
        f" {who} {shlex.quote(binding.principal)}"
        f" --operation {_OPERATION_FLAGS[binding.operation]} {resource}"
        f" --resource-pattern-type {binding.pattern.lower()}"
    )
