"""The authenticated identity a ledger stamps on every event it accepts, and the
``[[principals]]`` section of ``fleetledger.toml`` that names them for access rules.

Writers never set ``authid``/``authtype`` themselves: the ledger takes them from the principal it
was opened with (a configured service identity in-process, an API token on the server), which is
what lets a governance team trust who wrote what.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from fleetledger.errors import ConfigurationError, PolicyError

AUTH_TYPES = frozenset(
    {"app_user", "user", "service_account", "api_key", "system", "unauthenticated", "unknown"}
)
"""The ``authtype`` values of the CloudEvents authcontext extension."""

KINDS = frozenset({"agent", "service", "human"})
"""What a principal is, for access rules that name ``kind:<kind>``."""


class Principal(msgspec.Struct, frozen=True):
    """An identity (``id``) and how it was established (``type``, a CloudEvents authtype).

    ``kind`` (agent, service or human) and ``tenant`` are what access rules may name besides
    the id; a principal without them (``None``) matches only rules naming its id or ``*``.
    """

    id: str
    type: str = "service_account"
    kind: str | None = None
    tenant: str | None = None

    def __post_init__(self) -> None:
        if not self.id or len(self.id) > 256:
            raise ConfigurationError("a principal needs an id of 1 to 256 characters")
        if self.type not in AUTH_TYPES:
            raise ConfigurationError(
                f"principal type {self.type!r} is not a CloudEvents authtype: "
                + ", ".join(sorted(AUTH_TYPES)),
            )
        if self.kind is not None and self.kind not in KINDS:
            raise ConfigurationError(
                f"principal kind {self.kind!r} is not one of " + ", ".join(sorted(KINDS))
            )
        if self.tenant is not None and not self.tenant:
            raise ConfigurationError("a principal's tenant, when given, is not empty")

    @classmethod
    def local(cls) -> Principal:
        """The operating-system user of this process, for a ledger opened without a principal."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (containers): fall back to the uid-less
            user = "unknown"
        return cls(id=f"{user}@{socket.gethostname()}", type="user")


_PRINCIPAL_KEYS = ("id", "kind", "tenant")


def parse_principals(
    value: object, path: tuple[str | int, ...] = ("principals",)
) -> tuple[Principal, ...]:
    """The ``[[principals]]`` tables of a parsed ``fleetledger.toml``.

    Each has an ``id``, a ``kind`` (agent, service or human) and optionally a ``tenant``; a
    human authenticates as a CloudEvents ``user``, the others as a ``service_account``.
    Raises :class:`PolicyError` whose ``path`` names the offending key.
    """
    tables = tables_at(value, path)
    principals = tuple(_principal(table, (*path, i)) for i, table in enumerate(tables))
    seen: set[str] = set()
    for i, principal in enumerate(principals):
        if principal.id in seen:
            raise PolicyError(f"principal {principal.id!r} is named twice", path=(*path, i, "id"))
        seen.add(principal.id)
    return principals


def _principal(table: Mapping[str, Any], path: tuple[str | int, ...]) -> Principal:
    unknown = [key for key in table if key not in _PRINCIPAL_KEYS]
    if unknown:
        raise PolicyError(
            f"unknown key {unknown[0]!r} in a principal (known: {', '.join(_PRINCIPAL_KEYS)})",
            path=(*path, unknown[0]),
        )
    for key in ("id", "kind"):
        if key not in table:
            raise PolicyError(f"a principal needs {key!r}", path=(*path, key))
    for key in _PRINCIPAL_KEYS:
        if key in table and not isinstance(table[key], str):
            raise PolicyError(f"{key!r} must be a string", path=(*path, key))
    if table["kind"] not in KINDS:
        raise PolicyError(
            f"kind {table['kind']!r} is not one of {', '.join(sorted(KINDS))}",
            path=(*path, "kind"),
        )
    for key in ("id", "tenant"):
        if key in table and not 1 <= len(table[key]) <= 256:
            raise PolicyError(f"{key!r} must be 1 to 256 characters", path=(*path, key))
    return Principal(
        id=table["id"],
        type="user" if table["kind"] == "human" else "service_account",
        kind=table["kind"],
        tenant=table.get("tenant"),
    )


def tables_at(value: object, path: tuple[str | int, ...]) -> Sequence[Mapping[str, Any]]:
    """``value`` as a list of tables (``[[section]]``), or :class:`PolicyError` at ``path``."""
    if not isinstance(value, list):
        raise PolicyError("must be a list of tables ([[...]])", path=path)
    for i, table in enumerate(value):
        if not isinstance(table, dict):
            raise PolicyError("must be a table", path=(*path, i))
    return value
