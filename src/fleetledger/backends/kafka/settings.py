"""What a ``kafka://`` URL says: the brokers, the backend's own options, and librdkafka settings.

``kafka://host:9092,host2:9092?namespace=prod&replication_factor=3&security.protocol=SASL_SSL``:
options with a dot are librdkafka client settings, passed to every producer, consumer and admin
client as they are (``security.protocol``, ``sasl.mechanism``, ``sasl.username``,
``ssl.ca.location``...); options without a dot are the backend's own (below) or the ledger's
(``namespace``, ``max_event_bytes``). Secrets are better given through ``kafka_config`` than
in a URL that may be logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fleetledger.errors import ConfigurationError
from fleetledger.topics import in_namespace

ClientValue = str | int | float | bool
"""A librdkafka setting's value."""

LOG = logging.getLogger("fleetledger.kafka")
DEFAULT_PORT = 9092


@dataclass(frozen=True)
class KafkaSettings:
    """Everything a :class:`~fleetledger.backends.kafka.KafkaBackend` is configured with."""

    bootstrap: str
    """``host:port`` pairs joined by commas."""
    client: dict[str, str] = field(default_factory=dict)
    """librdkafka settings shared by every client (security, timeouts, ...)."""
    replication_factor: int = 1
    """Replicas of every topic the backend creates (URL option ``replication_factor``)."""
    timeout: float = 10.0
    """Seconds any one broker operation may take before it fails (URL option ``timeout``)."""
    id_window: int = 10_000
    """Newest records per partition whose ids are checked for duplicates (``id_window``)."""
    namespace: str | None = None
    """Only ``{namespace}.*`` topics are listed, searched by id and scanned by subject; several
    ledgers can share a cluster. None: every topic in the policy registry."""
    readonly: bool = False
    """Create no topic and produce nothing: a reader's connection."""
    writer_key: bytes | None = None
    """The secret the ledger's writers attest their records with (see ``attest``)."""

    def in_scope(self, topic: str) -> bool:
        """Whether ``topic`` belongs to this backend's namespace."""
        return self.namespace is None or in_namespace(topic, self.namespace)

    def config(self, overrides: Mapping[str, ClientValue] | None = None) -> dict[str, Any]:
        """A librdkafka configuration: the shared settings plus one client's own.

        librdkafka's own log lines go to the ``fleetledger.kafka`` logger, not to stderr.
        """
        return {
            "bootstrap.servers": self.bootstrap,
            "logger": LOG,
            **self.client,
            **(overrides or {}),
        }


def settings_from_url(
    location: str,
    options: Mapping[str, str],
    kafka_config: Mapping[str, ClientValue] | None = None,
    namespace: str | None = None,
    *,
    readonly: bool = False,
    writer_key: bytes | None = None,
) -> KafkaSettings:
    """Parse a ``kafka://`` URL's location and the backend's options (the registry refused any
    other); ``kafka_config`` adds client settings."""
    client = {name: value for name, value in options.items() if "." in name}
    client.update({name: str(value) for name, value in (kafka_config or {}).items()})
    own = {name: value for name, value in options.items() if "." not in name}
    return KafkaSettings(
        bootstrap=_bootstrap(location),
        client=client,
        replication_factor=_positive_int(own, "replication_factor", 1),
        timeout=_positive_float(own, "timeout", 10.0),
        id_window=_positive_int(own, "id_window", 10_000),
        namespace=namespace,
        readonly=readonly,
        writer_key=writer_key,
    )


def _bootstrap(location: str) -> str:
    """``host:port,host:port`` from the URL's location, each port checked (9092 by default)."""
    if location.strip("/") == "":
        raise ConfigurationError(
            "a kafka:// URL names at least one broker: kafka://host:9092[,host2:9092]"
        )
    servers = []
    for server in location.rstrip("/").split(","):
        host, _, port = server.strip().rpartition(":") if ":" in server else (server, "", "")
        port = port or str(DEFAULT_PORT)
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigurationError(
                f"broker {server!r} in kafka://{location} is not host:port (e.g. localhost:9092)"
            )
        servers.append(f"{host}:{port}")
    return ",".join(servers)


def _positive_int(options: Mapping[str, str], name: str, default: int) -> int:
    text = options.get(name, str(default))
    if not text.isdigit() or int(text) < 1:
        raise ConfigurationError(f"kafka:// option {name} must be a positive integer, not {text!r}")
    return int(text)


def _positive_float(options: Mapping[str, str], name: str, default: float) -> float:
    text = options.get(name, str(default))
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigurationError(f"kafka:// option {name} must be a positive number, not {text!r}")
    return value
