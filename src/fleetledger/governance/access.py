"""Access rules: who may ``append``, ``read`` or ``admin`` which families, classifications and
tenants, and the one function that decides.

A :class:`Policy` is the ordered ``[[rules]]`` of ``fleetledger.toml``. :func:`decide` reads it
so: an explicit deny wins over any allow; without a rule that allows, there is no access; a
ledger with no policy configured (:meth:`Policy.open`) is open to everyone, as before policies
existed. The :class:`Decision` says which rule decided and why, in words a refusal can show.
Pure: no I/O, no ledger; the facade calls :func:`decide` at its authorize stage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any, TypeVar

import msgspec

from fleetledger.errors import AccessDenied, PolicyError
from fleetledger.governance.principal import KINDS, Principal, tables_at
from fleetledger.types import Classification

Path = tuple[str | int, ...]
E = TypeVar("E", bound=StrEnum)


class Action(StrEnum):
    """What a principal does to events: write them, see them, or administer their topics."""

    APPEND = "append"
    READ = "read"
    ADMIN = "admin"


class Effect(StrEnum):
    """Whether a rule grants or withholds."""

    ALLOW = "allow"
    DENY = "deny"


class Resource(msgspec.Struct, frozen=True):
    """What an action touches: events of a family, of a classification, of a tenant (or none)."""

    family: str
    classification: Classification
    tenant: str | None = None

    def __str__(self) -> str:
        tenant = "" if self.tenant is None else f", tenant {self.tenant}"
        return f"{self.family} ({self.classification.value}{tenant})"


class Rule(msgspec.Struct, frozen=True):
    """One ``[[rules]]`` table: ``effect`` on ``actions`` by ``principals`` over the resources
    matching ``families`` (globs), ``classifications`` and ``tenants`` (``None``: all).

    A principal entry is an id, ``kind:<kind>`` or ``*``.
    """

    effect: Effect
    actions: tuple[Action, ...]
    principals: tuple[str, ...]
    families: tuple[str, ...] = ("*",)
    classifications: tuple[Classification, ...] | None = None
    tenants: tuple[str, ...] | None = None
    name: str = ""

    def naming(self, principal: Principal) -> str | None:
        """The entry of ``principals`` that names ``principal``, if any."""
        names = {
            "*",
            principal.id,
            *(() if principal.kind is None else (f"kind:{principal.kind}",)),
        }
        return next((entry for entry in self.principals if entry in names), None)

    def covers(self, action: Action, resource: Resource) -> bool:
        """Whether the rule speaks of ``action`` on ``resource`` (whoever does it)."""
        return (
            action in self.actions
            and any(fnmatchcase(resource.family, glob) for glob in self.families)
            and (self.classifications is None or resource.classification in self.classifications)
            and (self.tenants is None or resource.tenant in self.tenants)
        )

    def __str__(self) -> str:
        text = (
            f"{self.effect.value} {', '.join(self.actions)} on {', '.join(self.families)}"
            f" to {', '.join(self.principals)}"
        )
        if self.classifications is not None:
            text += f", classifications {', '.join(self.classifications)}"
        if self.tenants is not None:
            text += f", tenants {', '.join(self.tenants)}"
        return text


class Policy(msgspec.Struct, frozen=True):
    """The ordered access rules in force; ``configured=False`` is no policy at all (open)."""

    rules: tuple[Rule, ...] = ()
    configured: bool = True

    @classmethod
    def open(cls) -> Policy:
        """No policy configured: every principal may do everything."""
        return cls(configured=False)

    def label(self, rule: Rule) -> str:
        """How messages name ``rule``: its number (from 1), its name if any, and what it says."""
        number = self.rules.index(rule) + 1
        name = f' "{rule.name}"' if rule.name else ""
        return f"rule {number}{name} ({rule})"


class Decision(msgspec.Struct, frozen=True):
    """Whether ``principal`` may ``action`` ``resource``, the rule that decided (``None`` when
    no rule did) and ``reason``: which rule decides and why."""

    allowed: bool
    reason: str
    principal: Principal
    action: Action
    resource: Resource
    rule: Rule | None = None

    @property
    def message(self) -> str:
        """One line naming the principal, the action, the resource and the deciding rule."""
        may = "may" if self.allowed else "may not"
        return (
            f"{describe(self.principal)} {may} {self.action.value} {self.resource}: {self.reason}"
        )

    def check(self) -> None:
        """Raise :class:`~fleetledger.AccessDenied` with :attr:`message` unless allowed."""
        if not self.allowed:
            raise AccessDenied(self.message)


def policy_text(policy: Policy) -> str:
    """The canonical text of ``policy``: its rules as a JSON array of ``[[rules]]`` tables, every
    key spelled out (``null``: no restriction), keys sorted, no whitespace; ``""`` for no policy
    (:meth:`Policy.open`). Equal policies have equal texts, whatever the file's layout."""
    if not policy.configured:
        return ""
    tables = [
        {
            "effect": rule.effect.value,
            "actions": [action.value for action in rule.actions],
            "principals": list(rule.principals),
            "families": list(rule.families),
            "classifications": None
            if rule.classifications is None
            else [c.value for c in rule.classifications],
            "tenants": None if rule.tenants is None else list(rule.tenants),
            "name": rule.name,
        }
        for rule in policy.rules
    ]
    return msgspec.json.encode(tables, order="sorted").decode()


