"""The README's HTTP quickstart works as written: ``fleetledger serve`` (the real command, in
its own process) and the ``curl`` lines after it, on a free port in a fresh directory."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from interop.brokers import free_port
from tests.toolchains import require

README = Path(__file__).parents[3] / "README.md"
BLOCK = re.compile(r"<!-- quickstart:http -->\n```sh\n(.*?)```\n<!-- /quickstart:http -->", re.S)


def quickstart() -> list[str]:
    found = BLOCK.search(README.read_text())
    assert found, "the README has no HTTP quickstart block"
    return [line for line in found.group(1).splitlines() if line.strip()]


def test_the_readme_curl_quickstart_works_as_written(tmp_path: Path) -> None:
    """The server starts; the two appends answer 201; the replay and the state show them."""
    require("curl")
    serve, *calls = quickstart()
    assert serve.startswith("fleetledger serve ")
    port = str(free_port())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("FLEETLEDGER_URL", None)
    command = serve.split("#", 1)[0].replace("8077", port)
    server = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=tmp_path, env=env)
    try:
        _wait_until_ready(f"http://127.0.0.1:{port}/healthz", server)
        answers = [
            subprocess.run(
                ["bash", "-c", call.replace("8077", port)],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout
            for call in calls
        ]
    finally:
        server.terminate()
        server.wait(timeout=15)
    appended = [json.loads(answer)["events"][0] for answer in answers[:2]]
    assert appended[0]["id"] == "req-1"
    assert [e["existing"] for e in appended] == [False, False]
    replay = json.loads(answers[2])
    assert [e["type"] for e in replay["events"]] == ["task.requested", "task.assigned"]
    assert json.loads(answers[3])["assignee"] == "agents/refunds"
    assert (tmp_path / "fleet.db").is_file()


def _wait_until_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert server.poll() is None, "fleetledger serve exited"
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("fleetledger serve did not answer in 20 s")
