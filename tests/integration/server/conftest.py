"""A real uvicorn on a free loopback port, serving a real SQLite ledger, for each test that asks.

``serve(ledger, **options)`` starts the app in a thread and returns its base URL; every server
is stopped at the end of its test (bounded: a server that does not stop fails the test).
"""

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

import fleetledger
from fleetledger import Ledger, Policy, Principal
from fleetledger.governance import parse_rules
from fleetledger.integrity import NoteSigner
from fleetledger.server import create_app
from interop.brokers import free_port

Serve = Callable[..., str]
OPS = Principal("ops", kind="service")
PLANNER = Principal("planner", kind="agent")
READER = Principal("reader", kind="agent")
RULES = [
    {"effect": "allow", "actions": ["append", "read", "admin"], "principals": ["ops"]},
    {"effect": "allow", "actions": ["append", "read"], "principals": ["planner"]},
    {"effect": "allow", "actions": ["read"], "principals": ["reader"], "families": ["task"]},
]
POLICY = Policy(parse_rules(RULES))


def run(app: Any) -> tuple[str, Callable[[], None]]:
    """Start ``app`` on a free loopback port in a thread; its base URL and how to stop it."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start in 10 s"
        assert thread.is_alive(), "the server stopped while starting"
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "the server did not stop in 10 s"

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture
def serve() -> Iterator[Serve]:
    stops: list[Callable[[], None]] = []

    def start(ledger: Ledger, **options: Any) -> str:
        url, stop = run(create_app(ledger, **options))
        stops.append(stop)
        return url

    yield start
    for stop in stops:
        stop()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """An open SQLite ledger (no access policy) that signs a head every event."""
    signer = NoteSigner.generate("tests")
    url = f"sqlite:///{tmp_path}/l.db?checkpoint_events=1"
    with fleetledger.open(url, signer=signer, delegate=True, default_source="tests") as opened:
        yield opened


@pytest.fixture
def governed(tmp_path: Path) -> Iterator[Ledger]:
    """A SQLite ledger under an access policy: ops administers, planner appends and reads,
    reader reads only the task family."""
    url = f"sqlite:///{tmp_path}/g.db"
    with fleetledger.open(
        url, principal=OPS, access=POLICY, delegate=True, default_source="tests"
    ) as opened:
        yield opened
