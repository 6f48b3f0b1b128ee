"""``fleetledger tokens create|list|revoke``: the API tokens a server authenticates requests
with, each for a principal of the configuration file.

A token is shown once, when it is created: the ledger records only the SHA-256 of its
secret, in a ``governance.token.created`` event, so creating and revoking tokens are
themselves recorded, provable acts. All three need ``admin`` on the ``governance`` family.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.text import Text

from fleetledger.cli.common import (
    LedgerURL,
    configuration,
    json_option,
    open_ledger,
    output,
    write_json,
)
from fleetledger.cli.exits import committed, guarded, holding_interrupts
from fleetledger.cli.render import printable
from fleetledger.cli.times import ahead
from fleetledger.ledger import Token

CREATE_JSON = "one JSON object: {token_id, token, principal, expires}"
LIST_JSON = (
    "one JSON object per line: {token_id, principal, kind, tenant, created, created_by,"
    " expires, revoked}"
)
REVOKE_JSON = "one JSON object: {token_id, revoked}"

app = typer.Typer(
    name="tokens",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
@guarded
def tokens(
    ctx: typer.Context,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(LIST_JSON)] = False,
) -> None:
    """List API tokens (alone, as tokens list); create or revoke one."""
    ctx.obj = ledger
    if ctx.invoked_subcommand is None:
        _list(ledger, as_json=as_json)


@app.command()
@guarded
def create(
    ctx: typer.Context,
    *,
    principal: Annotated[
        str,
        typer.Option(
            "--principal", help="The configured principal the token authenticates.", metavar="ID"
        ),
    ],
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires",
            metavar="TIME",
            help="When it stops working: RFC 3339 with a zone, or from now: 30d, 12h.",
            show_default="never",
        ),
    ] = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(CREATE_JSON)] = False,
) -> None:
    """Create a token for a configured principal and print it, this once."""
    who = configuration().principal(principal)
    until = None if expires is None else ahead(expires, "--expires")
    with open_ledger(ledger or ctx.obj, write=True, create=True) as opened, holding_interrupts():
        made = opened.create_token(who, expires=until)
        committed(f"token {made.token_id} was created")
    expiry = None if made.expires is None else made.expires.isoformat()
    if as_json:
        write_json(
            {
                "token_id": made.token_id,
                "token": made.secret,
                "principal": who.id,
                "expires": expiry,
            }
        )
        return
    console = output()
    console.print(
        Text(
            f"token {made.token_id} for {printable(who.id)}"
            f" ({'no expiry' if expiry is None else 'expires ' + expiry});"
            " it is shown only now, keep it secret:"
        )
    )
    typer.echo(made.secret)


@app.command("list")
@guarded
def list_tokens(
    ctx: typer.Context,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(LIST_JSON)] = False,
) -> None:
    """List every token: whom it authenticates, when it expires, whether it was revoked."""
    _list(ledger or ctx.obj, as_json=as_json)


def _list(ledger: str | None, *, as_json: bool) -> None:
    with open_ledger(ledger) as opened:
        tokens = opened.tokens()
    if as_json:
        for token in tokens:
            write_json(_json(token))
        return
    console = output()
    if not tokens:
        console.print("no tokens")
    for token in tokens:
        state = "revoked" if token.revoked is not None else "active"
        expiry = "never expires" if token.expires is None else f"expires {token.expires}"
        console.print(Text(f"{token.token_id}  {printable(token.principal.id)}  {state}, {expiry}"))


@app.command()
@guarded
def revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="The token's id (as tokens list shows it).")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded).")] = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(REVOKE_JSON)] = False,
) -> None:
    """Revoke a token: it authenticates nobody from now on (exit 2 if there is none)."""
    with open_ledger(ledger or ctx.obj, write=True) as opened, holding_interrupts():
        revoked = opened.revoke_token(token_id, reason=reason)
        committed(f"token {token_id} was revoked")
    if as_json:
        write_json({"token_id": token_id, "revoked": revoked})
    else:
        said = "revoked" if revoked else "was already revoked"
        output().print(Text(f"token {printable(token_id)} {said}"))


def _json(token: Token) -> dict[str, object]:
    def when(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "token_id": token.token_id,
        "principal": token.principal.id,
        "kind": token.principal.kind,
        "tenant": token.principal.tenant,
        "created": when(token.created),
        "created_by": token.created_by,
        "expires": when(token.expires),
        "revoked": when(token.revoked),
    }
