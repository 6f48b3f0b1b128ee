"""The ledger's administrative records, kept in the ledger itself as governance events so they
work on every backend and are provable like any event: API tokens (``governance.token.*``),
the policies in force (``governance.policy.changed``) and acts outside the events
(``governance.admin.performed``).

A token is ``flt_<id>_<secret>``: ``id`` names it in lists and revocations, ``secret`` (from
:func:`secrets.token_urlsafe`, 256 bits) authenticates. It is shown once, at creation; the
ledger records only ``sha256:<hex>`` of the secret, which is enough for a secret that cannot
be guessed, and compares digests in constant time (:func:`hmac.compare_digest`).

Each kind of record has one subject of the ``governance`` family, so reading them back is
one replay of that subject (:data:`TOKENS`, :data:`POLICY`, :data:`ADMIN`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple

from fleetledger.events.envelope import Event
from fleetledger.governance.principal import Principal

TOKENS = "fleetledger:tokens"
"""The subject of ``governance.token.created`` and ``governance.token.revoked``."""
POLICY = "fleetledger:policy"
"""The subject of ``governance.policy.changed``."""
ADMIN = "fleetledger:admin"
"""The subject of ``governance.admin.performed``."""
SOURCE = "urn:fleetledger:governance"
"""The source of these records when the ledger has no default source."""

TOKEN_PREFIX = "flt_"
_TOKEN = re.compile(r"flt_([0-9a-f]{16})_([A-Za-z0-9_\-]{43})\Z")


class NewToken(NamedTuple):
    """A token just created: its id, and ``secret``, the whole ``flt_<id>_<secret>`` to
    present, shown this once (the ledger keeps only a hash)."""

    token_id: str
    secret: str
    expires: datetime | None = None


class Token(NamedTuple):
    """A token as the ledger recorded it: whom it authenticates, who created it and when,
    when it expires and when it was revoked (``None``: never). Never its secret."""

    token_id: str
    principal: Principal
    created: datetime | None
    created_by: str | None
    expires: datetime | None
    revoked: datetime | None
    digest: str

    def active(self, now: datetime) -> bool:
        """Whether the token authenticates at ``now``: not revoked and not expired."""
        return self.revoked is None and (self.expires is None or now < self.expires)


class PolicyRecord(NamedTuple):
    """One ``governance.policy.changed``: the canonical texts of the access policy and the
    ordering rules in force from ``recorded`` on, who opened the ledger with them, and the
    event (by id) that records it."""

    recorded: datetime | None
    access: str
    ordering: str
    digest: str
    by: str | None
    event_id: str


def mint() -> tuple[str, str]:
    """A new token's id and its whole ``flt_<id>_<secret>`` text."""
    token_id = secrets.token_hex(8)
    return token_id, f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"


def split(token: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a token's text, or ``None`` when it is not shaped like one."""
    match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
    return None if match is None else (match[1], match[2])


def digest(secret: str) -> str:
    """What the ledger records of a secret: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()


def matches(recorded: str, secret: str) -> bool:
    """Whether ``secret`` is the one whose digest was recorded (in constant time)."""
    return hmac.compare_digest(recorded.encode(), digest(secret).encode())


def rfc3339(moment: datetime) -> str:
    """An aware datetime as RFC 3339 in UTC, to the millisecond."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _moment(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def fold_tokens(events: Iterable[Event]) -> dict[str, Token]:
    """Every token the events (the :data:`TOKENS` subject, in ledger order) create, as revoked
    by the later ones; a revocation of an unknown token is ignored."""
    tokens: dict[str, Token] = {}
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        token_id = data.get("token_id")
        if not isinstance(token_id, str):
            continue
        if event.type == "governance.token.created" and token_id not in tokens:
            principal = Principal(
                id=data["principal"],
                type="api_key",
                kind=data.get("kind"),
                tenant=data.get("tenant"),
            )
            tokens[token_id] = Token(
                token_id,
                principal,
                event.recorded_at,
                event.authid,
                _moment(data.get("expires")),
                None,
                data["hash"],
            )
        elif (
            event.type == "governance.token.revoked"
            and token_id in tokens
            and tokens[token_id].revoked is None
        ):
            tokens[token_id] = tokens[token_id]._replace(revoked=event.recorded_at)
    return tokens


def policy_digest(access: str, ordering: str) -> str:
    """The digest ``governance.policy.changed`` carries: SHA-256 (hex) of both texts."""
    return hashlib.sha256(f"{access}\n{ordering}".encode()).hexdigest()


def fold_policies(events: Iterable[Event]) -> list[PolicyRecord]:
    """The ``governance.policy.changed`` among ``events`` (in ledger order), as records."""
    return [
        PolicyRecord(
            event.recorded_at,
            event.data["access"],
            event.data["ordering"],
            event.data["digest"],
            event.authid,
            event.id,
        )
        for event in events
        if event.type == "governance.policy.changed" and isinstance(event.data, dict)
    ]
