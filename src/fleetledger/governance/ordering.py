"""Ordering rules: an event matching X requires an earlier event matching Y, joined on fields.

A rule from the ``[[ordering]]`` sections of ``fleetledger.toml``::

    [[ordering]]
    name = "payments need an approval"
    when = { type = "tool.call.started", "data.tool" = "payments.*" }
    requires = { type = "governance.approval.granted" }
    join = ["subject", "data.call_id"]
    unless_after = { type = "governance.approval.rejected" }
    action = "refuse"                       # refuse | flag

reads: a ``tool.call.started`` event whose ``data.tool`` matches ``payments.*`` needs an earlier
``governance.approval.granted`` with the same ``subject`` and ``data.call_id``, and no joined
``governance.approval.rejected`` after that grant. A later grant satisfies the rule again.

Events are seen as plain mappings: CloudEvents attributes at the top, the payload under
``data``. A *path* names a field: ``type``, ``subject``, ``source``, ``data.tool``,
``data.call.id`` (nested objects). A *matcher* maps paths to :func:`fnmatch.fnmatchcase`
globs (case-sensitive on every platform); every path must match. A string matches its glob; a
number or boolean is matched as its JSON text (``42``, ``true``); a missing field, ``null``, an
object or an array never matches. Join fields compare by equality, and a missing join field on
either side never joins.

This module is pure (no I/O, no ledger): :func:`check` takes the candidate and its history,
the events of the same task that came before it in the ledger's order, and returns a
:class:`Verdict`; the ledger decides what to do with it at append time.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fleetledger.errors import PolicyError

Action = Literal["refuse", "flag"]
ACTIONS: tuple[Action, ...] = ("refuse", "flag")
Path = tuple[str | int, ...]
_KEYS = frozenset({"name", "when", "requires", "join", "unless_after", "action"})
_MISSING = object()


def lookup(event: Mapping[str, Any], path: str) -> Any:
    """The value at the dotted ``path`` of ``event``, or a sentinel no value equals."""
    value: Any = event
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _text(value: Any) -> str | None:
    """The text a glob is matched against, or ``None`` when the value never matches."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return None


@dataclass(frozen=True)
class Matcher:
    """Field globs that must all match: ``(("type", "tool.call.*"), ("data.tool", "pay*"))``."""

    fields: tuple[tuple[str, str], ...]

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether every path of the matcher is present in ``event`` and matches its glob."""
        for path, glob in self.fields:
            text = _text(lookup(event, path))
            if text is None or not fnmatch.fnmatchcase(text, glob):
                return False
        return True

    def __str__(self) -> str:
        return ", ".join(f"{path} = {glob!r}" for path, glob in self.fields)


@dataclass(frozen=True)
class OrderingRule:
    """An event matching ``when`` requires an earlier joined event matching ``requires``."""

    name: str
    when: Matcher
    requires: Matcher
    join: tuple[str, ...] = ()
    unless_after: Matcher | None = None
    action: Action = "refuse"

    def joined(self, candidate: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
        """Whether ``other`` has every join field of ``candidate``, with an equal value."""
        for path in self.join:
            mine = lookup(candidate, path)
            if mine is _MISSING or lookup(other, path) != mine:
                return False
        return True


@dataclass(frozen=True)
class Verdict:
    """What one rule says about one candidate event.

    ``satisfied_by`` is the id of the earlier event that satisfies the rule, and ``index`` its
    position in the history given to :func:`check` (so the ledger can stamp its leaf hash);
    ``cancelled_by`` the id of the ``unless_after`` event that cancelled the latest match.
    """

    rule: OrderingRule
    applies: bool
    satisfied: bool
    satisfied_by: str | None = None
    index: int | None = None
    cancelled_by: str | None = None

    @property
    def refused(self) -> bool:
        """Whether the candidate must be refused: the rule applies, fails, and refuses."""
        return self.applies and not self.satisfied and self.rule.action == "refuse"

    @property
    def flagged(self) -> bool:
        """Whether the candidate is accepted with a flag: the rule applies, fails, and flags."""
        return self.applies and not self.satisfied and self.rule.action == "flag"

    def reason(self) -> str:
        """One line saying why, for a refusal, a flag or a log."""
        name = self.rule.name
        if not self.applies:
            return f"rule {name!r} does not apply"
        if self.satisfied:
            return f"rule {name!r} is satisfied by event {self.satisfied_by}"
        joined = f" with the same {', '.join(self.rule.join)}" if self.rule.join else ""
        if self.cancelled_by is not None:
            return (
                f"rule {name!r}: the last earlier event matching {self.rule.requires}{joined}"
                f" is cancelled by event {self.cancelled_by}"
            )
        return f"rule {name!r}: no earlier event matching {self.rule.requires}{joined}"


def check(
    rule: OrderingRule, candidate: Mapping[str, Any], history: Sequence[Mapping[str, Any]]
) -> Verdict:
    """The verdict of ``rule`` on ``candidate``, given its earlier events in ledger order.

    The newest joined event that matches ``requires`` or ``unless_after`` decides: a
    ``requires`` match satisfies the rule (checked first, so an event matching both counts as
    the requirement), an ``unless_after`` match cancels every requirement before it.
    """
    if not rule.when.matches(candidate):
        return Verdict(rule, applies=False, satisfied=True)
    for index in range(len(history) - 1, -1, -1):
        event = history[index]
        if not rule.joined(candidate, event):
            continue
        if rule.requires.matches(event):
            return Verdict(rule, True, True, _id(event), index)
        if rule.unless_after is not None and rule.unless_after.matches(event):
            return Verdict(rule, True, False, cancelled_by=_id(event))
    return Verdict(rule, applies=True, satisfied=False)


def check_all(
    rules: Iterable[OrderingRule],
    candidate: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
) -> tuple[Verdict, ...]:
    """The verdicts of the rules that apply to ``candidate``, in the rules' order."""
    verdicts = (check(rule, candidate, history) for rule in rules)
    return tuple(verdict for verdict in verdicts if verdict.applies)


