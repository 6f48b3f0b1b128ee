"""Which backend a ledger URL opens: one entry per URL scheme, each parsing its own options.

A URL's options belong to the ledger (``namespace``, ``max_event_bytes``, ``key``,
``writer_key``) or to the backend its scheme names; a name that belongs to neither is refused,
naming every option the URL could have meant, so a typo (``?nmespace=``) never silently
writes into the default namespace. ``kafka://`` also passes option names holding a dot to
librdkafka as client settings.

Backends register here with :func:`register`; SQLite and memory are built in, Kafka is opened
on first use so that ``import fleetledger`` never imports its client library.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import NamedTuple

from fleetledger.backends.memory import MemoryBackend
from fleetledger.backends.protocols import Backend
from fleetledger.backends.request import LEDGER_OPTIONS, OpenRequest
from fleetledger.backends.sqlite import SQLiteBackend
from fleetledger.errors import ConfigurationError

Opener = Callable[[OpenRequest, Mapping[str, str]], Backend]
"""Opens a backend from the request and the URL options that are the backend's own."""


class BackendKind(NamedTuple):
    """One URL scheme: how to open its backend and which URL options it takes."""

    scheme: str
    open: Opener
    options: frozenset[str] = frozenset()
    client_settings: bool = False
    """Whether option names with a dot are client library settings (Kafka's librdkafka)."""


_KINDS: dict[str, BackendKind] = {}


def register(kind: BackendKind) -> None:
    """Make ``{scheme}://`` URLs open this kind of backend."""
    _KINDS[kind.scheme] = kind


def schemes() -> list[str]:
    """Every registered URL scheme, sorted."""
    return sorted(_KINDS)


def open_backend(request: OpenRequest) -> Backend:
    """The backend ``request.url`` names, its options checked; :class:`ConfigurationError`
    for an unknown scheme or option."""
    url = request.url
    kind = _KINDS.get(url.scheme)
    if kind is None:
        known = ", ".join(f"{s}://" for s in schemes())
        raise ConfigurationError(
            f"unsupported ledger URL scheme {url.scheme!r}; use one of: {known}"
        )
    own = {name: value for name, value in url.options.items() if name not in LEDGER_OPTIONS}
    unknown = sorted(name for name in own if name not in kind.options and not _client(kind, name))
    if unknown:
        valid = ", ".join(sorted(LEDGER_OPTIONS | kind.options))
        dotted = "; and librdkafka settings (names with a dot)" if kind.client_settings else ""
        raise ConfigurationError(
            f"unknown option(s) {', '.join(unknown)} in a {url.scheme}:// URL; "
            f"it takes: {valid}{dotted}"
        )
    return kind.open(request, own)


def _client(kind: BackendKind, name: str) -> bool:
    return kind.client_settings and "." in name


def int_option(
    options: Mapping[str, str], name: str, default: int, *, least: int | None = 1
) -> int:
    """An integer URL option (at least ``least``), or ``default`` when it is not given."""
    text = options.get(name)
    if text is None:
        return default
    if not _INTEGER.match(text):
        raise ConfigurationError(f"URL option {name} must be an integer, not {text!r}")
    value = int(text)
    if least is not None and value < least:
        raise ConfigurationError(f"URL option {name} must be at least {least}, not {value}")
    return value


def float_option(options: Mapping[str, str], name: str, default: float) -> float:
    """A positive, finite number URL option, or ``default`` when it is not given."""
    text = options.get(name)
    if text is None:
        return default
    value = float(text) if _NUMBER.match(text) else -1.0
    if not 0 < value < float("inf"):
        raise ConfigurationError(f"URL option {name} must be a positive number, not {text!r}")
    return value


_INTEGER = re.compile(r"-?[0-9]{1,18}\Z")
_NUMBER = re.compile(r"[0-9]{1,18}(\.[0-9]{1,18})?\Z")


def _open_sqlite(request: OpenRequest, options: Mapping[str, str]) -> Backend:
    return SQLiteBackend(
        request.url.location,
        synchronous=options.get("synchronous", "FULL"),
        signer=None if request.readonly else request.signer,
        namespace=request.namespace,
        checkpoint_every=int_option(options, "checkpoint_events", 1000),
        checkpoint_interval=float_option(options, "checkpoint_seconds", 5.0),
        readonly=request.readonly,
    )


def _open_memory(request: OpenRequest, options: Mapping[str, str]) -> Backend:
    if request.signer is not None and not request.readonly:
        raise ConfigurationError("a memory:// ledger keeps no Merkle trees to sign")
    return MemoryBackend()


def _open_kafka(request: OpenRequest, options: Mapping[str, str]) -> Backend:
    # Imported here: `import fleetledger` must not import confluent_kafka (the kafka extra).
    from fleetledger.backends.kafka import connect  # noqa: PLC0415

    return connect(request, options)


register(
    BackendKind(
        "sqlite",
        _open_sqlite,
        frozenset({"synchronous", "checkpoint_events", "checkpoint_seconds"}),
    )
)
register(BackendKind("memory", _open_memory))
register(
    BackendKind(
        "kafka",
        _open_kafka,
        frozenset({"replication_factor", "timeout", "id_window"}),
        client_settings=True,
    )
)
