"""A stock Kafka Connect worker (standalone mode) running ``FileStreamSink`` connectors on loopback.

The worker is Apache Kafka's own ``ConnectStandalone`` from the jars ``interop/prepare.py``
copied into ``.cache/kafka/lib``; the only thing of ours it can load is what its
``plugin.path`` holds (``.cache/connect/plugins``: the transform of ``interop/connect``). Its
consumers read committed records only; its REST server listens on a free loopback port; its
heap is small; it logs to a file in its own folder. :func:`run_file_sinks` starts one, waits
(bounded) until every sink's file holds the lines expected, and stops it by its pid.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interop.brokers import KAFKA_LIB, ROOT, _stop, _tail, free_port

PLUGINS = ROOT / ".cache" / "connect" / "plugins"
"""The worker's ``plugin.path``: one folder per plugin (``fleetledger-connect/``)."""
FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
STRING = "org.apache.kafka.connect.storage.StringConverter"
BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"
SINK_TIMEOUT = 120.0
"""Seconds a worker may take from its start to the last line expected (2-3 s here)."""

_LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
"""


class ConnectError(RuntimeError):
    """The worker failed, or its sinks did not write what was expected in time (the
    connectors' status and the log's last lines are in the message)."""


@dataclass(frozen=True)
class FileSink:
    """One ``FileStreamSink`` connector: the topics it reads, the file it appends each record's
    value to (one line per record), and more connector settings (converters, transforms)."""

    name: str
    topics: Sequence[str]
    file: Path
    settings: Mapping[str, str] = field(default_factory=dict)

    def properties(self) -> dict[str, str]:
        return {
            "name": self.name,
            "connector.class": FILE_SINK,
            "tasks.max": "1",
            "topics": ",".join(self.topics),
            "file": str(self.file),
            "consumer.override.isolation.level": "read_committed",
            **self.settings,
        }

    def lines(self) -> list[bytes]:
        """The file's complete lines so far, without their newlines."""
        try:
            return self.file.read_bytes().split(b"\n")[:-1]
        except FileNotFoundError:
            return []


@dataclass
class ConnectWorker:
    """A standalone worker with its sinks, configured under ``directory`` (its log there too)."""

    directory: Path
    bootstrap: str
    sinks: Sequence[FileSink]
    heap_mb: int = 256
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.directory / "worker.log"

    def configure(self) -> list[Path]:
        """Write the worker's, each connector's and log4j2's properties; the files to start with."""
        self.directory.mkdir(parents=True, exist_ok=True)
        worker = {
            "bootstrap.servers": self.bootstrap,
            "key.converter": STRING,
            "value.converter": STRING,
            # Header bytes as they are: the default SimpleHeaderConverter parses header text.
            "header.converter": BYTES,
            "offset.storage.file.filename": str(self.directory / "offsets"),
            "offset.flush.interval.ms": "1000",
            "plugin.path": str(PLUGINS),
            # Plugins are found by their ServiceLoader manifests, not by scanning every jar.
            "plugin.discovery": "service_load",
            "listeners": f"http://127.0.0.1:{self.port}",
            "connector.client.config.override.policy": "All",
            "consumer.isolation.level": "read_committed",
            "consumer.fetch.max.wait.ms": "50",
            "task.shutdown.graceful.timeout.ms": "5000",
        }
        files = [self._write("worker.properties", worker)]
        files += [self._write(f"{sink.name}.properties", sink.properties()) for sink in self.sinks]
        (self.directory / "log4j2.properties").write_text(_LOG4J2.format(log=self.log))
        return files

    def _write(self, name: str, settings: Mapping[str, str]) -> Path:
        path = self.directory / name
        path.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
        return path

    def start(self) -> None:
        """Start the worker (returns at once: see :meth:`wait_for_lines`)."""
        if shutil.which("java") is None:
            raise ConnectError("`java` is not on PATH")
        files = self.configure()
        command = [
            "java",
            f"-Xmx{self.heap_mb}m",
            "-Xss512k",
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.directory / 'log4j2.properties'}",
            "-cp",
            f"{KAFKA_LIB}/*",
            "org.apache.kafka.connect.cli.ConnectStandalone",
            *map(str, files),
        ]
        with (self.directory / "stdout.log").open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)

    def wait_for_lines(self, sink: FileSink, count: int, deadline: float) -> list[bytes]:
        """Wait until ``sink``'s file holds at least ``count`` lines, until ``deadline``
        (``time.monotonic()``); its lines."""
        while True:
            lines = sink.lines()
            if len(lines) >= count:
                return lines
            if self.process is None or self.process.poll() is not None:
                raise ConnectError(f"the Connect worker exited:\n{self.diagnosis()}")
            if time.monotonic() > deadline:
                raise ConnectError(
                    f"{sink.name} wrote {len(lines)} of {count} lines in time:\n{self.diagnosis()}"
                )
            time.sleep(0.1)

    def status(self, name: str) -> Any:
        """The connector's status from the worker's REST API (None if it does not answer)."""
        url = f"http://127.0.0.1:{self.port}/connectors/{name}/status"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # loopback only
                return json.load(response)
        except (OSError, urllib.error.URLError, ValueError):
            return None

    def diagnosis(self) -> str:
        """The connectors' status and the last lines of the worker's output and log."""
        states = {sink.name: self.status(sink.name) for sink in self.sinks}
        return (
            f"status: {json.dumps(states)}\n"
            f"{_tail(self.directory / 'stdout.log', 10)}\n{_tail(self.log, 40)}"
        )

    def stop(self) -> None:
        """Stop it by its pid (SIGTERM: it commits offsets and closes its tasks), SIGKILL
        after 30 s; reaped either way."""
        if self.process is not None:
            _stop(self.process, signal.SIGTERM, 30.0)


def run_file_sinks(
    directory: Path,
    bootstrap: str,
    expected: Sequence[tuple[FileSink, int]],
    *,
    timeout: float = SINK_TIMEOUT,
) -> dict[str, list[bytes]]:
    """Start a worker running the sinks of ``expected`` on ``bootstrap``, wait (bounded) until
    each sink's file holds the number of lines given with it, stop the worker; every line each
    file holds then, by sink name."""
    worker = ConnectWorker(directory, bootstrap, [sink for sink, _ in expected])
    worker.start()
    try:
        deadline = time.monotonic() + timeout
        for sink, count in expected:
            worker.wait_for_lines(sink, count, deadline)
    finally:
        worker.stop()
    return {sink.name: sink.lines() for sink, _ in expected}
