"""``fleetledger demo``: simulate a fleet of agents into a ledger, then show what it recorded.

The demo also shows the ledger's proofs: it signs with the configured key, else with a demo
key pair it keeps beside the database (``<namespace>-demo.key`` and ``.pub``, created on the
first run and reused after, never overwritten; in the current directory for Kafka), then
verifies the whole ledger, writes the sample task's evidence bundle and checks that bundle
offline with the public key, as an auditor would. A SQLite ledger signs as it appends; on
Kafka the demo runs one round of the notary (what ``fleetledger notary --once`` does) first.
A memory ledger keeps no trees, so there the demo skips those steps.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich import box
from rich.padding import Padding
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

import fleetledger
from fleetledger import Event, Ledger
from fleetledger.audit import Verification
from fleetledger.cli.common import (
    LedgerURL,
    cli_source,
    json_option,
    ledger_url,
    output,
    progress,
    write_json,
)
from fleetledger.cli.demo_langgraph import LANGGRAPH_JSON, run_langgraph_demo
from fleetledger.cli.demo_read import Metrics, ReadSide, show_read_side, task_states
from fleetledger.cli.evidence import bundle_path, verdict, write_bundle
from fleetledger.cli.exits import CheckFailed, committed
from fleetledger.cli.render import cell, families_table, group_totals, printable, show_timeline
from fleetledger.events import uuid7
from fleetledger.integrity import BundleVerification, read_bundle, verify_bundle
from fleetledger.ledger import (
    DEFAULT_NAMESPACE,
    KEY_SUFFIX,
    key_path,
    load_signer,
    load_verifier,
    parse_url,
    public_key_path,
    write_key_pair,
)

if TYPE_CHECKING:
    from fleetledger.demo import FleetReport, GovernanceReport

SIGNING_SCHEMES = frozenset({"sqlite", "kafka"})
"""Backends with signed checkpoints: SQLite signs as it appends, Kafka through its notary."""

_UNSIGNED = {"memory": "memory:// ledgers keep no signed checkpoints"}

DEMO_JSON = (
    "one JSON object: {tasks, events, elapsed, events_per_second, sample_task, groups,"
    " families: {family: events}, lag: {group: lag}, task_states: {status: tasks},"
    " dead_letters: [{id, event_type, error, attempts, status}], metrics: {url, scraped},"
    " governance: {task, refused,"
    " denials_recorded, approved, auditor_shown, auditor_withheld, datasubject, keys_destroyed,"
    " erased_fields} (null off SQLite), integrity: {signed, verify, bundle,"
    " verify_bundle, commands, ...}}; with --framework, {framework, task, output, events:"
    " [{id, type, agentid, causationid, traceparent, data}]}"
)
HIDDEN = frozenset({"state.summary"})
"""Types the sample timeline leaves out unless ``--all``: the task projection writes a summary
after each batch that touched the task."""


class Framework(StrEnum):
    """The agent frameworks ``demo --framework`` runs through their adapters."""

    OPENAI_AGENTS = "openai-agents"
    LANGGRAPH = "langgraph"


KeyOrigin = Literal["configured", "created", "reused"]
_ORIGINS: dict[KeyOrigin, str] = {
    "configured": "the configured key",
    "created": "a demo key pair made for this ledger just now",
    "reused": "the demo key pair made by an earlier run",
}


def demo(
    *,
    tasks: Annotated[int, typer.Option("--tasks", min=1, help="Tasks to simulate.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same fleet.")] = 7,
    everything: Annotated[
        bool,
        typer.Option(
            "--all", help="Show every event of the sample task, state.summary ones included."
        ),
    ] = False,
    framework: Annotated[
        Framework | None,
        typer.Option(
            "--framework",
            help="Instead of the fleet, run a short scripted agent run of this framework through"
            " its adapter and show its replay (needs the framework's extra; langgraph with"
            " --json: " + LANGGRAPH_JSON + ").",
        ),
    ] = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(DEMO_JSON)] = False,
) -> None:
    """Simulate a fleet, run one payment under a policy, then show and prove it (SQLite)."""
    from fleetledger.demo import simulate  # noqa: PLC0415 -- on demand, so --help stays fast

    url = ledger_url(ledger)
    if framework is not None:
        framework_run(url, framework, as_json=as_json)
        return
    key = demo_key(url)
    opened = fleetledger.open(url, default_source=cli_source(), signer=key[0] if key else False)
    committed(
        "the steps simulated so far were committed, each atomically: the ledger holds part of"
        " a fleet (a new run adds a whole fleet beside it)"
    )
    try:
        with Metrics(opened) as metrics, quiet_runners():
            with progress(quiet=as_json) as bar:
                report = simulate(opened, tasks=tasks, seed=seed, progress=tracker(bar, tasks))
            committed(
                f"all {report.events} events of the fleet were committed; the proofs were not"
                " finished: fleetledger verify checks the ledger"
            )
            read = ReadSide(task_states(opened), report.letters, metrics.url, metrics.scrape())
        governance = govern(url, report)
        if key is not None:
            opened = sign_everything(opened, url, key[0])
        proofs = None if key is None else prove_run(opened, report, key, ledger or None)
        if as_json:
            write_json(
                {
                    **summary(opened, report),
                    **read.as_json(),
                    "governance": None if governance is None else asdict(governance),
                    "integrity": integrity_json(proofs, url),
                }
            )
        else:
            show(opened, report, everything=everything)
            show_read_side(read)
            show_governance(governance)
            show_proofs(proofs, url)
    finally:
        opened.close()
    if proofs is not None and not proofs.ok:
        raise CheckFailed("the demo ledger does not verify")


def framework_run(url: str, framework: Framework, *, as_json: bool) -> None:
    """Run the framework's scripted agent run into the ledger at ``url``; show its replay."""
    if framework is Framework.LANGGRAPH:
        run_langgraph_demo(url, as_json=as_json)
        return
    from fleetledger.demo.agents_sdk import agents_run  # noqa: PLC0415 -- the extra's import

    story = agents_run(url, f"task-agents-{uuid7()}")
    if as_json:
        events = [
            {
                "id": e.id,
                "type": e.type,
                "agentid": e.agentid,
                "causationid": e.causationid,
                "traceparent": e.traceparent,
                "data": e.data,
            }
            for e in story.events
        ]
        write_json(
            {
                "framework": str(framework),
                "task": story.task,
                "output": story.output,
                "events": events,
            }
        )
        return
    console = output()
    console.print(f"[bold]{framework}[/]: a scripted refund through the ledger's adapter")
    show_timeline(console, story.task, story.events)
    console.print(Text(f"final output: {printable(story.output)}"))
    console.print(Text(f"replay it: fleetledger replay {printable(story.task)}"))


