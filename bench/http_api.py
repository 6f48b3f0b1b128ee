"""The HTTP API against the in-process API: appends, batched appends, and SSE fan-out.

The server is ``create_app`` under uvicorn, over a SQLite ledger of its own, on a free loopback
port, started for the run in a child process (this module run as a script): in the bench's own
process it would share one GIL with the clients and measure their contention, not the server.
The clients are ``httpx.AsyncClient`` tasks in this process, each with a client of its own.

- single appends: ``clients`` concurrent clients each POST their events one by one in
  structured mode (``application/cloudevents+json``), against ``clients`` threads each calling
  ``Ledger.append`` on a fresh file in this process;
- batched appends: the same clients each POST batches (``application/cloudevents-batch+json``),
  against as many threads each calling ``append_many`` with the same batches;
- SSE fan-out: ``subscribers`` streams of ``/events/stream``, then ``events`` appended over
  HTTP in batches; the time until every subscriber has every event (events delivered per
  second, in total) and each delivery's latency, from the moment its batch was sent.

Every line is information: the issue sets no target for them. The module is named
``http_api``, not ``http``: bench/ is first on ``sys.path`` and would hide the standard library's
``http`` package from uvicorn and httpx.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import Result, median, open_ledger, rate
from workload import Workload

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
START_SECONDS = 20.0
STOP_SECONDS = 10.0
STREAM_SECONDS = 60.0
"""A fan-out round that has not delivered every event by then fails the run."""


@dataclass(frozen=True)
class HttpPlan:
    """How much work the HTTP lines do."""

    clients: int = 64
    single: int = 10  # structured appends per client per round
    batches: int = 3  # batched requests per client per round
    batch: int = 100  # events per batched request
    subscribers: int = 100
    events: int = 1000  # events appended while the subscribers listen
    rounds: int = 3


FULL = HttpPlan()
QUICK = HttpPlan(single=4, batches=1, events=200, rounds=1)


def missing() -> str | None:
    """Why the HTTP benchmark cannot run here (None: it can)."""
    for module in ("fastapi", "uvicorn", "httpx"):
        if importlib.util.find_spec(module) is None:
            return f"skipped: {module} not installed (pip install -e '.[server,dev]')"
    return None


def run(plan: HttpPlan, directory: Path, log: Callable[[str], None]) -> list[Result]:
    """The three comparisons, each against a server started for it on a fresh file."""
    log(f"HTTP single appends, {plan.clients} clients, vs in-process threads ...")
    results = [single_appends(plan, directory)]
    log(f"HTTP batched appends ({plan.batch}/request) vs in-process append_many ...")
    results.append(batched_appends(plan, directory))
    log(f"SSE fan-out: {plan.subscribers} subscribers x {plan.events:,} events ...")
    results += fan_out(plan, directory)
    return results


# -- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(path: Path) -> Iterator[str]:
    """A uvicorn of ``create_app`` over the SQLite file ``path``, in a child process; its URL.
    Bounded: a server that does not answer ``/readyz`` in time, or does not stop, fails."""
    import httpx  # noqa: PLC0415 -- the [server] extra's tests need it; missing() says so

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, __file__, "serve", f"sqlite:///{path}?synchronous=FULL", str(port)]
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if child.poll() is not None:
                raise RuntimeError(f"the bench server exited with {child.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bench server did not start in {START_SECONDS:.0f} s")
            try:
                if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        yield url
    finally:
        child.terminate()
        try:
            child.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=STOP_SECONDS)
            raise RuntimeError("the bench server did not stop on SIGTERM") from None


def serve(url: str, port: int) -> None:
    """The child process: serve the ledger at ``url`` until terminated."""
    import uvicorn  # noqa: PLC0415

    import fleetledger  # noqa: PLC0415
    from fleetledger.server import create_app  # noqa: PLC0415

    with fleetledger.open(url, delegate=True, default_source="bench") as ledger:
        config = uvicorn.Config(
            create_app(ledger), host="127.0.0.1", port=port, log_level="warning"
        )
        uvicorn.Server(config).run()


# -- appends ------------------------------------------------------------------------------------


def structured(event: dict[str, Any], number: int) -> dict[str, Any]:
    """One workload event as a CloudEvent (``tenant`` is an extension attribute)."""
    return {"specversion": "1.0", "id": f"bench-{number}", **event}


async def _post_all(
    url: str, per_client: Sequence[Sequence[bytes]], media: str
) -> tuple[float, list[float]]:
    """Seconds for every client to POST its bodies one after the other, and each request's ms.

    Each client is an ``AsyncClient`` of its own (one connection), as separate agents would be:
    with one pool shared by all of them, httpcore scans the pool's every connection for every
    request, and this process then spent more CPU per request than the server (3-5 ms against
    about 1) and measured itself."""
    import httpx  # noqa: PLC0415

    latencies: list[float] = []
    headers = {"Content-Type": media}
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=30.0))
            for _ in per_client
        ]

        async def one(client: httpx.AsyncClient, bodies: Sequence[bytes]) -> None:
            for body in bodies:
                sent = time.perf_counter()
                response = await client.post("/events", content=body, headers=headers)
                latencies.append((time.perf_counter() - sent) * 1000)
                if response.status_code != 201:
                    raise RuntimeError(f"append answered {response.status_code}: {response.text}")

        await clients[0].post("/events", content=per_client[0][0], headers=headers)  # warm-up
        start = time.perf_counter()
        await asyncio.gather(
            *(
                one(client, bodies[1:] if i == 0 else bodies)
                for i, (client, bodies) in enumerate(zip(clients, per_client, strict=True))
            )
        )
        elapsed = time.perf_counter() - start
    return elapsed, latencies


def _in_process(path: Path, per_thread: Sequence[Sequence[Any]], batched: bool) -> float:
    """Seconds for one thread per client to ``append`` (or ``append_many``) the same work."""
    start = threading.Barrier(len(per_thread) + 1)
    errors: list[BaseException] = []
    with open_ledger(path) as ledger:
        ledger.append(**Workload(seed=99).events(1)[0])  # warm-up

        def writer(work: Sequence[Any]) -> None:
            start.wait()
            try:
                for item in work:
                    if batched:
                        ledger.append_many(item)
                    else:
                        ledger.append(**item)
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(work,)) for work in per_thread]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return elapsed


def percentile(values: list[float], fraction: float) -> float:
    """The value at ``fraction`` of the sorted values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def _compare(plan: HttpPlan, directory: Path, name: str, *, batched: bool, each: int) -> Result:
    """Rounds of HTTP vs in-process on fresh files; per-round rates, all requests' latencies."""
    workload = Workload(seed=21 if batched else 20)
    numbers = iter(range(10**9))
    size = plan.batch if batched else 1
    http_rates: list[float] = []
    local_rates: list[float] = []
    latencies: list[float] = []
    for index in range(plan.rounds):
        work = [[workload.events(size) for _ in range(each)] for _ in range(plan.clients)]
        count = plan.clients * each * size
        if batched:
            bodies = [
                [json.dumps([structured(e, next(numbers)) for e in b]).encode() for b in mine]
                for mine in work
            ]
            local: list[list[Any]] = work
        else:
            bodies = [
                [json.dumps(structured(b[0], next(numbers))).encode() for b in mine]
                for mine in work
            ]
            local = [[b[0] for b in mine] for mine in work]
        bodies[0].insert(0, bodies[0][0].replace(b'"bench-', b'"warm-'))
        with server(directory / f"http-{name[:6]}-{index}.db") as url:
            elapsed, times = asyncio.run(_post_all(url, bodies, BATCH if batched else STRUCTURED))
        http_rates.append(rate(count, elapsed))
        latencies += times
        local_path = directory / f"http-local-{name[:6]}-{index}.db"
        local_rates.append(rate(count, _in_process(local_path, local, batched)))
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    return Result(
        name,
        median(http_rates),
        median(local_rates),
        "events/s",
        "-",
        None,
        f"{plan.rounds} round(s) of {plan.clients} x {each} requests; request latency p50"
        f" {p50:.1f} ms, p99 {p99:.1f} ms over {len(latencies):,} requests",
    )


