"""The kafka extra: optional, and asked for by name when it is missing."""

import subprocess
import sys

OPEN_WITHOUT_CONFLUENT_KAFKA = """
import sys
sys.modules["confluent_kafka"] = None  # as if the kafka extra were not installed
import fleetledger
try:
    fleetledger.open("kafka://127.0.0.1:9")
except fleetledger.errors.MissingExtra as exc:
    print(type(exc).__name__, exc, sep=": ")
"""


def test_a_kafka_url_without_the_extra_gives_the_install_line() -> None:
    """MissingExtra("kafka", "confluent_kafka") carries the exact pip command."""
    out = subprocess.run(
        [sys.executable, "-c", OPEN_WITHOUT_CONFLUENT_KAFKA],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == (
        "MissingExtra: this needs the optional dependency 'confluent_kafka': "
        "pip install 'fleetledger[kafka]'"
    )


def test_the_binding_is_pure_and_needs_no_kafka_client() -> None:
    """binding imports without confluent_kafka: it is the contract, not the client."""
    code = (
        "import sys; sys.modules['confluent_kafka'] = None; "
        "import fleetledger.backends.kafka.binding; print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.stdout.strip() == "ok", out.stderr
