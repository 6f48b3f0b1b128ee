"""The one error tree of fleetledger.

Every failure a user can act on is a ``LedgerError``; driver errors (sqlite3, librdkafka) are
translated at the transaction boundary with ``raise ... from exc`` so callers never need to
import a driver to handle a failure::

    LedgerError
    ├── ContractError (ValueError)        the event or its data breaks the contract
    │   ├── UnknownEventType              the type is not in the catalogue or registry
    │   ├── EventTooLarge                 the encoded event exceeds the configured maximum
    │   ├── IdConflict                    the event id is stored already, with other content
    │   └── IncompatibleSchema            a new version of a type breaks the previous one
    ├── ConfigurationError (ValueError)   a bad ledger URL, option or policy
    │   ├── MissingExtra (ImportError)    an optional dependency is not installed
    │   ├── InvalidKey                    a verifier or signer key string is malformed
    │   └── PolicyError                   a policy or configuration section is malformed; ``path``
    │                                     names the offending key
    ├── NotFound (KeyError)               no such event, task, topic or group
    ├── AccessDenied (PermissionError)    the principal may not do this
    │   └── PolicyViolation               an ordering rule refused an event at append
    ├── IntegrityError                    stored data does not match its proofs
    │   ├── ProofError                    a Merkle proof does not lead to the expected root
    │   ├── VerificationFailed            ``verify`` found modified, missing, ... events
    │   └── NoteError                     a signed note (checkpoint, head) cannot be trusted
    │       ├── MalformedNote (ValueError)  not a well-formed note, checkpoint or ledger head
    │       ├── UnknownKey                no signature by any trusted key
    │       ├── BadSignature              a trusted key's signature does not verify
    │       └── WrongOrigin               validly signed, but for another log or namespace
    ├── Backpressure                      the ledger is saturated; retry after ``retry_after`` s
    ├── Fenced                            a consumer-group member committed a partition it no
    │                                     longer holds (another member took it over)
    ├── BackendError                      the storage failed or is out of reach; nothing was
    │   │                                 acknowledged
    │   └── ReadOnlyLedger                the ledger was opened for reading, or cannot be written
    ├── LedgerClosed                      the ledger was used after ``close()``
    └── NotRecorded                       an adapter failing closed could not record a tool
                                          call, so the call did not run
"""

from __future__ import annotations

from typing import Any


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


class IdConflict(ContractError):
    """The event id is already stored with other content; ``position`` is where it lives.

    Appending an id the ledger holds is idempotent only for the same event: anything else would
    either lose the new data or rewrite history, so the append is refused, all of it.
    """

    def __init__(self, event_id: str, position: Any) -> None:
        super().__init__(
            f"event id {event_id!r} is already stored at {position} with other content; an id"
            " names one event: give the new event another id (or none, for a fresh one)",
            field="id",
        )
        self.event_id = event_id
        self.position = position


class IncompatibleSchema(ContractError):
    """A new version of a user type cannot read events written with the previous version."""


class ConfigurationError(LedgerError, ValueError):
    """A ledger URL, option or family policy is invalid."""


