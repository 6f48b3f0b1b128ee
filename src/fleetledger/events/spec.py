"""A user event type as data: what ``fleetledger types register FILE`` reads and the ledger
stores, so that every process, CLI and HTTP client opening a ledger accepts the same types.

A Python data model (a :class:`~fleetledger.events.registry.EventData` subclass) cannot be
written into a log; a :class:`TypeSpec` can. It names the type, its version, kind,
classification and confidential fields, and each data field with a JSON type and whether it
is required; :meth:`TypeSpec.event_type` builds the model from it. Stored as a
``governance.type.registered`` event, it is read back by every ledger that opens the log, and
a new version is checked for compatibility with the stored one once, by the registry, as any
version is.

A spec file is JSON or TOML::

    type = "billing.invoice.issued"
    version = 1
    kind = "fact"                 # or "intent"
    classification = "confidential"
    description = "An invoice was sent to a customer."
    confidential = ["customer_email"]

    [fields]
    invoice_id = { type = "string" }
    amount = { type = "number" }
    customer_email = { type = "string", required = false }
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from typing import Any, Literal

import msgspec

from fleetledger.errors import ContractError
from fleetledger.events.registry import EventData, EventType, Kind
from fleetledger.types import Classification

JsonType = Literal["string", "integer", "number", "boolean", "object", "array", "any", "datetime"]
_PYTHON: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "object": dict[str, Any],
    "array": list[Any],
    "any": Any,
    "datetime": datetime,
}


class FieldSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One data field: its JSON type, and whether an event must carry it."""

    type: JsonType
    required: bool = True


class TypeSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """An event type as data (see the module docstring)."""

    type: str
    fields: dict[str, FieldSpec]
    version: int = 1
    kind: Kind = Kind.FACT
    classification: Classification = Classification.INTERNAL
    description: str = ""
    confidential: list[str] = msgspec.field(default_factory=list)

    def event_type(self) -> EventType:
        """The registry's type, with a data model built from the fields (unknown fields
        refused, as in every model); :class:`ContractError` when the spec cannot be one."""
        for name in self.fields:
            if not name.isidentifier() or name.startswith("_"):
                raise ContractError(
                    f"{self.type}: field name {name!r} must be a Python identifier not starting"
                    " with '_'",
                    field="fields",
                )
        required = [(n, _PYTHON[f.type]) for n, f in self.fields.items() if f.required]
        optional = [
            (n, _PYTHON[f.type] | None, None) for n, f in self.fields.items() if not f.required
        ]
        model: type[EventData] = msgspec.defstruct(  # type: ignore[assignment]  # based on it
            _model_name(self.type),
            [*required, *optional],
            bases=(EventData,),
            kw_only=True,
            module=__name__,
        )
        return EventType(
            self.type,
            model,
            self.kind,
            self.classification,
            self.version,
            self.description,
            tuple(self.confidential),
        )

    def to_data(self) -> dict[str, Any]:
        """The spec as the JSON value a ``governance.type.registered`` event carries."""
        data: dict[str, Any] = msgspec.to_builtins(self)
        return data


def _model_name(type_: str) -> str:
    return "".join(part.capitalize() for part in type_.replace("_", ".").split(".")) + "Data"


def read_spec(text: bytes, name: str = "spec") -> TypeSpec:
    """A spec from a JSON or TOML file's bytes (``name`` says which file, in errors)."""
    try:
        raw = text.decode()
    except UnicodeDecodeError:
        raise ContractError(f"{name}: not UTF-8 text") from None
    try:
        value = msgspec.json.decode(raw) if raw.lstrip().startswith("{") else tomllib.loads(raw)
    except (msgspec.DecodeError, tomllib.TOMLDecodeError) as exc:
        raise ContractError(f"{name}: neither JSON nor TOML: {exc}") from None
    return spec_from(value, name)


def spec_from(value: object, name: str = "spec") -> TypeSpec:
    """A spec from its JSON value (as a file or a stored event holds it), checked."""
    try:
        spec = msgspec.convert(value, TypeSpec)
    except msgspec.ValidationError as exc:
        raise ContractError(f"{name}: not an event type spec: {exc}") from None
    spec.event_type()  # every check the registry makes of a type, now
    return spec