def describe(principal: Principal) -> str:
    """``planner (agent, tenant acme)``; ``ghost (no kind)`` for a principal without one."""
    kind = principal.kind or "no kind"
    tenant = "" if principal.tenant is None else f", tenant {principal.tenant}"
    return f"{principal.id} ({kind}{tenant})"


def decide(policy: Policy, principal: Principal, action: Action, resource: Resource) -> Decision:
    """Whether ``principal`` may ``action`` ``resource`` under ``policy``, and why.

    An explicit deny wins over any allow, whatever their order; with no rule allowing, the
    answer is no; an unconfigured policy allows everything.
    """
    if not policy.configured:
        reason = "no policy is configured, so the ledger is open to every principal"
        return Decision(True, reason, principal, action, resource)
    matching = [r for r in policy.rules if r.covers(action, resource) and r.naming(principal)]
    denies = [r for r in matching if r.effect is Effect.DENY]
    allows = [r for r in matching if r.effect is Effect.ALLOW]
    if denies:
        return Decision(
            False, _denied(policy, denies[0], allows), principal, action, resource, denies[0]
        )
    if allows:
        reason = f"allowed by {policy.label(allows[0])}, which names {allows[0].naming(principal)}"
        return Decision(True, reason, principal, action, resource, allows[0])
    reason = "no rule allows it, and without a rule there is no access"
    return Decision(False, reason, principal, action, resource)


def _denied(policy: Policy, deny: Rule, allows: Sequence[Rule]) -> str:
    over = f" over {policy.label(allows[0])}" if allows else ""
    return f"denied by {policy.label(deny)}; an explicit deny wins{over}"


_RULE_KEYS = ("effect", "actions", "principals", "families", "classifications", "tenants", "name")
_FAMILY_GLOB = re.compile(r"[a-z0-9_\-*?\[\]!]{1,63}\Z")


def parse_rules(value: object, path: Path = ("rules",)) -> tuple[Rule, ...]:
    """The ``[[rules]]`` tables of a parsed ``fleetledger.toml``, in order.

    Raises :class:`~fleetledger.errors.PolicyError` whose ``path`` names the offending key
    (``("rules", 2, "effct")``) or list item (``("rules", 0, "actions", 1)``).
    """
    return tuple(_rule(table, (*path, i)) for i, table in enumerate(tables_at(value, path)))


def _rule(table: Mapping[str, Any], path: Path) -> Rule:
    unknown = [key for key in table if key not in _RULE_KEYS]
    if unknown:
        raise PolicyError(
            f"unknown key {unknown[0]!r} in a rule (known: {', '.join(_RULE_KEYS)})",
            path=(*path, unknown[0]),
        )
    for key in ("effect", "actions", "principals"):
        if key not in table:
            raise PolicyError(f"a rule needs {key!r}", path=(*path, key))
    return Rule(
        effect=_choice(Effect, table["effect"], (*path, "effect")),
        actions=tuple(_choice(Action, a, p) for a, p in _items(table, "actions", path)),
        principals=tuple(_principal_entry(e, p) for e, p in _items(table, "principals", path)),
        families=tuple(_family(f, p) for f, p in _items(table, "families", path)) or ("*",),
        classifications=_optional(table, "classifications", path, _classification),
        tenants=_optional(table, "tenants", path, _string),
        name=_string(table.get("name", ""), (*path, "name"), empty=True),
    )


def _items(table: Mapping[str, Any], key: str, path: Path) -> list[tuple[Any, Path]]:
    """The list at ``table[key]`` (absent: empty) with each item's path; it may not be empty."""
    if key not in table:
        return []
    value = table[key]
    if not isinstance(value, list) or not value:
        raise PolicyError(f"{key!r} must be a non-empty list", path=(*path, key))
    return [(item, (*path, key, i)) for i, item in enumerate(value)]


def _optional(table: Mapping[str, Any], key: str, path: Path, each: Any) -> Any:
    items = _items(table, key, path)
    return tuple(each(item, p) for item, p in items) if items else None


def _choice(enum: type[E], value: object, path: Path) -> E:
    known = [e.value for e in enum]
    if value not in known:
        raise PolicyError(f"{value!r} is not one of {', '.join(known)}", path=path)
    return enum(value)


def _classification(value: object, path: Path) -> Classification:
    return _choice(Classification, value, path)


def _string(value: object, path: Path, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty):
        raise PolicyError(f"{value!r} must be a non-empty string", path=path)
    return value


def _principal_entry(value: object, path: Path) -> str:
    entry = _string(value, path)
    if entry.startswith("kind:") and entry[5:] not in KINDS:
        known = ", ".join(f"kind:{k}" for k in sorted(KINDS))
        raise PolicyError(f"{entry!r} names no kind of principal ({known})", path=path)
    return entry


def _family(value: object, path: Path) -> str:
    glob = _string(value, path)
    if not _FAMILY_GLOB.match(glob):
        raise PolicyError(
            f"family glob {glob!r} may hold only lowercase letters, digits, '_', '-' and the"
            " glob characters * ? [ ] !",
            path=path,
        )
    return glob