def single_appends(plan: HttpPlan, directory: Path) -> Result:
    """Structured-mode appends from ``clients`` clients vs ``Ledger.append`` from as many
    threads."""
    name = f"HTTP single appends, {plan.clients} clients, vs in-process threads (info)"
    return _compare(plan, directory, name, batched=False, each=plan.single)


def batched_appends(plan: HttpPlan, directory: Path) -> Result:
    """Batched-mode appends vs ``append_many`` of the same batches from as many threads."""
    name = (
        f"HTTP batched appends ({plan.batch}/request), {plan.clients} clients,"
        " vs in-process append_many (info)"
    )
    return _compare(plan, directory, name, batched=True, each=plan.batches)


# -- SSE fan-out --------------------------------------------------------------------------------


async def _fan_out_round(url: str, plan: HttpPlan, seed: int) -> tuple[float, list[float]]:
    """Seconds from the first append until every subscriber has every event, and each
    delivery's latency in ms (from the moment its batch was sent)."""
    import httpx  # noqa: PLC0415

    events = [structured(e, i) for i, e in enumerate(Workload(seed=seed).events(plan.events))]
    ids = [e["id"] for e in events]
    sent: dict[str, float] = {}
    latencies: list[float] = []
    ready = asyncio.Semaphore(0)
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    timeout = httpx.Timeout(30.0, read=STREAM_SECONDS)

    async def subscriber(client: httpx.AsyncClient) -> None:
        wanted = set(ids)
        async with client.stream("GET", "/events/stream") as response:
            if response.status_code != 200:
                raise RuntimeError(f"the stream answered {response.status_code}")
            announced = False
            async for line in response.aiter_lines():
                if not announced and line == "":
                    announced = True  # the first message (the cursor at the end) came
                    ready.release()
                elif line.startswith("data:"):
                    got = time.perf_counter()
                    event_id = json.loads(line[5:])["id"]
                    latencies.append((got - sent[event_id]) * 1000)
                    wanted.discard(event_id)
                    if not wanted:
                        return

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        listening = [asyncio.create_task(subscriber(client)) for _ in range(plan.subscribers)]
        for _ in range(plan.subscribers):
            await asyncio.wait_for(ready.acquire(), START_SECONDS)
        start = time.perf_counter()
        for first in range(0, len(events), plan.batch):
            batch = events[first : first + plan.batch]
            now = time.perf_counter()
            sent.update((e["id"], now) for e in batch)
            response = await client.post(
                "/events", content=json.dumps(batch).encode(), headers={"Content-Type": BATCH}
            )
            if response.status_code != 201:
                raise RuntimeError(f"append answered {response.status_code}: {response.text}")
        await asyncio.wait_for(asyncio.gather(*listening), STREAM_SECONDS)
        elapsed = time.perf_counter() - start
    return elapsed, latencies


