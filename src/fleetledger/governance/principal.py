"""The authenticated identity a ledger stamps on every event it accepts.

Writers never set ``authid``/``authtype`` themselves: the ledger takes them from the principal it
was opened with (a configured service identity in-process, an API token on the server), which is
what lets a governance team trust who wrote what.
"""

from __future__ import annotations

import getpass
import socket

import msgspec

from fleetledger.errors import ConfigurationError

AUTH_TYPES = frozenset(
    {"app_user", "user", "service_account", "api_key", "system", "unauthenticated", "unknown"}
)
"""The ``authtype`` values of the CloudEvents authcontext extension."""


class Principal(msgspec.Struct, frozen=True):
    """An identity (``id``) and how it was established (``type``, a CloudEvents authtype)."""

    id: str
    type: str = "service_account"

    def __post_init__(self) -> None:
        if not self.id or len(self.id) > 256:
            raise ConfigurationError("a principal needs an id of 1 to 256 characters")
        if self.type not in AUTH_TYPES:
            raise ConfigurationError(
                f"principal type {self.type!r} is not a CloudEvents authtype: "
                + ", ".join(sorted(AUTH_TYPES)),
            )

    @classmethod
    def local(cls) -> Principal:
        """The operating-system user of this process, for a ledger opened without a principal."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (containers): fall back to the uid-less
            user = "unknown"
        return cls(id=f"{user}@{socket.gethostname()}", type="user")
