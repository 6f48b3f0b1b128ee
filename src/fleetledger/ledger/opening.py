"""``fleetledger.open``: from a URL to a ready ledger, tables and topics created."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

from fleetledger.backends.keys import SQLiteKeyStore
from fleetledger.backends.registry import int_option as _int_option
from fleetledger.backends.registry import open_backend
from fleetledger.backends.request import LEDGER_OPTIONS, ClientValue, OpenRequest
from fleetledger.backends.urls import LedgerURL, default_url, parse_url
from fleetledger.errors import ConfigurationError
from fleetledger.events.catalogue import BUILTIN_TYPES
from fleetledger.events.registry import EventType, TypeRegistry
from fleetledger.governance import Policy
from fleetledger.governance.encryption import KeyStore, MemoryKeyStore
from fleetledger.governance.ordering import OrderingRule
from fleetledger.governance.principal import Principal
from fleetledger.ledger.aio import AsyncLedger
from fleetledger.ledger.core import DEFAULT_MAX_EVENT_BYTES, Clock, LedgerCore
from fleetledger.ledger.fields import DEFAULT_ENCRYPT_FROM, FieldCrypto
from fleetledger.ledger.ledger import Ledger
from fleetledger.ledger.signing import (
    SignerOption,
    WriterKeyOption,
    resolve_signer,
    resolve_verifier,
    resolve_writer_key,
)
from fleetledger.topics import BUILTIN_POLICIES, FamilyPolicy
from fleetledger.types import Classification

DEFAULT_NAMESPACE = "fleet"
KEYS_SUFFIX = ".keys"
"""A SQLite ledger's key store is its file's name plus this (and ``.kek`` for the KEK)."""

KeysOption = KeyStore | str | os.PathLike[str] | bool | None
"""A key store, a key store file's path, False for none, or None for the default."""

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
    keys: KeysOption = None,
    encrypt_from: Classification | str | None = None,
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

    ``keys`` keeps the data keys that confidential fields are encrypted under, one per data
    subject, in events classified ``encrypt_from`` or above (default ``restricted``; URL
    option ``encrypt_from``): a :class:`~fleetledger.KeyStore`, or the path of the local
    store's SQLite file (its key-encryption key beside it as ``PATH.kek``, or at the URL
    option ``kek``). By default (URL option ``keys``) a SQLite ledger's store is its file
    plus ``.keys``, created on first use; a memory ledger's is in memory; a Kafka ledger has
    none unless given one, and refuses to append what it would have to encrypt. ``False``:
    no key store (sealed fields are then shown sealed).
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
    fields = FieldCrypto(
        resolve_keys(keys, parsed, readonly=readonly), _threshold(encrypt_from, parsed)
    )
    core = LedgerCore(
        namespace=namespace or parsed.option("namespace", DEFAULT_NAMESPACE),
        registry=registry,
        policies=merged,
        principal=principal or Principal.local(),
        max_event_bytes=limit if max_event_bytes is None else max_event_bytes,
        default_source=default_source,
        clock=clock or time.time_ns,
        fields=fields,
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
    try:
        backend = open_backend(request)
    except BaseException:
        fields.close()
        raise
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
        fields.close()
        raise


def open_async(url: str | None = None, **options: Any) -> AsyncLedger:
    """:func:`open` for asyncio code: the same options, an :class:`AsyncLedger`."""
    return AsyncLedger(open(url, **options))


def resolve_keys(option: KeysOption, url: LedgerURL, *, readonly: bool = False) -> KeyStore | None:
    """The key store ``option`` names (see :func:`open`), or the ledger's default one."""
    if option is False:
        return None
    if option is None or option is True:
        option = url.options.get("keys") or None
    if isinstance(option, KeyStore):
        return option
    if option is not None:
        return SQLiteKeyStore(os.fspath(option), url.options.get("kek"), readonly=readonly)
    if url.scheme == "sqlite":
        return SQLiteKeyStore(url.location + KEYS_SUFFIX, url.options.get("kek"), readonly=readonly)
    if url.scheme == "memory":
        return MemoryKeyStore()
    return None


def _threshold(given: Classification | str | None, url: LedgerURL) -> Classification:
    """The classification from which confidential fields are encrypted."""
    chosen = given if given is not None else url.options.get("encrypt_from", DEFAULT_ENCRYPT_FROM)
    try:
        return Classification(chosen)
    except ValueError:
        raise ConfigurationError(
            f"encrypt_from {chosen!r} is not one of " + ", ".join(c.value for c in Classification)
        ) from None
