"""``fleetledger.open``: from a URL to a ready ledger, tables and topics created."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from fleetledger.backends.memory import MemoryBackend
from fleetledger.backends.protocols import Backend
from fleetledger.backends.sqlite import SQLiteBackend
from fleetledger.errors import ConfigurationError
from fleetledger.events.catalogue import BUILTIN_TYPES
from fleetledger.events.registry import EventType, TypeRegistry
from fleetledger.governance.principal import Principal
from fleetledger.integrity import NoteSigner
from fleetledger.ledger.aio import AsyncLedger
from fleetledger.ledger.core import DEFAULT_MAX_EVENT_BYTES, Clock, LedgerCore
from fleetledger.ledger.ledger import Ledger
from fleetledger.ledger.signing import SignerOption, resolve_signer
from fleetledger.ledger.urls import LedgerURL, default_url, parse_url
from fleetledger.topics import BUILTIN_POLICIES, FamilyPolicy

DEFAULT_NAMESPACE = "fleet"


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
    kafka_config: Mapping[str, str | int | float | bool] | None = None,
    signer: SignerOption = None,
) -> Ledger:
    """Open (creating if needed) the ledger at ``url``.

    ``url`` defaults to ``$FLEETLEDGER_URL``, else ``sqlite:///./fleetledger.db``. A family
    whose topic exists keeps its stored policy; ``policies`` set the policy of new families and
    change those of existing ones (a changed partition count is refused). ``types`` register
    user event types up front.
    ``kafka_config`` adds librdkafka settings to a ``kafka://`` ledger (credentials, TLS).

    ``signer`` (a :class:`~fleetledger.integrity.NoteSigner` or a ``NAME.key`` path; default:
    the URL option ``key``, else ``$FLEETLEDGER_KEY``; ``False``: never sign) makes a SQLite
    ledger store signed checkpoints every ``checkpoint_events`` events (URL option, default
    1000) or ``checkpoint_seconds`` seconds (default 5) at the next append, and on close. On
    Kafka, writers never sign: ``fleetledger notary`` does (see :mod:`fleetledger.ledger.notary`);
    the signer's public key is still what :meth:`Ledger.verify` checks with by default.
    """
    resolved = url or default_url()
    parsed = parse_url(resolved)
    merged = dict(BUILTIN_POLICIES)
    merged.update({p.family: p for p in policies})
    registry = TypeRegistry(BUILTIN_TYPES)
    for event_type in types:
        registry.register(event_type)
        merged.setdefault(event_type.family, FamilyPolicy(family=event_type.family))
    core = LedgerCore(
        namespace=namespace or parsed.option("namespace", DEFAULT_NAMESPACE),
        registry=registry,
        policies=merged,
        principal=principal or Principal.local(),
        max_event_bytes=_int_option(parsed, "max_event_bytes", DEFAULT_MAX_EVENT_BYTES)
        if max_event_bytes is None
        else max_event_bytes,
        default_source=default_source,
        clock=clock or time.time_ns,
    )
    notary = resolve_signer(signer, parsed)
    backend = _backend(parsed, core.namespace, kafka_config, notary)
    try:
        return Ledger(
            backend,
            core,
            url=resolved,
            explicit={p.family for p in policies},
            verifier=None if notary is None else notary.verifier,
        )
    except BaseException:
        backend.close()
        raise


def _backend(
    parsed: LedgerURL,
    namespace: str,
    kafka_config: Mapping[str, str | int | float | bool] | None = None,
    signer: NoteSigner | None = None,
) -> Backend:
    if parsed.scheme == "sqlite":
        return SQLiteBackend(
            parsed.location,
            synchronous=parsed.option("synchronous", "FULL"),
            signer=signer,
            namespace=namespace,
            checkpoint_every=_int_option(parsed, "checkpoint_events", 1000),
            checkpoint_interval=_int_option(parsed, "checkpoint_seconds", 5),
        )
    if parsed.scheme == "memory":
        if signer is not None:
            raise ConfigurationError("a memory:// ledger keeps no Merkle trees to sign")
        return MemoryBackend()
    if parsed.scheme == "kafka":
        # Imported here: `import fleetledger` must not import confluent_kafka (the kafka extra).
        from fleetledger.backends.kafka import connect  # noqa: PLC0415

        return connect(parsed.location, parsed.options, kafka_config, namespace)
    raise ConfigurationError(f"no backend for {parsed.scheme}:// URLs")


def _int_option(parsed: LedgerURL, name: str, default: int) -> int:
    text = parsed.option(name, str(default))
    try:
        return int(text)
    except ValueError:
        raise ConfigurationError(f"URL option {name} must be an integer, not {text!r}") from None


def open_async(url: str | None = None, **options: Any) -> AsyncLedger:
    """:func:`open` for asyncio code: the same options, an :class:`AsyncLedger`."""
    return AsyncLedger(open(url, **options))
