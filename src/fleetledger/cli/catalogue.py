"""``fleetledger types``: the event types a ledger accepts, and the data fields of one;
``fleetledger types register FILE`` stores a user type in the ledger itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from fleetledger import EventType, NotFound
from fleetledger.cli.common import (
    LedgerURL,
    json_option,
    open_ledger,
    output,
    write_json,
)
from fleetledger.cli.exits import InputError
from fleetledger.cli.render import cell, printable
from fleetledger.events.spec import read_spec

TYPES_JSON = (
    "one JSON object per line: {type, family, kind, classification, version, description};"
    " with TYPE one object, with its data fields: {..., fields: [{name, type, required,"
    " default}]}"
)
_SCALARS = {
    msgspec.inspect.StrType: "string",
    msgspec.inspect.IntType: "integer",
    msgspec.inspect.FloatType: "number",
    msgspec.inspect.BoolType: "boolean",
    msgspec.inspect.NoneType: "null",
    msgspec.inspect.AnyType: "any",
    msgspec.inspect.DateTimeType: "datetime",
}


def types(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="TYPE",
            help="Show this type's data fields; or 'register' followed by a spec FILE.",
            show_default=False,
        ),
    ] = None,
    spec_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="[FILE]",
            help="With 'register': a type spec (JSON or TOML: type, version, kind,"
            " classification, confidential, fields) to store in the ledger.",
            show_default=False,
        ),
    ] = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(TYPES_JSON)] = False,
) -> None:
    """List the event types; with TYPE, its fields; `types register FILE` stores a user type."""
    if name == "register":
        _register(spec_file, ledger, as_json=as_json)
        return
    if spec_file is not None:
        raise InputError("a FILE goes with 'types register' only")
    with open_ledger(ledger) as opened:
        catalogue = dict(opened.types())
    if name is None:
        _list(catalogue, as_json=as_json)
        return
    if name not in catalogue:
        raise NotFound(f"no event type {name!r}; fleetledger types lists them")
    if as_json:
        write_json({**type_json(catalogue[name]), "fields": fields(catalogue[name])})
    else:
        show_type(output(), catalogue[name])


def _register(spec_file: Path | None, ledger: str | None, *, as_json: bool) -> None:
    if spec_file is None:
        raise InputError("types register needs the FILE of a type spec")
    try:
        text = spec_file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {spec_file}: {exc.strerror}") from None
    spec = read_spec(text, str(spec_file))
    with open_ledger(ledger, write=True, create=True) as opened:
        registered = opened.register_type(spec)
    if as_json:
        write_json(type_json(registered))
    else:
        output().print(f"registered {registered.type} v{registered.version}", soft_wrap=True)


def _list(catalogue: dict[str, EventType], *, as_json: bool) -> None:
    if as_json:
        for spec in catalogue.values():
            write_json(type_json(spec))
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("type (family.name), what it records", ratio=1)
    for header in ("kind", "classification", "v"):
        table.add_column(header, no_wrap=True, justify="right" if header == "v" else "left")
    specs = list(catalogue.values())
    for spec, after in zip(specs, [*specs[1:], None], strict=True):
        table.add_row(
            Group(
                Text(printable(spec.type), style="bold"),
                Padding(Text(printable(spec.description), style="dim"), (0, 0, 0, 2)),
            ),
            spec.kind.value,
            spec.classification.value,
            str(spec.version),
            end_section=after is None or after.family != spec.family,
        )
    output().print(table)


def type_json(spec: EventType) -> dict[str, Any]:
    """One type as a JSON object."""
    return {
        "type": spec.type,
        "family": spec.family,
        "kind": spec.kind.value,
        "classification": spec.classification.value,
        "version": spec.version,
        "description": spec.description,
    }


def fields(spec: EventType) -> list[dict[str, Any]]:
    """The data fields of a type: name, type, whether required, and the default."""
    info = msgspec.inspect.type_info(spec.model)
    assert isinstance(info, msgspec.inspect.StructType)
    return [
        {
            "name": field.encode_name,
            "type": type_name(field.type),
            "required": field.required,
            "default": default(field),
        }
        for field in info.fields
    ]


def default(field: msgspec.inspect.Field) -> Any:
    """The default a field takes when left out (``[]`` and ``{}`` for list and dict factories)."""
    if field.default is not msgspec.NODEFAULT:
        return msgspec.to_builtins(field.default)
    if field.default_factory is not msgspec.NODEFAULT:
        return msgspec.to_builtins(field.default_factory())
    return None


def type_name(kind: msgspec.inspect.Type) -> str:
    """A field's type, readable: ``string``, ``list[string]``, ``"low" | "high"``, ..."""
    for scalar, name in _SCALARS.items():
        if isinstance(kind, scalar):
            return name
    if isinstance(kind, msgspec.inspect.UnionType):
        return " | ".join(type_name(member) for member in kind.types)
    if isinstance(kind, msgspec.inspect.LiteralType):
        return " | ".join(map(repr, kind.values))
    if isinstance(kind, msgspec.inspect.ListType | msgspec.inspect.SetType):
        return f"list[{type_name(kind.item_type)}]"
    if isinstance(kind, msgspec.inspect.DictType):
        return f"dict[{type_name(kind.key_type)}, {type_name(kind.value_type)}]"
    if isinstance(kind, msgspec.inspect.StructType):
        return kind.cls.__name__
    return type(kind).__name__.removesuffix("Type").lower()


def show_type(console: Console, spec: EventType) -> None:
    """One type, readable: what it is, then a table of its data fields."""
    console.print(
        Text(
            f"{printable(spec.type)} (version {spec.version}): {spec.kind.value} of the"
            f" {printable(spec.family)} family, {spec.classification.value} by default"
        ),
        soft_wrap=True,
    )
    if spec.description:
        console.print(Text(printable(spec.description)))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for header in ("field", "type", "required", "default"):
        table.add_column(header)
    for field in fields(spec):
        required = "required" if field["required"] else "optional"
        shown = "" if field["required"] else msgspec.json.encode(field["default"]).decode()
        table.add_row(cell(field["name"]), cell(field["type"]), required, cell(shown))
    console.print(table)