@contextmanager
def quiet_runners() -> Iterator[None]:
    """The runners log each dead letter as a warning; the demo shows its dead letters in a
    table of its own, so their log lines are held back while it runs."""
    logger = logging.getLogger("fleetledger.consumers")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def govern(url: str, report: FleetReport) -> GovernanceReport | None:
    """The governed payment, on SQLite (its key store lives beside the database); a task and a
    customer named after the run's sample task, so a second run has its own."""
    if parse_url(url).scheme != "sqlite":
        return None
    from fleetledger.demo import governed_payment  # noqa: PLC0415 -- on demand, as simulate

    task = report.sample_task.split(".")[0]
    return governed_payment(url, f"{task}-payment", f"customer-{task.removeprefix('task-')}")


def show_governance(governance: GovernanceReport | None) -> None:
    """The governed payment: the refusal and its record, the auditor's view, the erasure."""
    if governance is None:
        return
    console = output()
    lines = [
        f"payments-agent started payments.refund without an approval: refused"
        f" ({governance.denials_recorded} governance.policy.denied recorded)",
        f"  {governance.refused.partition(': ')[2] or governance.refused}",
        "alice approved it; the same call then went through"
        if governance.approved
        else "the approved call was refused too",
        f"auditor replays {governance.task}: {governance.auditor_shown} events shown,"
        f" {governance.auditor_withheld} withheld (restricted context)",
        f"ops forgot {governance.datasubject}: {governance.keys_destroyed} key destroyed,"
        f" {governance.erased_fields} fields now read as erased; the proofs below still verify",
    ]
    console.print("\n[bold]governance[/] (policy: access rules and 'payments need an approval')")
    for line in lines:
        console.print(Padding(Text(printable(line)), (0, 0, 0, 2)))


