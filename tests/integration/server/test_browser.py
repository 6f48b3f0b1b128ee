"""The web UI in a real browser: Debian's Chromium, driven by Playwright (its driver only:
never a browser download), against a real server over a real signed SQLite ledger.

A reviewer opens a task, sees its waterfall, opens an event and sees its proof verified in the
browser with the key they pinned; after the ledger file is tampered with, the same page shows
the proof failing. Screenshots of each step go to ``test-results/browser/`` (git-ignored).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

import fleetledger
from fleetledger import Ledger, TaskProjection, run_projection
from fleetledger.integrity import NoteSigner
from tests.integration.server.conftest import run
from tests.toolchains import ROOT, missing

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""The flags of the machine notes: without the background-networking ones Chromium tries to
reach Google's hosts at every start."""
SHOTS = ROOT / "test-results" / "browser"
TASK = "task-7"
WAIT_MS = 10_000


def story(ledger: Ledger) -> None:
    """A refund: planned, handed to an executor, a gated tool call that fails and is retried,
    a denied start without approval, approved, done, then compensated."""
    events: list[dict[str, Any]] = []

    def add(kind: str, agent: str, data: dict[str, Any], cause: int | None = None) -> None:
        n = len(events)
        events.append(
            {
                "type": kind,
                "subject": TASK,
                "id": f"e-{n}",
                "data": data,
                "source": f"agents/{agent}",
                "agentid": agent,
                "time": f"2026-12-01T10:00:{n * 2:02d}Z",
                "causationid": None if cause is None else f"e-{cause}",
            }
        )

    call = {"call_id": "c-1", "tool": "payments.refund", "arguments": {"amount": 12}}
    again = {**call, "call_id": "c-2"}
    gate = {
        "approval_id": "a-1",
        "approver": "alice",
        "call_id": "c-2",
        "action": "refund",
        "reason": "payments need a sign-off",
    }
    add("task.requested", "planner", {"goal": "Refund order 7", "requested_by": "planner"})
    add("task.assigned", "planner", {"assignee": "executor", "assigned_by": "planner"}, 0)
    add("task.started", "executor", {"agent": "executor"}, 1)
    add("tool.call.requested", "executor", call, 2)
    add("tool.call.started", "executor", call, 3)
    add(
        "tool.call.failed",
        "executor",
        {
            "call_id": "c-1",
            "tool": "payments.refund",
            "error": "gateway timed out",
            "error_type": "timeout",
            "retryable": True,
        },
        4,
    )
    add("task.retried", "executor", {"attempt": 1, "reason": "timeout"}, 5)
    add("tool.call.requested", "executor", again, 6)
    add("governance.approval.requested", "executor", gate, 7)
    add(
        "governance.approval.granted",
        "alice",
        {k: gate[k] for k in ("approval_id", "approver", "call_id")},
        8,
    )
    add("tool.call.started", "executor", again, 9)
    add(
        "tool.call.completed",
        "executor",
        {"call_id": "c-2", "tool": "payments.refund", "result": {"status": "ok"}},
        10,
    )
    add("task.completed", "executor", {"summary": "refunded"}, 11)
    add(
        "task.compensated",
        "supervisor",
        {"action": "reversed", "call_id": "c-2", "reason": "validation failed"},
        12,
    )
    ledger.append_many(events)
    run_projection(ledger, TaskProjection(ledger))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server over a signed ledger holding the story; its URL, key and file."""
    folder = tmp_path_factory.mktemp("ui")
    signer = NoteSigner.generate("fleet-test")
    path = folder / "ui.db"
    url = f"sqlite:///{path}?checkpoint_events=1"
    with fleetledger.open(url, signer=signer, delegate=True, default_source="tests") as ledger:
        story(ledger)
        base, stop = run(fleetledger.server.create_app(ledger, sample_seconds=0.5))
        try:
            yield {"url": base, "key": signer.verifier.vkey, "file": path, "ledger": ledger}
        finally:
            stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        missing(f"Debian's chromium ({CHROMIUM}; apt-get install chromium)")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS, timeout=60_000)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, site: dict[str, Any]) -> Iterator[Any]:
    """A page at 1280x800 in a fresh context that records every request it makes."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    opened.requests = []
    opened.errors = []
    opened.on("request", lambda request: opened.requests.append(request.url))
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    yield opened
    context.close()
    assert not opened.errors
    assert all(url.startswith(site["url"]) for url in opened.requests), opened.requests


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def pin(page: Any, site: dict[str, Any], key: str) -> None:
    page.goto(f"{site['url']}/ui/settings")
    page.fill("#pinned", key)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Saved")


def test_the_tasks_page_lists_the_task_and_shows_a_new_one_without_reloading(
    page: Any, site: dict[str, Any]
) -> None:
    page.goto(f"{site['url']}/ui/")
    row = page.locator("table.tasks tbody tr", has_text=TASK)
    row.wait_for()
    assert row.locator(".badge").inner_text() == "compensated"
    page.wait_for_selector(".live[data-state=live]")

    ledger: Ledger = site["ledger"]
    ledger.append("task.requested", subject="task-8", data={"goal": "Refund order 8"})
    run_projection(ledger, TaskProjection(ledger))

    page.locator("table.tasks tbody tr", has_text="task-8").wait_for()
    shot(page, "tasks")


