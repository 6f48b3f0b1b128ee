"""``fleetledger otel export``: send tasks as OpenTelemetry GenAI spans over OTLP/HTTP.

Each task becomes a trace: ``invoke_agent {agent}`` spans for the agents' turns,
``execute_tool {tool}`` spans for tool calls, ``gen_ai.evaluation.result`` span events for
scores, ``fleetledger.*`` span events for handoffs, guardrails and approvals (the mapping is in
:mod:`fleetledger.observe.genai`). Needs the ``[otel]`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from fleetledger import Event, EventFilter, MissingExtra
from fleetledger.cli.common import Families, LedgerURL, json_option, open_ledger, output, write_json
from fleetledger.cli.exits import guarded
from fleetledger.cli.times import Since, optional_moment
from fleetledger.observe.tracing import trace_of

if TYPE_CHECKING:
    from fleetledger.observe.genai import Exported

TRACES_JSON = "one JSON object per line: {task, events, trace_id}"
EXPORT_JSON = "one JSON object: {tasks, spans, events, endpoint}"
DEFAULT_ENDPOINT = "http://127.0.0.1:4318/v1/traces"

app = typer.Typer(
    name="otel",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
@guarded
def otel(
    ctx: typer.Context,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(TRACES_JSON)] = False,
) -> None:
    """List the traces tasks export to; otel export sends them as GenAI spans (OTLP/HTTP)."""
    ctx.obj = ledger
    if ctx.invoked_subcommand is not None:
        return
    with open_ledger(ledger) as opened:
        tasks: dict[str, list[Event]] = {}
        for event in opened.tail(last=2**62):
            tasks.setdefault(event.subject, []).append(event)
    for task, history in tasks.items():
        if not any(e.family in ("task", "tool", "evaluation") for e in history):
            continue
        trace = trace_of(task, history)
        if as_json:
            write_json({"task": task, "events": len(history), "trace_id": trace})
        else:
            output().print(f"{task}  {len(history)} events  trace {trace}")


@app.command("export")
@guarded
def export(
    ctx: typer.Context,
    *,
    endpoint: Annotated[
        str,
        typer.Option(
            "--endpoint",
            envvar="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            help="The OTLP/HTTP traces URL of a collector (the whole URL, with /v1/traces).",
        ),
    ] = DEFAULT_ENDPOINT,
    task: Annotated[
        str | None,
        typer.Option("--task", help="Only this task.", show_default="every task"),
    ] = None,
    since: Since = None,
    families: Families = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the collector.")
    ] = 10.0,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(EXPORT_JSON)] = False,
) -> None:
    """Send tasks' events to an OTLP/HTTP collector as OpenTelemetry GenAI spans."""
    moment = optional_moment(since, "--since")
    with open_ledger(ledger or ctx.obj) as opened:
        events: list[Event]
        if task is not None:
            events = list(opened.replay(task, families=families, since=moment))
        else:
            where = EventFilter.of(since=moment)
            events = list(opened.tail(families, last=2**62, where=where))
    done = _send(events, endpoint, timeout)
    if as_json:
        write_json({**done.__dict__, "endpoint": endpoint})
    else:
        output().print(
            f"sent {done.spans} spans ({done.events} span events) of {done.tasks} tasks"
            f" to {endpoint}"
        )


def _send(events: list[Event], endpoint: str, timeout: float) -> Exported:
    """Export ``events`` to ``endpoint``; the [otel] extra is imported only now."""
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )

        from fleetledger.observe.genai import export_events  # noqa: PLC0415 -- the [otel] extra
    except ImportError as exc:
        if isinstance(exc, MissingExtra):
            raise
        raise MissingExtra("otel", "opentelemetry-exporter-otlp-proto-http") from exc
    exporter = OTLPSpanExporter(endpoint=endpoint, timeout=timeout)
    try:
        return export_events(events, exporter)
    finally:
        exporter.shutdown()  # type: ignore[no-untyped-call]  # untyped in the SDK
