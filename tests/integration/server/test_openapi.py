"""The OpenAPI document is checked into the repository and is what the server serves; a
property-based run of generated requests against it finds no 500 and no response outside it
(every status declared, every error a problem, every JSON answer with its schema's fields)."""

import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fleetledger
from fleetledger.integrity import NoteSigner
from fleetledger.server import create_app
from fleetledger.server.app import openapi_text
from tests.fuzzing import FUZZ
from tests.integration.server.conftest import run

CHECKED_IN = Path(fleetledger.__file__).parent / "server" / "openapi.json"
DOCUMENT = json.loads(CHECKED_IN.read_text())
OPERATIONS = sorted(
    (method.upper(), path, operation)
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
)
HEADER_TEXT = st.text(
    alphabet=string.ascii_letters + string.digits + "-_=.:/+", min_size=1, max_size=40
)
TEXT = st.text(max_size=30)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
EVENTISH = st.fixed_dictionaries(
    {"type": st.sampled_from(["task.requested", "tool.call.requested", "nope", "task"])},
    optional={
        "specversion": st.sampled_from(["1.0", "0.3", 1]),
        "subject": TEXT,
        "source": TEXT,
        "id": TEXT,
        "time": TEXT,
        "data": JSON,
        "datacontenttype": st.sampled_from(["application/json", "text/plain"]),
        "recordedtime": TEXT,
    },
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/cloudevents+json",
        "application/cloudevents-batch+json",
        "application/json",
        "text/plain",
        "",
    ]
)


def test_the_checked_in_document_is_what_the_app_generates() -> None:
    """Regenerate with the line in fleetledger.server.app.openapi_text's docstring."""
    assert CHECKED_IN.read_text() == openapi_text()


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over a small signed ledger; streams last 0.3 s so a generated GET ends."""
    path = tmp_path_factory.mktemp("fuzz") / "l.db"
    signer = NoteSigner.generate("fuzz")
    options = {"signer": signer, "delegate": True, "default_source": "fuzz"}
    with fleetledger.open(f"sqlite:///{path}?checkpoint_events=1", **options) as ledger:
        for i in range(3):
            ledger.append("task.requested", subject="t", data={"goal": "g"}, id=f"e{i}")
        base, stop = run(create_app(ledger, max_body=65536, stream_seconds=0.3))
        try:
            yield base
        finally:
            stop()


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """One generated request for one operation of the document."""
    method, path, operation = draw(st.sampled_from(OPERATIONS))
    params: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for parameter in operation.get("parameters", []):
        name, where = parameter["name"], parameter["in"]
        value = draw(st.sampled_from(["e0", "t", "1", "latest"]) | TEXT)
        if where == "path":
            path = path.replace("{" + name + "}", quote(value or "x", safe=""))
        elif where == "query" and draw(st.booleans()):
            params[name] = value
        elif where == "header" and draw(st.booleans()):
            headers[name] = draw(HEADER_TEXT)
    if draw(st.integers(0, 9)) == 0:
        headers["Authorization"] = "Bearer " + draw(HEADER_TEXT)
    request: dict[str, Any] = {"params": params, "headers": headers}
    if method == "POST":
        body = draw(st.one_of(EVENTISH, st.lists(EVENTISH, max_size=3), JSON))
        request["content"] = json.dumps(body).encode() if draw(st.integers(0, 5)) else b"{"
        headers["Content-Type"] = draw(CONTENT_TYPES)
        if draw(st.booleans()):
            headers["ce-type"] = draw(st.sampled_from(["task.requested", "x"]))
            headers["ce-subject"] = draw(HEADER_TEXT)
    return method, path, request


def _schema(reference: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in reference:
        reference = DOCUMENT["components"]["schemas"][reference["$ref"].rsplit("/", 1)[1]]
    return reference


def _conforms(operation: dict[str, Any], response: httpx.Response) -> None:
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"{response.status_code} is not declared: {response.text[:200]}"
    kind = response.headers.get("content-type", "").split(";")[0]
    if response.status_code >= 400:
        assert kind == "application/problem+json"
        body = response.json()
        assert {"type", "title", "status", "detail"} <= set(body)
        assert body["status"] == response.status_code
        return
    if kind == "application/json":
        schema = _schema(declared["content"]["application/json"]["schema"])
        body = response.json()
        if schema.get("type") == "object":
            assert isinstance(body, dict)
            assert set(schema.get("required", [])) <= set(body)
        if schema.get("type") == "array":
            assert isinstance(body, list)


@pytest.mark.fuzz
@FUZZ
@given(requests())
def test_generated_requests_find_no_500_and_no_undeclared_response(
    url: str, request: tuple[str, str, dict[str, Any]]
) -> None:
    """Whatever the request, the answer is one the document declares."""
    method, path, options = request
    operation = DOCUMENT["paths"][_template(path)][method.lower()]
    response = httpx.request(method, url + path, timeout=5.0, **options)
    assert response.status_code != 500, response.text[:300]
    _conforms(operation, response)


def _template(path: str) -> str:
    """The document's path of a filled-in path."""
    parts = path.split("/")
    for template in DOCUMENT["paths"]:
        candidate = template.split("/")
        if len(candidate) == len(parts) and all(
            c.startswith("{") or c == p for c, p in zip(candidate, parts, strict=True)
        ):
            return template
    raise AssertionError(f"no operation for {path}")
