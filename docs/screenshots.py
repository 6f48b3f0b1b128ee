"""Take the README's screenshots of the web UI (``make screenshots``): the demo's ledger, served
on a free loopback port, in Debian's Chromium through Playwright, at 1280x800.

Run from the repository root after ``make demo`` (it reads ./fleetledger.db and
./fleet-demo.pub); writes docs/ui-task.png and docs/ui-event.png.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

import fleetledger
from fleetledger.consumers.tasks import latest_summaries
from fleetledger.server import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from interop.brokers import free_port
from tests.integration.server.test_browser import CHROMIUM, FLAGS

DOCS = Path(__file__).resolve().parent


def main() -> None:
    ledger = fleetledger.open("sqlite:///fleetledger.db", delegate=True)
    summaries = latest_summaries(ledger).events
    compensated = [e.subject for e in summaries if e.data.get("status") == "compensated"]
    task = max(compensated, key=lambda t: (len(list(ledger.replay(t))), t))  # the fullest story
    first_call = next(e for e in ledger.replay(task) if e.type == "tool.call.failed")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(ledger, sample_seconds=0), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    key = Path("fleet-demo.pub").read_text().strip()
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/ui/settings")
        page.fill("#pinned", key)
        page.click("button[type=submit]")
        page.goto(f"{base}/ui/tasks/{task}")
        page.wait_for_selector(".waterfall svg")
        page.locator(f".event-mark[data-event='{first_call.id}']").click()
        page.screenshot(path=str(DOCS / "ui-task.png"))
        page.goto(f"{base}/ui/events/{first_call.id}")
        page.wait_for_selector(".verdict-verified")
        page.screenshot(path=str(DOCS / "ui-event.png"))
        browser.close()
    server.should_exit = True
    thread.join(timeout=10)
    ledger.close()
    print(f"docs/ui-task.png and docs/ui-event.png: {task}")


if __name__ == "__main__":
    main()