def demo_key(url: str) -> tuple[Path, KeyOrigin] | None:
    """The key to sign the demo with, and where it came from: the configured key, else the
    demo pair beside the database (made on the first run, never overwritten).

    ``None`` when the backend does not sign as it appends.
    """
    parsed = parse_url(url)
    if parsed.scheme not in SIGNING_SCHEMES:
        return None
    configured = key_path(parsed)
    if configured is not None:
        return configured, "configured"
    name = f"{parsed.option('namespace', DEFAULT_NAMESPACE)}-demo"
    directory = beside(url)
    key = directory / f"{name}{KEY_SUFFIX}"
    if key.exists():
        return key, "reused"
    return write_key_pair(name, directory)[0], "created"


def beside(url: str) -> Path:
    """Where the demo keeps its key and bundle: beside the database, else here."""
    parsed = parse_url(url)
    return Path(parsed.location).parent if parsed.scheme == "sqlite" else Path()


def sign_everything(ledger: Ledger, url: str, key: Path) -> Ledger:
    """Have every event signed, so the newest head covers them all; returns the ledger to read.

    SQLite signs its last checkpoints when closed; a Kafka ledger's notary signs them.
    """
    if parse_url(url).scheme == "kafka":
        ledger.notary(load_signer(key)).run_once()
        return ledger
    ledger.close()
    return fleetledger.open(url, default_source=cli_source(), signer=False)


@dataclass(frozen=True)
class RunProofs:
    """What the demo proved: the whole ledger verified, one task's bundle checked offline."""

    key: Path
    origin: KeyOrigin
    public_key: Path
    verification: Verification
    bundle: Path
    bundle_check: BundleVerification
    ledger: str | None
    """The --ledger the demo was given, to repeat in the commands."""

    @property
    def ok(self) -> bool:
        """Whether the ledger and the bundle both verified."""
        return self.verification.ok and self.bundle_check.ok

    def commands(self) -> list[str]:
        """The commands that repeat both checks by hand."""
        pub, bundle = shlex.quote(str(self.public_key)), shlex.quote(str(self.bundle))
        ledger = "" if self.ledger is None else f" --ledger {shlex.quote(self.ledger)}"
        return [
            f"fleetledger verify --key {pub}{ledger}",
            f"fleetledger verify-bundle {bundle} --key {pub}",
        ]


def prove_run(
    ledger: Ledger, report: FleetReport, key: tuple[Path, KeyOrigin], option: str | None
) -> RunProofs:
    """Verify the ledger, write the sample task's bundle beside the database, and check the
    bundle as an auditor would: from the file, with nothing but the public key.
    """
    public_key = public_key_path(key[0])
    verifier = load_verifier(public_key)
    verification = ledger.verify(verifier)
    bundle = ledger.evidence(report.sample_task, verifier)
    path = beside(ledger.url) / bundle_path(report.sample_task)
    write_bundle(bundle, path)
    offline = verify_bundle(read_bundle(path.read_bytes()), load_verifier(public_key))
    return RunProofs(key[0], key[1], public_key, verification, path, offline, option)


