"""``fleetledger.open``: from a URL to a ready ledger, tables and topics created."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from fleetledger.backends.registry import int_option as _int_option
from fleetledger.backends.registry import open_backend
from fleetledger.backends.request import LEDGER_OPTIONS, ClientValue, OpenRequest
from fleetledger.backends.urls import default_url, parse_url
from fleetledger.events.catalogue import BUILTIN_TYPES
from fleetledger.events.registry import EventType, TypeRegistry
from fleetledger.governance import Policy
from fleetledger.governance.ordering import OrderingRule
from fleetledger.governance.principal import Principal
from fleetledger.ledger.aio import AsyncLedger
from fleetledger.ledger.core import DEFAULT_MAX_EVENT_BYTES, Clock, LedgerCore
from fleetledger.ledger.ledger import Ledger
from fleetledger.ledger.signing import (
    SignerOption,
    WriterKeyOption,
    resolve_signer,
    resolve_verifier,
    resolve_writer_key,
)
from fleetledger.topics import BUILTIN_POLICIES, FamilyPolicy

DEFAULT_NAMESPACE = "fleet"

__all__ = ["DEFAULT_NAMESPACE", "LEDGER_OPTIONS", "open", "open_async"]


def open(
    url: str | None = None,
    *,
    principal: Principal | None = None,
    namespace: str | None = None,
    policies: Iterable[FamilyPolicy] = (),
    types: Iterable[EventType] = (),
    max_event_bytes: int | None = None,
    default_source: str | None = None,
    clock: Clock | None = None,
    kafka_config: Mapping[str, ClientValue] | None = None,
    signer: SignerOption = None,
    writer_key: WriterKeyOption = None,
    readonly: bool = False,
    delegate: bool = False,
    access: Policy | None = None,
    ordering: Iterable[OrderingRule] = (),
) -> Ledger:
    """Open (creating if needed) the ledger at ``url``.

    ``url`` defaults to ``$FLEETLEDGER_URL``, else ``sqlite:///./fleetledger.db``. A family
    whose topic exists keeps its stored policy; ``policies`` set the policy of new families and
    change those of existing ones (a changed partition count is refused). ``types`` register
    user event types up front.
    ``kafka_config`` adds librdkafka settings to a ``kafka://`` ledger (credentials, TLS).

    ``readonly`` opens an existing ledger to read it only: nothing is created, written or
    signed (a SQLite file, its WAL and its directory may all be read-only), every write
    raises :class:`~fleetledger.errors.ReadOnlyLedger`, and a ledger that does not exist is
    :class:`~fleetledger.errors.NotFound`.

    ``signer`` (a :class:`~fleetledger.integrity.NoteSigner` or a ``NAME.key`` path; default:
    the URL option ``key``, else ``$FLEETLEDGER_KEY``; ``False``: never sign) makes a SQLite
    ledger store signed checkpoints every ``checkpoint_events`` events (URL option, default
    1000) or ``checkpoint_seconds`` seconds (default 5) at the next append, and on close. On
    Kafka, writers never sign: ``fleetledger notary`` does (see :mod:`fleetledger.audit.notary`);
    the signer's public key is still what :meth:`Ledger.verify` checks with by default.

    ``writer_key`` (bytes, or a file written by ``fleetledger keys init --writer``; default:
    the URL option ``writer_key``, else ``$FLEETLEDGER_WRITER_KEY``) is the secret a Kafka
    ledger's writers attest their records with, so records anyone else writes into its topics
    are told apart as foreign.

    ``principal`` is whom the ledger stamps on what it appends (default: the local user);
    ``delegate`` lets it append on behalf of others (:meth:`Ledger.acting_for`).

    ``access`` (a :class:`~fleetledger.governance.Policy`) is the access policy every
    operation on events is checked against, for the principal appending or reading:
    appends refused with :class:`~fleetledger.errors.AccessDenied`, events a reader may not
    see withheld and counted. None: no policy, everything allowed (as before policies).

    ``ordering`` rules (:class:`~fleetledger.governance.OrderingRule`, from the ``[[ordering]]``
    sections of ``fleetledger.toml`` through :func:`~fleetledger.governance.parse_ordering`)
    are checked at every append (:mod:`fleetledger.ledger.ordering`): on SQLite inside the
    write transaction, on Kafka against the task's history read to the end just before the
    write.
    """
    resolved = url or default_url()
    parsed = parse_url(resolved)
    merged = dict(BUILTIN_POLICIES)
    merged.update({p.family: p for p in policies})
    registry = TypeRegistry(BUILTIN_TYPES)
    for event_type in types:
        registry.register(event_type)
        merged.setdefault(event_type.family, FamilyPolicy(family=event_type.family))
    limit = _int_option(parsed.options, "max_event_bytes", DEFAULT_MAX_EVENT_BYTES, least=None)
    core = LedgerCore(
        namespace=namespace or parsed.option("namespace", DEFAULT_NAMESPACE),
        registry=registry,
        policies=merged,
        principal=principal or Principal.local(),
        max_event_bytes=limit if max_event_bytes is None else max_event_bytes,
        default_source=default_source,
        clock=clock or time.time_ns,
    )
    notary = None if readonly else resolve_signer(signer, parsed)
    request = OpenRequest(
        url=parsed,
        namespace=core.namespace,
        readonly=readonly,
        signer=notary,
        writer_key=resolve_writer_key(writer_key, parsed),
        client=dict(kafka_config or {}),
    )
    backend = open_backend(request)
    try:
        return Ledger(
            backend,
            core,
            url=resolved,
            explicit={p.family for p in policies},
            verifier=resolve_verifier(signer, parsed),
            readonly=readonly,
            delegate=delegate,
            access=access,
            ordering=ordering,
        )
    except BaseException:
        backend.close()
        raise


def open_async(url: str | None = None, **options: Any) -> AsyncLedger:
    """:func:`open` for asyncio code: the same options, an :class:`AsyncLedger`."""
    return AsyncLedger(open(url, **options))
