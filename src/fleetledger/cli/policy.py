"""``fleetledger policy``: check a policy file, explain one access decision, derive Kafka ACLs.

The policy is the ``[[rules]]`` and ``[[principals]]`` of a ``fleetledger.toml`` (``--file``,
else ``$FLEETLEDGER_CONFIG``, else ``./fleetledger.toml``); a file without ``[[rules]]``
configures no policy, and the ledger stays open. Other sections are read by the commands that
use them and are not checked here.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.text import Text

from fleetledger import Classification, ConfigurationError, Principal
from fleetledger.cli.common import LedgerURL, json_option, open_ledger, output, write_json
from fleetledger.cli.exits import REFUSED, InputError, guarded
from fleetledger.cli.render import printable
from fleetledger.cli.times import moment
from fleetledger.errors import PolicyError
from fleetledger.governance import Action, Policy, Resource, decide, parse_principals, parse_rules
from fleetledger.governance.kafka_acls import kafka_acls, shell_line
from fleetledger.ledger import DEFAULT_NAMESPACE, PolicyRecord
from fleetledger.topics import BUILTIN_POLICIES
from fleetledger.topics.naming import check_namespace

CHECK_JSON = "one JSON object: {file, configured, rules, principals}"
EXPLAIN_JSON = (
    "one JSON object: {allowed, principal, kind, tenant, action, family, classification,"
    " resource_tenant, rule, reason}"
)
HISTORY_JSON = (
    "one JSON object per line, per recorded change: {recorded, by, event_id, digest, access,"
    " ordering}"
)
AT_JSON = "one JSON object: {recorded, by, event_id, digest, access, ordering} (null: none)"
ACLS_JSON = (
    "one JSON object per line, per binding: {principal, permission, operation, resource_type,"
    " name, pattern, rule, host}"
)

FileOption = Annotated[
    Path | None,
    typer.Option(
        "--file",
        envvar="FLEETLEDGER_CONFIG",
        show_default="$FLEETLEDGER_CONFIG, else ./fleetledger.toml",
        help="The fleetledger.toml holding [[rules]] and [[principals]].",
    ),
]

app = typer.Typer(
    name="policy",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class PolicyFile(msgspec.Struct, frozen=True):
    """A policy file as read: where, its text, its rules and its principals."""

    path: Path
    text: str
    document: dict[str, Any]
    policy: Policy
    principals: tuple[Principal, ...]


def read_policy_file(path: Path | None) -> PolicyFile:
    """Read and check the policy of ``path`` (``None``: the configured file)."""
    path = path or Path(os.environ.get("FLEETLEDGER_CONFIG") or "fleetledger.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path} is not TOML: {exc}") from None
    with located(path, text):
        principals = parse_principals(document.get("principals", []))
        rules = parse_rules(document["rules"]) if "rules" in document else None
    policy = Policy.open() if rules is None else Policy(rules)
    return PolicyFile(path, text, document, policy, principals)


@contextmanager
def located(path: Path, text: str) -> Iterator[None]:
    """Re-raise a :class:`PolicyError` inside with the file and the line its path points at."""
    try:
        yield
    except PolicyError as exc:
        line = line_of(text, exc.path) if exc.path else None
        where = str(path) + ("" if line is None else f", line {line}")
        raise PolicyError(f"{where}: {dotted(exc.path)}: {exc}", path=exc.path) from None


def dotted(path: tuple[str | int, ...]) -> str:
    """``rules[2].actions[0]`` for ``("rules", 2, "actions", 0)``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def line_of(text: str, path: tuple[str | int, ...]) -> int | None:
    """The line (from 1) of ``text`` that ``path`` points at, found simply: the Nth
    ``[[section]]`` header, then the first line of that table assigning the key."""
    lines = text.splitlines()
    section, index, key = path[0], (path[1:2] or (0,))[0], (path[2:3] or (None,))[0]
    header = re.compile(rf"\s*\[\[\s*{re.escape(str(section))}\s*\]\]")
    starts = [n for n, line in enumerate(lines) if header.match(line)]
    if not isinstance(index, int) or index >= len(starts):
        return None
    start = starts[index]
    if key is None:
        return start + 1
    assigning = re.compile(rf"""\s*["']?{re.escape(str(key))}["']?\s*=""")
    for n in range(start + 1, len(lines)):
        if re.match(r"\s*\[", lines[n]):
            break
        if assigning.match(lines[n]):
            return n + 1
    return start + 1


@app.callback()
@guarded
def policy(
    ctx: typer.Context,
    file: FileOption = None,
    as_json: Annotated[bool, json_option(CHECK_JSON)] = False,
) -> None:
    """Check, explain and translate access policies; alone, check the configured file."""
    if ctx.invoked_subcommand is None:
        _check(file, as_json=as_json)


@app.command()
@guarded
def check(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="The policy file.", show_default="$FLEETLEDGER_CONFIG, else ./fleetledger.toml"
        ),
    ] = None,
    as_json: Annotated[bool, json_option(CHECK_JSON)] = False,
) -> None:
    """Validate the [[rules]] and [[principals]] of a policy file (exit 2 naming the line)."""
    _check(file, as_json=as_json)