def tracker(bar: Progress, total: int) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback that moves ``bar``."""
    task = bar.add_task("simulating tasks", total=total)

    def advance(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return advance


def family_counts(ledger: Ledger) -> dict[str, int]:
    """Events retained per family."""
    return {info.family: info.events for info in ledger.topics()}


def summary(ledger: Ledger, report: FleetReport) -> dict[str, Any]:
    """The run as one JSON object."""
    return {
        "tasks": report.tasks,
        "events": report.events,
        "elapsed": report.elapsed,
        "events_per_second": rate(report),
        "sample_task": report.sample_task,
        "groups": list(report.groups),
        "families": family_counts(ledger),
        "lag": {group: t["lag"] for group, t in group_totals(ledger.lag()).items()},
    }


def integrity_json(proofs: RunProofs | None, url: str) -> dict[str, Any]:
    """What the demo proved, or why it proved nothing on this backend."""
    if proofs is None:
        return {"signed": False, "note": skipped_note(url)}
    checked = proofs.verification
    return {
        "signed": True,
        "key": str(proofs.key),
        "public_key": str(proofs.public_key),
        "verify": {
            "ok": checked.ok,
            "events": checked.events,
            "checkpoints": checked.checkpoints,
            "findings": len(checked.findings),
        },
        "bundle": str(proofs.bundle),
        "verify_bundle": {
            "ok": proofs.bundle_check.ok,
            "events": proofs.bundle_check.events,
            "signer_proved": proofs.bundle_check.signer_proved,
            "findings": len(proofs.bundle_check.findings),
        },
        "commands": proofs.commands(),
    }


def rate(report: FleetReport) -> float:
    """Events appended per second of simulation."""
    return round(report.events / report.elapsed, 1) if report.elapsed > 0 else 0.0


def show(ledger: Ledger, report: FleetReport, *, everything: bool = False) -> None:
    """The run, readable: totals, events per family, each group's lag and what it does, the
    sample task's timeline (without state.summary events unless ``everything``)."""
    console = output()
    console.print(
        f"[bold]{report.tasks}[/] tasks, [bold]{report.events}[/] events in "
        f"{report.elapsed:.2f}s ({rate(report):,.0f} events/s)"
    )
    console.print(families_table(family_counts(ledger)))
    console.print(roles_table(group_totals(ledger.lag())))
    events = list(ledger.replay(report.sample_task))
    shown = events if everything else [e for e in events if e.type not in HIDDEN]
    show_timeline(console, report.sample_task, shown, hidden=hidden_note(events, shown))
    console.print(Text(f"replay it: fleetledger replay {printable(report.sample_task)}"))


def hidden_note(events: list[Event], shown: list[Event]) -> str:
    """What the sample timeline left out, and how to see it."""
    hidden = len(events) - len(shown)
    return f" ({hidden} state.summary hidden; --all shows them)" if hidden else ""


def roles_table(totals: dict[str, dict[str, int]]) -> Table:
    """Each consumer group's lag and, in a sentence, what it does and so why it lags so."""
    from fleetledger.demo import ROLES  # noqa: PLC0415 -- on demand, as simulate

    table = Table(
        title="consumer groups (lag: events not yet read and committed)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
    )
    table.add_column("group", no_wrap=True)
    table.add_column("lag", justify="right", no_wrap=True)
    table.add_column("what it does", ratio=1)
    for group, total in totals.items():
        table.add_row(cell(group), str(total["lag"]), cell(ROLES.get(group, "")))
    return table


def show_proofs(proofs: RunProofs | None, url: str) -> None:
    """The ledger's verdict, the bundle and its offline verdict, and how to repeat both."""
    console = output()
    if proofs is None:
        console.print(Text(f"\nproofs: {skipped_note(url)}"))
        return
    checked, pub = proofs.verification, printable(str(proofs.public_key))
    state = ("ok", "green") if checked.ok else (f"FAILED ({len(checked.findings)} findings)", "red")
    lines = [
        Text(
            f"signed with {printable(str(proofs.key))}: {_ORIGINS[proofs.origin]};"
            f" {pub} is its public key, to hand to auditors"
        ),
        Text.assemble(
            f"verify with {pub}: ",
            state,
            f": {checked.events} events, {checked.leaves} leaves,"
            f" {checked.checkpoints} signed checkpoints and heads",
        ),
        Text(
            f"evidence bundle of {printable(proofs.bundle_check.task)}:"
            f" {printable(str(proofs.bundle))}"
        ),
        Text(f"verify-bundle, offline with {pub}: {printable(verdict(proofs.bundle_check))}"),
    ]
    console.print("\n[bold]proofs[/]")
    for line in lines:
        console.print(Padding(line, (0, 0, 0, 2)))
    console.print("repeat them:")
    for command in proofs.commands():
        console.print(Text(f"  {printable(command)}"), soft_wrap=True)


def skipped_note(url: str) -> str:
    """Why the demo proves nothing on a backend that does not sign as it appends."""
    scheme = parse_url(url).scheme
    why = _UNSIGNED.get(scheme, f"{scheme}:// ledgers are not signed by their writers")
    return f"{why}, so the demo skips verify and the evidence bundle"
