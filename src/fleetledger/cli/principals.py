"""``fleetledger principals add|list``: the principals ``fleetledger.toml`` names, whom access
rules grant rights to (an id, a kind: agent, service or human, and an optional tenant).

``add`` appends a ``[[principals]]`` table to the configuration file in use (``--config``,
``$FLEETLEDGER_CONFIG`` or ``./fleetledger.toml``, created if there is none) and leaves every
byte already in it as it was.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from fleetledger import Principal
from fleetledger.cli.common import config_file, configuration, json_option, output, write_json
from fleetledger.cli.exits import InputError, committed, holding_interrupts
from fleetledger.cli.render import printable
from fleetledger.config import CONFIG_NAME, add_principal

PRINCIPALS_JSON = (
    "add: one JSON object {id, kind, tenant, file}; list: a JSON array of {id, kind, tenant}"
)


class PrincipalAction(StrEnum):
    """What ``principals`` does."""

    ADD = "add"
    LIST = "list"


class Kind(StrEnum):
    """What a principal is."""

    AGENT = "agent"
    SERVICE = "service"
    HUMAN = "human"


def principals(
    action: Annotated[
        PrincipalAction,
        typer.Argument(help="add: name a new principal in the file; list: show those it names."),
    ],
    principal_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="add: the new principal's id.")
    ] = None,
    kind: Annotated[Kind | None, typer.Option("--kind", help="add: what the principal is.")] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="add: the tenant it belongs to.")
    ] = None,
    as_json: Annotated[bool, json_option(PRINCIPALS_JSON)] = False,
) -> None:
    """Add a principal to fleetledger.toml (agent, service or human), or list its principals."""
    if action is PrincipalAction.LIST:
        _list(as_json=as_json)
        return
    if principal_id is None or kind is None:
        raise InputError("principals add needs the id and --kind agent|service|human")
    file = config_file() or Path(CONFIG_NAME)
    with holding_interrupts():
        added = add_principal(file, principal_id, kind.value, tenant)
        committed(f"{file} names {principal_id!r}")
    if as_json:
        write_json({**_fields(added), "file": str(file)})
    else:
        output().print(printable(f"added {_describe(added)} to {file}"), markup=False)


def _list(*, as_json: bool) -> None:
    named = configuration().principals
    if as_json:
        write_json([_fields(p) for p in named])
        return
    for principal in named:
        output().print(printable(_describe(principal)), markup=False)
    if not named:
        where = config_file() or "no configuration file"
        output().print(printable(f"no principals ({where})"), markup=False)


def _fields(principal: Principal) -> dict[str, str | None]:
    return {"id": principal.id, "kind": principal.kind, "tenant": principal.tenant}


def _describe(principal: Principal) -> str:
    tenant = "" if principal.tenant is None else f" (tenant {principal.tenant})"
    return f"{principal.id}: {principal.kind}{tenant}"
