"""``fleetledger metrics``: serve the ledger's Prometheus metrics, or print them once.

It serves ``/metrics`` on loopback by default (``--host 0.0.0.0`` to let a Prometheus on
another machine scrape it) until Ctrl-C or SIGTERM. What it serves is read from the ledger at
each scrape: consumer lag, storage and appends per family, partition skew, signing progress
(see :mod:`fleetledger.observe.collector`), beside this process's own instruments. ``--once``
prints the exposition text and exits; ``--alerts`` prints the shipped alerting rules.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Annotated

import typer

from fleetledger import Ledger
from fleetledger.cli.common import LedgerURL, json_option, open_ledger, output, write_json
from fleetledger.consumers.figures import dead_letter_figure
from fleetledger.observe.alerts import alert_rules
from fleetledger.observe.collector import Figure
from fleetledger.observe.exposition import exposition, registry_for, serve

DEFAULT_PORT = 9464
METRICS_JSON = (
    "with --once, one JSON object per line per sample: {name, labels, value};"
    " serving, one JSON object: {url}"
)


def metrics(
    *,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to serve /metrics on.")
    ] = DEFAULT_PORT,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback unless you say).")
    ] = "127.0.0.1",
    once: Annotated[
        bool, typer.Option("--once", help="Print the metrics (Prometheus text) and exit.")
    ] = False,
    alerts: Annotated[
        bool,
        typer.Option("--alerts", help="Print the shipped Prometheus alerting rules and exit."),
    ] = False,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(METRICS_JSON)] = False,
) -> None:
    """Serve the ledger's Prometheus metrics on /metrics (--once: print them and exit)."""
    if alerts:
        sys.stdout.write(alert_rules())
        return
    with open_ledger(ledger) as opened:
        figures = [dead_letter_figure(opened)]
        if once and as_json:
            _write_samples(opened, figures)
            return
        if once:
            sys.stdout.write(exposition(opened, figures=figures))
            return
        server, _thread = serve(opened, host=host, port=port, figures=figures)
        try:
            where = f"http://{host}:{server.server_port}/metrics"
            if as_json:
                write_json({"url": where})
            else:
                output().print(f"serving metrics at {where} (Ctrl-C stops)")
            _wait_for_signal()
        finally:
            server.shutdown()
            server.server_close()


def _write_samples(ledger: Ledger, figures: list[Figure]) -> None:
    for metric in registry_for(ledger, figures=figures).collect():
        for sample in metric.samples:
            write_json({"name": sample.name, "labels": sample.labels, "value": sample.value})


def _wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM (then the handlers go back)."""
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda _signum, _frame: stop.set())
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        while not stop.wait(1.0):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