def _id(event: Mapping[str, Any]) -> str | None:
    value = event.get("id")
    return value if isinstance(value, str) else None


def ordering_text(rules: Iterable[OrderingRule]) -> str:
    """The canonical text of ordering ``rules``: a JSON array of ``[[ordering]]`` tables, in
    order, every key spelled out (matchers as ``{path: glob}``, ``unless_after`` ``null`` when
    absent), keys sorted, no whitespace; ``""`` for no rules."""
    tables = [
        {
            "name": rule.name,
            "when": dict(rule.when.fields),
            "requires": dict(rule.requires.fields),
            "join": list(rule.join),
            "unless_after": None if rule.unless_after is None else dict(rule.unless_after.fields),
            "action": rule.action,
        }
        for rule in rules
    ]
    return (
        json.dumps(tables, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if tables
        else ""
    )


# -- parsing -----------------------------------------------------------------------------------


def parse_ordering(value: Any, path: Path = ("ordering",)) -> tuple[OrderingRule, ...]:
    """The rules of the ``[[ordering]]`` sections (parsed TOML: a list of tables).

    Raises :class:`PolicyError` whose ``path`` points at the fault, e.g.
    ``("ordering", 1, "action")``: an unknown key, a missing or malformed value, a duplicate
    rule name.
    """
    if not isinstance(value, list):
        raise PolicyError("[[ordering]] is a list of tables", path=path)
    rules = tuple(_rule(item, (*path, number)) for number, item in enumerate(value))
    seen: set[str] = set()
    for number, rule in enumerate(rules):
        if rule.name in seen:
            raise PolicyError(
                f"two ordering rules are named {rule.name!r}", path=(*path, number, "name")
            )
        seen.add(rule.name)
    return rules


def _rule(item: Any, path: Path) -> OrderingRule:
    if not isinstance(item, Mapping):
        raise PolicyError("an ordering rule is a table", path=path)
    for key in item:
        if key not in _KEYS:
            raise PolicyError(
                f"unknown key {key!r} in an ordering rule; known: {', '.join(sorted(_KEYS))}",
                path=(*path, key),
            )
    for key in ("name", "when", "requires"):
        if key not in item:
            raise PolicyError(f"an ordering rule needs {key!r}", path=path)
    name = item["name"]
    if not isinstance(name, str) or not name.strip():
        raise PolicyError("a rule's name is a non-empty string", path=(*path, "name"))
    unless = item.get("unless_after")
    return OrderingRule(
        name=name,
        when=_matcher(item["when"], (*path, "when")),
        requires=_matcher(item["requires"], (*path, "requires")),
        join=_join(item.get("join", []), (*path, "join")),
        unless_after=None if unless is None else _matcher(unless, (*path, "unless_after")),
        action=_action(item.get("action", "refuse"), (*path, "action")),
    )


def _matcher(value: Any, path: Path) -> Matcher:
    """A matcher from a table of path = glob; nested tables spell paths too (``data.tool``)."""
    if not isinstance(value, Mapping):
        raise PolicyError("a matcher is a table of field = glob", path=path)
    fields = tuple(_flatten(value, "", path))
    if not fields:
        raise PolicyError("a matcher names at least one field", path=path)
    return Matcher(fields)


def _flatten(table: Mapping[Any, Any], prefix: str, path: Path) -> Iterable[tuple[str, str]]:
    for key, glob in table.items():
        field = _field(f"{prefix}{key}", (*path, key))
        if isinstance(glob, Mapping):
            yield from _flatten(glob, f"{field}.", (*path, key))
        elif isinstance(glob, str):
            yield field, glob
        else:
            raise PolicyError(f"the glob for {field!r} is a string", path=(*path, key))


def _join(value: Any, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise PolicyError("join is a list of field paths", path=path)
    fields = tuple(_field(item, (*path, number)) for number, item in enumerate(value))
    if len(set(fields)) != len(fields):
        raise PolicyError("join names a field twice", path=path)
    return fields


def _field(value: Any, path: Path) -> str:
    """A field path: dot-separated, non-empty parts, no whitespace."""
    if not isinstance(value, str) or not all(value.split(".")) or any(c.isspace() for c in value):
        raise PolicyError(
            f"a field path is like 'type' or 'data.call_id', not {value!r}", path=path
        )
    return value


def _action(value: Any, path: Path) -> Action:
    for action in ACTIONS:
        if value == action:
            return action
    raise PolicyError(f"action is 'refuse' or 'flag', not {value!r}", path=path)
