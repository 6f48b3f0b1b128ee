"""librdkafka errors translated into the ledger's error tree, at each operation's boundary.

Callers never import confluent_kafka to handle a failure: a missing topic is
:class:`~fleetledger.NotFound`, an operation the broker's ACLs refuse is
:class:`~fleetledger.AccessDenied`, a refused login or a bad setting is
:class:`~fleetledger.ConfigurationError`, a full local queue is
:class:`~fleetledger.Backpressure`, and anything else (a broker that does not answer in time,
a failed transaction) is :class:`~fleetledger.BackendError`: nothing was acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from confluent_kafka import KafkaError, KafkaException

from fleetledger.errors import (
    AccessDenied,
    BackendError,
    Backpressure,
    ConfigurationError,
    LedgerError,
    NotFound,
)

_NOT_FOUND = frozenset(
    {KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC, KafkaError._UNKNOWN_PARTITION}
)
_REFUSED = frozenset(
    {
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
        KafkaError.GROUP_AUTHORIZATION_FAILED,
        KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    }
)
_CONFIGURATION = frozenset(
    {
        KafkaError._AUTHENTICATION,
        KafkaError.SASL_AUTHENTICATION_FAILED,
        KafkaError.INVALID_CONFIG,
        KafkaError.INVALID_REPLICATION_FACTOR,
        KafkaError.POLICY_VIOLATION,
        KafkaError._INVALID_ARG,
        KafkaError._SSL,
    }
)
_BUSY = frozenset({KafkaError._QUEUE_FULL, KafkaError.THROTTLING_QUOTA_EXCEEDED})


def translate(error: KafkaError, doing: str) -> LedgerError:
    """The ledger error for a librdkafka error met while ``doing`` something."""
    code = error.code()
    text = f"Kafka: {doing}: {error.str()}"
    if code in _NOT_FOUND:
        return NotFound(text)
    if code in _REFUSED:
        return AccessDenied(f"{text} (refused by the broker's ACLs for these credentials)")
    if code in _CONFIGURATION:
        return ConfigurationError(text)
    if code in _BUSY:
        return Backpressure(text, retry_after=1.0)
    return BackendError(text)


@contextmanager
def translated(doing: str) -> Iterator[None]:
    """Turn any :class:`KafkaException` raised inside (and a :class:`TimeoutError` waiting
    for an admin request's answer) into the ledger's error tree."""
    try:
        yield
    except KafkaException as exc:
        error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
        if error is None:
            raise BackendError(f"Kafka: {doing}: {exc}") from exc
        raise translate(error, doing) from exc
    except BufferError as exc:  # the producer's local queue is full
        raise Backpressure(f"Kafka: {doing}: {exc}", retry_after=0.5) from exc
    except TimeoutError as exc:  # an admin request's future was not resolved in time
        raise BackendError(f"Kafka: {doing}: no answer in time") from exc
