"""The one home of fleetledger's naming rules: namespaces, families, topics, checkpoint origins.

A ledger's topics are ``{namespace}.{family}``; its internal topics start with an underscore
after the dot (``{namespace}._checkpoints``, ``{namespace}._deadletter``), which no family
name can, so they never collide. Several ledgers may share one store or cluster, told apart by
namespace. A partition's signed checkpoint names it by its origin
``{namespace}/{topic}/{partition}``; on Kafka its leaf hashes live in
``{namespace}._leaves.{family}``. Namespaces hold no dot, so the namespace of any ledger
topic is everything before its first dot.
"""

from __future__ import annotations

import re

from fleetledger.errors import ConfigurationError

NAMESPACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}\Z")
"""Letters, digits, ``_`` and ``-``, starting with a letter or digit, at most 100."""
FAMILY = re.compile(r"[a-z][a-z0-9_-]{0,62}\Z")
"""Lowercase letters, digits, ``_`` and ``-``, starting with a letter, at most 63."""

CHECKPOINTS = "_checkpoints"
DEADLETTER = "_deadletter"
LEAVES = "_leaves"
INTERNAL = (CHECKPOINTS, DEADLETTER, LEAVES)
"""Suffixes of a namespace's internal topics (after ``{namespace}.``)."""


def check_namespace(namespace: object) -> str:
    """``namespace`` if it is a valid namespace; :class:`ConfigurationError` saying why not."""
    if not isinstance(namespace, str) or not NAMESPACE.match(namespace):
        raise ConfigurationError(
            f"namespace {namespace!r} must be letters, digits, '_' or '-', starting with a"
            " letter or digit (at most 100)",
        )
    return namespace


def check_family(family: object) -> str:
    """``family`` if it is a valid family name; :class:`ConfigurationError` saying why not."""
    if not isinstance(family, str) or not FAMILY.match(family):
        raise ConfigurationError(
            f"family name {family!r} must be lowercase letters, digits, '_' or '-', "
            "starting with a letter (at most 63 characters)",
        )
    return family


def topic_name(namespace: str, family: str) -> str:
    """The topic of ``family`` in ``namespace``: ``{namespace}.{family}``."""
    return f"{namespace}.{family}"


def prefix(namespace: str) -> str:
    """What every topic name of ``namespace`` starts with."""
    return namespace + "."


def in_namespace(topic: str, namespace: str) -> bool:
    """Whether ``topic`` is one of ``namespace``'s (family or internal) topics."""
    return topic.startswith(prefix(namespace))


def is_family_topic(topic: str, namespace: str) -> bool:
    """Whether ``topic`` is a family topic of ``namespace`` (not an internal one)."""
    return in_namespace(topic, namespace) and not topic[len(namespace) + 1 :].startswith("_")


def family_of(topic: str) -> str:
    """The family (or internal suffix) of a ledger topic: ``task`` of ``fleet.task``."""
    return topic.partition(".")[2]


def namespace_of(topic: str) -> str:
    """The namespace of a ledger topic: ``fleet`` of ``fleet.task``."""
    return topic.partition(".")[0]


def internal_topic(namespace: str, suffix: str) -> str:
    """One of the namespace's internal topics, e.g. ``{namespace}._checkpoints``."""
    if suffix not in INTERNAL:
        raise ValueError(f"no internal topic {suffix!r}; one of {', '.join(INTERNAL)}")
    return f"{namespace}.{suffix}"


def leaves_topic(topic: str) -> str:
    """Where a notary keeps the leaf hashes of a family topic's partitions, apart from its
    records (so retention and compaction never reach them): ``{namespace}._leaves.{family}``,
    with the same partitions."""
    return f"{namespace_of(topic)}.{LEAVES}.{family_of(topic)}"


def checkpoint_origin(namespace: str, topic: str, partition: int) -> str:
    """The origin line of a partition's signed checkpoint: ``{namespace}/{topic}/{partition}``."""
    return f"{namespace}/{topic}/{partition}"
