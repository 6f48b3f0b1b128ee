"""kafka:// URLs: brokers, the backend's options, and librdkafka settings passed through."""

import pytest

from fleetledger.backends.kafka.settings import settings_from_url
from fleetledger.errors import ConfigurationError


def test_brokers_are_listed_with_default_ports() -> None:
    """Several brokers separated by commas; a broker without a port gets 9092."""
    settings = settings_from_url("k1:9093,k2", {})
    assert settings.bootstrap == "k1:9093,k2:9092"
    assert settings.config()["bootstrap.servers"] == "k1:9093,k2:9092"


def test_options_with_a_dot_are_librdkafka_settings() -> None:
    """security.protocol and friends go to every client as they are."""
    options = {"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "namespace": "prod"}
    settings = settings_from_url("k1:9092", options, {"sasl.password": "secret"})
    config = settings.config({"acks": "all"})
    assert config["security.protocol"] == "SASL_SSL"
    assert config["sasl.mechanism"] == "PLAIN"
    assert config["sasl.password"] == "secret"
    assert config["acks"] == "all"
    assert "namespace" not in config


def test_backend_options_are_parsed() -> None:
    """replication_factor, timeout and id_window configure the backend."""
    settings = settings_from_url(
        "k:1", {"replication_factor": "3", "timeout": "2.5", "id_window": "50"}
    )
    assert (settings.replication_factor, settings.timeout, settings.id_window) == (3, 2.5, 50)


@pytest.mark.parametrize(
    ("location", "options", "hint"),
    [
        pytest.param("", {}, "at least one broker", id="no-broker"),
        pytest.param("host:port", {}, "not host:port", id="bad-port"),
        pytest.param("k:9092", {"replication_factor": "0"}, "positive integer", id="zero-rf"),
        pytest.param("k:9092", {"timeout": "soon"}, "positive number", id="bad-timeout"),
    ],
)
def test_a_bad_kafka_url_says_what_is_wrong(
    location: str, options: dict[str, str], hint: str
) -> None:
    """ConfigurationError names the fault."""
    with pytest.raises(ConfigurationError, match=hint):
        settings_from_url(location, options)