def test_the_tasks_page_filters_by_status(page: Any, site: dict[str, Any]) -> None:
    page.goto(f"{site['url']}/ui/?status=failed")
    page.wait_for_selector("p.muted >> text=tasks")
    assert page.locator("table.tasks tbody tr", has_text=TASK).count() == 0
    page.select_option("select[name=status]", "compensated")
    page.locator("table.tasks tbody tr", has_text=TASK).wait_for()


def test_a_tasks_waterfall_has_a_lane_per_agent_and_marks_the_gate_retry_and_compensation(
    page: Any, site: dict[str, Any]
) -> None:
    page.goto(f"{site['url']}/ui/tasks/{TASK}")
    page.wait_for_selector(".waterfall svg")

    lanes = page.locator(".lane-label").all_text_contents()
    assert lanes == ["planner", "executor", "alice", "supervisor"]
    assert page.locator(".event-mark").count() == 14
    assert page.locator(".mk.shape-gate").count() == 1
    assert page.locator(".mk.shape-granted").count() == 1
    assert page.locator(".mark-label", has_text="retry").count() == 1
    assert page.locator(".mark-label", has_text="compensated").count() == 1
    assert page.locator(".span-call").count() == 2
    assert page.locator("path.arrow").count() == 13  # every event but the first names its cause
    shot(page, "task")

    page.locator(".event-mark[data-event=e-5]").click()
    assert "tool.call.failed" in page.locator(".detail").inner_text()
    assert "gateway timed out" in page.locator(".detail").inner_text()


def test_the_waterfall_is_reachable_by_keyboard(page: Any, site: dict[str, Any]) -> None:
    """Tab reaches the chart's events; Enter shows the focused one."""
    page.goto(f"{site['url']}/ui/tasks/{TASK}")
    page.wait_for_selector(".waterfall svg")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('event-mark')"):
            break
    focused = page.evaluate("document.activeElement.dataset.event")
    assert focused == "e-0"

    page.keyboard.press("Enter")

    assert "task.requested" in page.locator(".detail").inner_text()


def test_an_events_proof_is_verified_in_the_browser_with_the_pinned_key(
    page: Any, site: dict[str, Any]
) -> None:
    pin(page, site, site["key"])
    page.goto(f"{site['url']}/ui/events/e-5")

    verdict = page.locator(".verdict-verified")
    verdict.wait_for()
    assert "Proof verified in your browser" in verdict.inner_text()
    assert "fleet-test" in verdict.inner_text()
    assert page.locator(".step-ok").count() == 3
    assert "gateway timed out" in page.locator(".event").inner_text()
    shot(page, "event-verified")


def test_a_key_the_head_was_not_signed_with_fails_the_proof(
    page: Any, site: dict[str, Any]
) -> None:
    other = NoteSigner.generate("fleet-test").verifier.vkey
    pin(page, site, other)
    page.goto(f"{site['url']}/ui/events/e-5")

    verdict = page.locator(".verdict-failed")
    verdict.wait_for()
    assert "Proof failed" in verdict.inner_text()


def test_the_operations_page_draws_its_charts(page: Any, site: dict[str, Any]) -> None:
    page.goto(f"{site['url']}/ui/operations")
    page.locator("figure.chart svg").nth(4).wait_for()  # (wait_for_function would eval: CSP)
    titles = page.locator("figure.chart figcaption strong").all_inner_texts()
    assert titles == [
        "Consumer lag per group",
        "Storage per family",
        "Policy denials recorded",
        "Dead letters by status",
        "Notary progress",
    ]
    assert "tasks: 0 events" in page.locator("figure.chart").first.inner_text()
    shot(page, "operations")


def test_a_phone_width_page_does_not_scroll_sideways(browser: Any, site: dict[str, Any]) -> None:
    """At 390 px the page fits; only the chart scrolls inside its own box."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    for path in ("/ui/", f"/ui/tasks/{TASK}", "/ui/events/e-5", "/ui/operations"):
        phone.goto(site["url"] + path)
        phone.wait_for_selector("main h1")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    shot(phone, "task-phone")
    context.close()


def test_a_tampered_ledger_shows_the_proof_failing_in_red(page: Any, site: dict[str, Any]) -> None:
    """Runs last: it changes one byte of the stored event in the ledger file."""
    with closing(sqlite3.connect(site["file"])) as db, db:
        (body,) = db.execute("SELECT body FROM events WHERE id = 'e-5'").fetchone()
        db.execute(
            "UPDATE events SET body = ? WHERE id = 'e-5'",
            (body.replace(b"gateway timed out", b"gateway timed 0ut"),),
        )
    pin(page, site, site["key"])
    page.goto(f"{site['url']}/ui/events/e-5")

    verdict = page.locator(".verdict-failed")
    verdict.wait_for()
    assert "not what the ledger recorded" in verdict.inner_text()
    colour = verdict.evaluate("element => getComputedStyle(element).color")
    assert colour == "rgb(127, 29, 29)"  # red
    assert "gateway timed 0ut" in page.locator(".event").inner_text()
    shot(page, "event-tampered")