def _check(file: Path | None, *, as_json: bool) -> None:
    read = read_policy_file(file)
    rules, principals = len(read.policy.rules), len(read.principals)
    if as_json:
        write_json(
            {
                "file": str(read.path),
                "configured": read.policy.configured,
                "rules": rules,
                "principals": principals,
            }
        )
    elif not read.policy.configured:
        typer.echo(
            f"{printable(str(read.path))}: OK, no [[rules]]: no policy is configured and the"
            f" ledger is open ({principals} principals)"
        )
    else:
        typer.echo(f"{printable(str(read.path))}: OK, {rules} rules, {principals} principals")


@app.command()
@guarded
def explain(
    *,
    principal: Annotated[str, typer.Option("--principal", help="The principal's id.")],
    action: Annotated[Action, typer.Option("--action", help="append, read or admin.")],
    family: Annotated[str, typer.Option("--family", help="The family acted on.")],
    classification: Annotated[
        Classification | None,
        typer.Option(
            "--classification",
            help="The events' classification.",
            show_default="the family's (internal for a family not built in)",
        ),
    ] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="The events' tenant.", show_default="none")
    ] = None,
    file: FileOption = None,
    as_json: Annotated[bool, json_option(EXPLAIN_JSON)] = False,
) -> None:
    """Say which rule decides whether PRINCIPAL may ACTION a family, and why (exit 4: denied)."""
    read = read_policy_file(file)
    known = {p.id: p for p in read.principals}
    who = known.get(principal) or Principal(principal)
    builtin = BUILTIN_POLICIES.get(family)
    level = classification or (builtin.classification if builtin else Classification.INTERNAL)
    decision = decide(read.policy, who, action, Resource(family, level, tenant))
    rule = None if decision.rule is None else read.policy.rules.index(decision.rule) + 1
    if as_json:
        write_json(
            {
                "allowed": decision.allowed,
                "principal": who.id,
                "kind": who.kind,
                "tenant": who.tenant,
                "action": action.value,
                "family": family,
                "classification": level.value,
                "resource_tenant": tenant,
                "rule": rule,
                "reason": decision.reason,
            }
        )
    else:
        if principal not in known and read.policy.configured:
            typer.echo(
                f"note: {printable(principal)} is not among the file's [[principals]]: it has no"
                " kind, so only rules naming its id or * apply",
                err=True,
            )
        typer.echo(printable(decision.message))
    if not decision.allowed:
        raise typer.Exit(REFUSED)


@app.command("kafka-acls")
@guarded
def kafka_acls_command(
    *,
    file: FileOption = None,
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace",
            help="The ledger's namespace (topics are NAMESPACE.FAMILY).",
            show_default=f"the file's [ledger] namespace, else {DEFAULT_NAMESPACE}",
        ),
    ] = None,
    as_json: Annotated[bool, json_option(ACLS_JSON)] = False,
) -> None:
    """Print the Kafka ACL bindings that enforce the policy on the broker (kafka-acls.sh lines)."""
    read = read_policy_file(file)
    ns = check_namespace(namespace or _namespace(read.document))
    with located(read.path, read.text):
        derived = kafka_acls(read.policy, read.principals, ns)
    for note in derived.notes:
        if as_json:
            typer.echo(f"note: {note}", err=True)
        else:
            typer.echo(f"# {note}")
    for binding in derived.bindings:
        if as_json:
            write_json(binding)
        else:
            typer.echo(shell_line(binding))


def _namespace(document: dict[str, Any]) -> str:
    ledger = document.get("ledger", {})
    namespace = ledger.get("namespace", DEFAULT_NAMESPACE) if isinstance(ledger, dict) else None
    if not isinstance(namespace, str):
        raise ConfigurationError("[ledger] namespace must be a string")
    return namespace


@app.command()
@guarded
def history(
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(HISTORY_JSON)] = False,
) -> None:
    """Show every policy the ledger was opened with, as recorded (governance.policy.changed)."""
    with open_ledger(ledger) as opened:
        records = opened.policy_history()
    if as_json:
        for record in records:
            write_json(_record_json(record))
    elif not records:
        output().print("no policy was ever recorded: the ledger was never opened with one")
    for record in [] if as_json else records:
        _print_record(record)


@app.command()
@guarded
def at(
    time: Annotated[
        str, typer.Argument(metavar="TIME", help="RFC 3339 with a zone, or ago: 30m, 2d.")
    ],
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(AT_JSON)] = False,
) -> None:
    """Show the policy in force at TIME: the last one recorded at or before it (exit 2: none)."""
    when = moment(time, "TIME")
    with open_ledger(ledger) as opened:
        record = opened.policy_at(when)
    if record is None:
        raise InputError(f"no policy was recorded at or before {when.isoformat()}")
    if as_json:
        write_json(_record_json(record))
    else:
        _print_record(record)


def _record_json(record: PolicyRecord) -> dict[str, Any]:
    return {
        "recorded": None if record.recorded is None else record.recorded.isoformat(),
        "by": record.by,
        "event_id": record.event_id,
        "digest": record.digest,
        "access": msgspec.json.decode(record.access) if record.access else None,
        "ordering": msgspec.json.decode(record.ordering) if record.ordering else None,
    }


def _print_record(record: PolicyRecord) -> None:
    recorded = "?" if record.recorded is None else record.recorded.isoformat()
    console = output()
    console.print(
        Text(
            f"{recorded}  by {printable(record.by or '?')}  event {record.event_id}"
            f"  sha256 {record.digest[:16]}"
        )
    )
    console.print(Text(f"  access:   {printable(record.access) or '(no rules: open)'}"))
    console.print(Text(f"  ordering: {printable(record.ordering) or '(no rules)'}"))