class PolicyError(ConfigurationError):
    """A policy (or another section of ``fleetledger.toml``) is malformed.

    ``path`` names the offending key inside the parsed TOML, e.g. ``("rules", 2, "effct")``, so
    that whoever read the file can point at its line.
    """

    def __init__(self, message: str, *, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


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


class PolicyViolation(AccessDenied):
    """A rule refused an event at append: an access rule (the principal may not append it),
    or an ordering rule (it needs an earlier event it lacks).

    ``rule`` is the rule's name; ``event_id``, ``event_type`` and ``subject`` name the refused
    event, ``digest`` the SHA-256 (hex) of its canonical bytes; ``index`` is its position in
    an ``append_many`` batch. Nothing of the batch was stored; the refusal is recorded as a
    ``governance.policy.denied`` event.
    """

    def __init__(
        self,
        message: str,
        *,
        rule: str,
        event_id: str,
        event_type: str,
        subject: str,
        index: int = 0,
        digest: str | None = None,
        policy: str = "ordering",
    ) -> None:
        super().__init__(message)
        self.policy = policy
        """Which rules refused it: ``access`` or ``ordering``."""
        self.digest = digest
        self.rule = rule
        self.event_id = event_id
        self.event_type = event_type
        self.subject = subject
        self.index = index


class IntegrityError(LedgerError):
    """Stored data does not match what was recorded or proved."""


class ProofError(IntegrityError):
    """A Merkle inclusion or consistency proof does not lead to the root it should.

    ``expected`` is the root the caller trusts (from a signed checkpoint); ``computed`` is the
    root the proof leads to, or ``None`` when the proof is malformed (wrong length, an index
    outside the tree) and no root could be computed. Both are raw 32-byte hashes, so a report
    can show exactly which root disagreed.
    """

    def __init__(
        self, message: str, *, expected: bytes | None = None, computed: bytes | None = None
    ) -> None:
        super().__init__(message)
        self.expected = expected
        self.computed = computed


class VerificationFailed(IntegrityError):
    """``Ledger.verify`` found stored data that does not match its trees or signed checkpoints.

    ``findings`` holds every finding (topic, partition, offset, kind, detail); the message
    names the first.
    """

    def __init__(self, findings: tuple[Any, ...]) -> None:
        first = findings[0] if findings else None
        where = "" if first is None else f"; first: {first.kind} at {first.topic}/{first.partition}"
        at = "" if first is None or first.offset is None else f" offset {first.offset}"
        super().__init__(f"verification failed with {len(findings)} findings{where}{at}")
        self.findings = findings


class Backpressure(LedgerError):
    """The ledger cannot accept more work right now; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Fenced(LedgerError):
    """A member of a consumer group committed partitions it no longer holds: its lease ran
    out (it did not show itself alive within the session timeout) or the group moved them to
    another member. Nothing was committed; the new holder resumes from the last commit."""


class BackendError(LedgerError):
    """The storage backend failed; the operation was not acknowledged."""


class ReadOnlyLedger(BackendError):
    """A write to a ledger opened read-only, or whose file or broker refuses this writer."""


class LedgerClosed(LedgerError):
    """The ledger (or consumer) was used after it was closed."""


class NotRecorded(LedgerError):
    """A framework adapter failing closed could not record a tool call, so it did not run it.

    ``tool`` and ``call_id`` name the call, ``event_type`` the event that could not be
    appended; the ledger's own error is the ``__cause__`` (a closed or read-only ledger, an
    unreachable broker...). Fix the ledger and run the call again, or let the adapter fail
    open (``Recorder(..., fail_closed=False)``) to run calls the ledger cannot record.
    """

    def __init__(self, *, tool: str, call_id: str, event_type: str, cause: BaseException) -> None:
        super().__init__(
            f"tool call {call_id} of {tool!r} did not run: the ledger could not record"
            f" {event_type} ({type(cause).__name__}: {cause}); the recorder fails closed"
        )
        self.tool = tool
        self.call_id = call_id
        self.event_type = event_type


class MalformedBundle(IntegrityError, ValueError):
    """The bytes are not an evidence bundle this version can read (not a finding about one)."""


class NoteError(IntegrityError):
    """A signed note (checkpoint, ledger head) cannot be trusted as it is."""


class MalformedNote(NoteError, ValueError):
    """The bytes are not a well-formed signed note, checkpoint or ledger head."""


class UnknownKey(NoteError):
    """No signature on the note is by a trusted key; ``signers`` lists ``(name, key_id)`` seen."""

    def __init__(self, signers: tuple[tuple[str, int], ...]) -> None:
        seen = ", ".join(f"{name}+{key_id:08x}" for name, key_id in signers) or "none"
        super().__init__(f"the note is not signed by any trusted key (signed by: {seen})")
        self.signers = signers


class BadSignature(NoteError):
    """A signature by a trusted key does not verify: the text or the signature was altered."""

    def __init__(self, name: str, key_id: int) -> None:
        super().__init__(f"the signature by {name}+{key_id:08x} does not verify")
        self.name = name
        self.key_id = key_id


class WrongOrigin(NoteError):
    """The note is validly signed but names another log (or namespace) than the one expected."""

    def __init__(self, *, expected: str, actual: str) -> None:
        super().__init__(f"the note is for {actual!r}, not {expected!r}")
        self.expected = expected
        self.actual = actual


class InvalidKey(ConfigurationError):
    """A verifier key (``name+hash+key``) or signer key (``PRIVATE+KEY+...``) is malformed."""