def fan_out(plan: HttpPlan, directory: Path) -> list[Result]:
    """Events delivered per second over all subscribers, and the p99 delivery latency."""
    rates: list[float] = []
    latencies: list[float] = []
    for index in range(plan.rounds):
        with server(directory / f"http-sse-{index}.db") as url:
            elapsed, times = asyncio.run(_fan_out_round(url, plan, seed=30 + index))
        rates.append(rate(plan.subscribers * plan.events, elapsed))
        latencies += times
    if len(latencies) != plan.rounds * plan.subscribers * plan.events:
        raise AssertionError(f"{len(latencies)} deliveries, not every event to every subscriber")
    shape = f"{plan.subscribers} subscribers x {plan.events:,} events"
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    return [
        Result(
            f"SSE fan-out, {shape}, delivered (info)",
            median(rates),
            None,
            "events/s",
            "-",
            None,
            f"{plan.rounds} round(s), appended in batches of {plan.batch} over HTTP; until every"
            f" subscriber had every event; spread {min(rates):,.0f}-{max(rates):,.0f} events/s",
        ),
        Result(
            f"SSE fan-out, {shape}, p99 delivery latency (info)",
            p99,
            None,
            "ms",
            "-",
            None,
            f"p50 {p50:.1f} ms; from the moment the event's batch was sent until a subscriber"
            f" read it (the server polls every 100 ms when idle); max {max(latencies):.0f} ms;"
            f" mean {statistics.fmean(latencies):.1f} ms",
        ),
    ]


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    serve(sys.argv[2], int(sys.argv[3]))
