"""The one error tree of fleetledger.

Every failure a user can act on is a ``LedgerError``; driver errors (sqlite3, librdkafka) are
translated at the transaction boundary with ``raise ... from exc`` so callers never need to
import a driver to handle a failure::

    LedgerError
    ├── ContractError (ValueError)        the event or its data breaks the contract
    │   ├── UnknownEventType              the type is not in the catalogue or registry
    │   ├── EventTooLarge                 the encoded event exceeds the configured maximum
    │   └── IncompatibleSchema            a new version of a type breaks the previous one
    ├── ConfigurationError (ValueError)   a bad ledger URL, option or policy
    │   └── MissingExtra (ImportError)    an optional dependency is not installed
    ├── NotFound (KeyError)               no such event, task, topic or group
    ├── AccessDenied (PermissionError)    the principal may not do this
    ├── IntegrityError                    stored data does not match its proofs
    ├── Backpressure                      the ledger is saturated; retry after ``retry_after`` s
    ├── BackendError                      the storage failed; nothing was acknowledged
    └── LedgerClosed                      the ledger was used after ``close()``
"""

from __future__ import annotations


class LedgerError(Exception):
    """Root of every error fleetledger raises on purpose."""


class ContractError(LedgerError, ValueError):
    """An event, or the data it carries, breaks the event contract.

    ``field`` names the attribute or data field at fault (dotted for nested data), so a
    caller can point a user at the exact place to fix; ``index`` is the position of the
    refused event in an ``append_many`` batch.
    """

    field: str | None = None
    index: int | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownEventType(ContractError):
    """The event type is neither built in nor registered."""


class EventTooLarge(ContractError):
    """The encoded event is larger than the ledger's ``max_event_bytes``."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"event is {size} bytes encoded, above the limit of {limit} bytes; "
            "store large payloads elsewhere and reference them, or raise max_event_bytes",
        )
        self.size = size
        self.limit = limit


class IncompatibleSchema(ContractError):
    """A new version of a user type cannot read events written with the previous version."""


class ConfigurationError(LedgerError, ValueError):
    """A ledger URL, option or family policy is invalid."""


class MissingExtra(ConfigurationError, ImportError):
    """An optional dependency is needed; the message carries the exact install line."""

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(
            f"this needs the optional dependency {module!r}: pip install 'fleetledger[{extra}]'",
        )
        self.extra = extra


class NotFound(LedgerError, KeyError):
    """No event, task, topic or consumer group by that name."""

    def __str__(self) -> str:
        # KeyError quotes its argument; a user-facing message should read as a sentence.
        return str(self.args[0]) if self.args else "not found"


class AccessDenied(LedgerError, PermissionError):
    """The principal is not allowed to perform this operation."""


class IntegrityError(LedgerError):
    """Stored data does not match what was recorded or proved."""


class Backpressure(LedgerError):
    """The ledger cannot accept more work right now; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BackendError(LedgerError):
    """The storage backend failed; the operation was not acknowledged."""


class LedgerClosed(LedgerError):
    """The ledger (or consumer) was used after it was closed."""
