"""What the web UI needs from the server: its pages and assets under a same-origin-only
policy, an event's stored bytes with its proof as stored (checked by no one on the server),
and the operations figures sampled as the server runs."""

import base64
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

import fleetledger
from fleetledger import Ledger
from fleetledger.integrity import NoteVerifier, leaf_hash, open_ledger_head, verify_inclusion
from fleetledger.server.ui import UI_DIR
from tests.integration.server.conftest import OPS, READER, Serve
from tests.integration.server.test_access import bearer


@pytest.mark.parametrize("page", ["/ui/", "/ui/tasks/t-1", "/ui/events/e-1", "/ui/operations"])
def test_every_page_is_the_ui_document_under_a_same_origin_policy(
    serve: Serve, ledger: Ledger, page: str
) -> None:
    """Each path of the UI answers its one HTML document; the CSP keeps every request on
    this origin."""
    response = httpx.get(serve(ledger) + page)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/ui/assets/app.js">' in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "connect-src 'self'" in policy


def test_the_root_leads_to_the_tasks_page(serve: Serve, ledger: Ledger) -> None:
    response = httpx.get(serve(ledger) + "/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/ui/"


def test_the_assets_are_served_as_modules_with_the_same_policy(
    serve: Serve, ledger: Ledger
) -> None:
    """The scripts (and the verifier's build among them) come from the package itself."""
    url = serve(ledger)

    for asset in ("app.js", "verify/index.js", "pages/event.js", "style.css"):
        response = httpx.get(f"{url}/ui/assets/{asset}")
        assert response.status_code == 200, asset
        assert response.content == (UI_DIR / asset).read_bytes()
        assert "default-src 'self'" in response.headers["content-security-policy"]
    assert httpx.get(f"{url}/ui/assets/absent.js").status_code == 404


def test_no_asset_names_another_origin() -> None:
    """Nothing the pages load or call is elsewhere: no URL with a scheme and host in them."""
    named = [
        f"{path.relative_to(UI_DIR)}: {word}"
        for path in UI_DIR.rglob("*")
        if path.suffix in {".html", ".js", ".css"}
        for word in path.read_text().split()
        if "://" in word and "www.w3.org/2000/svg" not in word
    ]
    assert not named


def test_the_material_is_the_stored_bytes_and_a_proof_that_verifies(
    serve: Serve, ledger: Ledger
) -> None:
    """What the event page checks: the bytes hash to the proof's leaf, the path leads to the
    root the head signed, and the head's signature holds under the ledger's key."""
    ledger.append("task.requested", subject="t-1", data={"goal": "refund"}, id="e-1")

    material = httpx.get(serve(ledger) + "/events/e-1/material").json()

    body, proof = base64.b64decode(material["body"]), material["proof"]
    assert body == ledger.log.read(proof["topic"], proof["partition"], 0, 1)[0].body
    assert base64.b64encode(leaf_hash(body)).decode() == proof["leaf_hash"]
    verifier = NoteVerifier.from_vkey(ledger.verifier.vkey)  # type: ignore[union-attr]
    head = open_ledger_head(proof["head"].encode(), verifier)
    line = head.partition(proof["topic"], proof["partition"])
    path = [base64.b64decode(h) for h in proof["audit_path"]]
    verify_inclusion(
        leaf_hash(body), path, index=proof["leaf_index"], size=line.size, root=line.root
    )


def test_the_material_of_a_tampered_event_is_served_as_stored(
    serve: Serve, ledger: Ledger, tmp_path: Path
) -> None:
    """The server vouches for nothing here: a changed body is handed out as it is (so the
    browser shows the proof failing), where ``prove`` refuses it."""
    ledger.append("task.requested", subject="t-1", data={"goal": "refund"}, id="e-1")
    url = serve(ledger)
    with closing(sqlite3.connect(tmp_path / "l.db")) as db, db:
        (body,) = db.execute("SELECT body FROM events WHERE id = 'e-1'").fetchone()
        changed = body.replace(b'"refund"', b'"refuse"')
        db.execute("UPDATE events SET body = ? WHERE id = 'e-1'", (changed,))

    material = httpx.get(f"{url}/events/e-1/material")
    proved = httpx.get(f"{url}/events/e-1/proof")

    assert material.status_code == 200
    body = base64.b64decode(material.json()["body"])
    assert b'"refuse"' in body
    assert base64.b64encode(leaf_hash(body)).decode() != material.json()["proof"]["leaf_hash"]
    assert proved.status_code == 422
    assert "does not match its stored leaf" in proved.json()["detail"]


def test_the_material_of_an_event_no_head_covers_yet_is_404(serve: Serve, tmp_path: Path) -> None:
    """The page then says the event is not signed yet."""
    with fleetledger.open(
        f"sqlite:///{tmp_path}/unsigned.db", delegate=True, default_source="tests"
    ) as unsigned:
        unsigned.append("task.requested", subject="t-1", data={"goal": "refund"}, id="e-1")
        response = httpx.get(serve(unsigned) + "/events/e-1/material")
    assert response.status_code == 404
    assert "no signed ledger head covers" in response.json()["detail"]


def test_the_material_needs_read_on_the_events_family(serve: Serve, governed: Ledger) -> None:
    governed.append(
        "tool.call.requested",
        subject="t-1",
        id="e-9",
        data={"call_id": "c-1", "tool": "payments.refund", "arguments": {}},
    )
    response = httpx.get(serve(governed) + "/events/e-9/material", headers=bearer(governed, READER))
    assert response.status_code == 403


def test_the_operations_figures_are_sampled_while_the_server_runs(
    serve: Serve, ledger: Ledger
) -> None:
    """Samples arrive at the interval, with lag per group, bytes per family and the notary's
    progress."""
    ledger.append("task.requested", subject="t-1", data={"goal": "refund"}, id="e-1")
    with ledger.consumer("audit", ["task"], start="earliest") as consumer:
        consumer.commit()  # at the start: the event is its lag
    url = serve(ledger, sample_seconds=0.2)
    deadline = time.monotonic() + 10
    samples: list[dict[str, object]] = []
    while len(samples) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        samples = httpx.get(f"{url}/ops/series").json()["samples"]

    assert len(samples) >= 2
    latest = samples[-1]
    assert latest["bytes"]["task"] > 0  # type: ignore[index]
    assert "audit" in latest["lag"]  # type: ignore[operator]
    assert latest["signed_leaves"] + latest["unsigned_leaves"] == 1  # type: ignore[operator]


def test_the_operations_figures_need_admin(serve: Serve, governed: Ledger) -> None:
    url = serve(governed, sample_seconds=0.2)
    assert httpx.get(f"{url}/ops/series", headers=bearer(governed, READER)).status_code == 403
    assert httpx.get(f"{url}/ops/series", headers=bearer(governed, OPS)).status_code == 200
