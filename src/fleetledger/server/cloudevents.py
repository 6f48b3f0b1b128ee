"""The CloudEvents HTTP binding (v1.0.2), read into the attributes ``Ledger.append_many`` takes.

Three modes, chosen by ``Content-Type``:

- structured, ``application/cloudevents+json``: the body is one event as a JSON object;
- batched, ``application/cloudevents-batch+json``: the body is a JSON array of such objects,
  appended atomically (all or none);
- binary, any other JSON type (``application/json``, ``...+json``) with the attributes in
  ``ce-`` headers (percent-encoded, as the binding says): the body is the event's data.

Only JSON data is taken (``datacontenttype`` JSON, no ``data_base64``): the ledger validates
data against its type's model, which is JSON. Every event is given an id here when its writer
gave none, so the response can name the event it stored (ids are the ledger's UUIDv7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import msgspec

from fleetledger import ContractError
from fleetledger.events import uuid7

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
SPECVERSION = "1.0"
MAX_BATCH = 10_000
"""Events in one batched request at most (the body limit usually binds first)."""


def media_type(content_type: str | None) -> str:
    """The media type of a ``Content-Type`` header, lowercased, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json(media: str) -> bool:
    """Whether a media type carries JSON (``application/json`` or a ``+json`` suffix)."""
    return media == "application/json" or media.endswith("+json")


def read_events(headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]:
    """The events of one request, each as the attributes of a new event."""
    media = media_type(headers.get("content-type"))
    if media == BATCH:
        items = _decode(body)
        if not isinstance(items, list):
            raise ContractError("a batch is a JSON array of events")
        if not items or len(items) > MAX_BATCH:
            raise ContractError(f"a batch holds 1 to {MAX_BATCH} events, not {len(items)}")
        return [_structured(item, index) for index, item in enumerate(items)]
    if media == STRUCTURED:
        return [_structured(_decode(body), None)]
    if any(name.lower().startswith("ce-") for name in headers):
        return [_binary(headers, body, media)]
    raise ContractError(
        f"send {STRUCTURED}, {BATCH}, or the event's data with ce- headers (binary mode);"
        f" not {media or 'no Content-Type'}",
        field="content-type",
    )


def _decode(body: bytes) -> Any:
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise ContractError(f"the body is not JSON: {exc}") from None


def _structured(item: Any, index: int | None) -> dict[str, Any]:
    """One event of structured (or batched, at ``index``) mode."""
    if not isinstance(item, dict):
        raise _at(ContractError("an event is a JSON object of attributes"), index)
    attributes = dict(item)
    try:
        _envelope(attributes)
    except ContractError as exc:
        raise _at(exc, index) from None
    return _with_id(attributes)


def _binary(headers: Mapping[str, str], body: bytes, media: str) -> dict[str, Any]:
    """The event of binary mode: ``ce-`` headers and the body as its data."""
    attributes: dict[str, Any] = {
        name.lower()[3:]: unquote(value)
        for name, value in headers.items()
        if name.lower().startswith("ce-")
    }
    if body:
        if not is_json(media):
            raise ContractError(
                f"the event's data must be JSON (Content-Type application/json), not {media!r}",
                field="datacontenttype",
            )
        attributes["data"] = _decode(body)
    _envelope(attributes)
    return _with_id(attributes)


def _envelope(attributes: dict[str, Any]) -> None:
    """Take off the attributes the binding carries but the ledger sets itself."""
    version = attributes.pop("specversion", SPECVERSION)
    if version != SPECVERSION:
        raise ContractError(
            f"specversion must be {SPECVERSION!r}, not {version!r}", field="specversion"
        )
    content = attributes.pop("datacontenttype", None)
    if content is not None and not (isinstance(content, str) and is_json(media_type(content))):
        raise ContractError("only JSON data is accepted", field="datacontenttype")
    if "data_base64" in attributes:
        raise ContractError("only JSON data is accepted, not data_base64", field="data_base64")


def _with_id(attributes: dict[str, Any]) -> dict[str, Any]:
    if attributes.get("id") is None:
        attributes["id"] = uuid7()
    return attributes


def _at(exc: ContractError, index: int | None) -> ContractError:
    exc.index = index
    return exc
