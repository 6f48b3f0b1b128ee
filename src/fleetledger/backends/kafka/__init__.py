"""The Kafka backend (``kafka://host:9092``), behind the ``kafka`` extra (confluent-kafka).

``import fleetledger`` never imports this package's client code; :func:`connect` imports it on
first use and raises :class:`~fleetledger.errors.MissingExtra` with the install line when
confluent-kafka is missing. ``binding`` (the CloudEvents Kafka binding) is pure and importable
without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fleetledger.errors import MissingExtra

if TYPE_CHECKING:
    from fleetledger.backends.kafka.backend import KafkaBackend
    from fleetledger.backends.request import OpenRequest

__all__ = ["connect"]


def connect(request: OpenRequest, options: Mapping[str, str]) -> KafkaBackend:
    """Open the Kafka backend a ``kafka://`` URL describes (``options``: the backend's own and
    librdkafka's; the request's namespace scopes listing and searching to one ledger's topics,
    see ``KafkaSettings``)."""
    try:
        from fleetledger.backends.kafka.backend import KafkaBackend  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name.split(".")[0] == "confluent_kafka":
            raise MissingExtra("kafka", "confluent_kafka") from exc
        raise
    from fleetledger.backends.kafka.settings import settings_from_url  # noqa: PLC0415

    settings = settings_from_url(
        request.url.location,
        options,
        request.client,
        request.namespace,
        readonly=request.readonly,
        writer_key=request.writer_key,
    )
    return KafkaBackend(settings)
