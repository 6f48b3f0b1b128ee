"""Ledger URLs: what parses, and the clear ConfigurationError for what does not."""

import pytest

import fleetledger
from fleetledger import ConfigurationError, LedgerError
from fleetledger.backends.urls import DEFAULT_URL, default_url, parse_url, redact


def test_a_sqlite_url_with_three_slashes_names_a_relative_path() -> None:
    """sqlite:///ledger.db is ledger.db in the working directory."""
    assert parse_url("sqlite:///data/ledger.db").location == "data/ledger.db"


def test_a_sqlite_url_with_four_slashes_names_an_absolute_path() -> None:
    """sqlite:////var/lib/ledger.db is /var/lib/ledger.db."""
    assert parse_url("sqlite:////var/lib/ledger.db").location == "/var/lib/ledger.db"


def test_query_parameters_become_options() -> None:
    """?namespace=prod&synchronous=NORMAL sets both options."""
    parsed = parse_url("sqlite:///l.db?namespace=prod&synchronous=NORMAL")
    assert parsed.options == {"namespace": "prod", "synchronous": "NORMAL"}


def test_the_default_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """$FLEETLEDGER_URL overrides the embedded default."""
    monkeypatch.setenv("FLEETLEDGER_URL", "memory://")
    assert default_url() == "memory://"
    monkeypatch.delenv("FLEETLEDGER_URL")
    assert default_url() == DEFAULT_URL


def test_a_namespace_option_in_the_url_names_the_topics() -> None:
    """memory://?namespace=prod puts events on prod.{family}."""
    with fleetledger.open("memory://?namespace=prod", default_source="tests") as ledger:
        assert ledger.append("task.started", subject="t-1").topic == "prod.task"


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        pytest.param("nosuch://x", "unsupported ledger URL scheme", id="unknown-scheme"),
        pytest.param("sqlite://host/x.db", "three slashes", id="sqlite-with-a-host"),
        pytest.param("ledger.db", "not a ledger URL", id="no-scheme"),
        pytest.param("sqlite:///", "names no file", id="sqlite-without-a-path"),
        pytest.param("memory://?max_event_bytes=big", "an integer", id="non-integer-option"),
        pytest.param("memory://?max_event_bytes=10", "at least 1024", id="tiny-event-limit"),
        pytest.param("memory://?namespace=a.b", "namespace", id="namespace-with-a-dot"),
        pytest.param("memory://?novalue", "malformed options", id="malformed-query"),
        pytest.param("memory://?nmespace=prod", "unknown option.*nmespace", id="option-typo"),
        pytest.param("kafka://k:9092?replication=3", "unknown option", id="kafka-option-typo"),
    ],
)
def test_a_bad_url_is_refused_saying_what_is_wrong(url: str, hint: str) -> None:
    """open() raises ConfigurationError whose message points at the fault."""
    with pytest.raises(ConfigurationError, match=hint):
        fleetledger.open(url)


def test_secrets_in_a_url_are_masked_when_shown() -> None:
    """redact() hides passwords and secret options but keeps the rest readable."""
    url = "kafka://u:pw@h:9092?sasl.password=abc&sasl.username=x&namespace=f"
    assert redact(url) == "kafka://u:***@h:9092?sasl.password=***&sasl.username=x&namespace=f"


@pytest.mark.parametrize(
    "url",
    ["memory://?nmespace=prod", "sqlite:///l.db?nmespace=prod", "kafka://k:9092?nmespace=prod"],
)
def test_an_unknown_option_is_refused_naming_the_valid_ones(url: str) -> None:
    """A typo never silently writes into the default namespace: the error lists what is valid."""
    with pytest.raises(ConfigurationError, match=r"nmespace.*takes: .*namespace"):
        fleetledger.open(url)


def test_a_kafka_url_passes_options_with_a_dot_to_librdkafka() -> None:
    """Names with a dot are client settings, not typos: parsing gets past the option check."""
    with pytest.raises(LedgerError) as caught:
        fleetledger.open("kafka://127.0.0.1:1?socket.timeout.ms=100&timeout=0.2")
    assert "option" not in str(caught.value)
