"""The TypeScript verifier (verifiers/ts) checks what a real signed SQLite ledger proves.

A real ledger writes its documents and tampered copies (``ts_fixtures.py``); Node's test
runner then runs the package's tests on them, on the RFC 6962 vectors and on its own units.
Every genuine document must verify in TypeScript and every tampered one must fail there with
a reason, and fleetledger's own checks must agree on each, so neither side accepts what the
other refuses.
"""

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fleetledger import IntegrityError
from fleetledger.integrity import NoteVerifier, read_order, verify_order
from fleetledger.server.ui import UI_DIR
from interop.prepare import TS_VERIFIER
from tests.integration.interop.test_go_verifier import CHECKS
from tests.integration.interop.ts_fixtures import write_fixtures
from tests.toolchains import missing, prepared, require

Cases = tuple[Path, list[dict[str, Any]]]
UI_VERIFY = UI_DIR / "verify"


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Cases:
    """The folder the fixtures are written to, and the cases it lists."""
    folder = tmp_path_factory.mktemp("ts-verifier")
    write_fixtures(folder)
    listed: list[dict[str, Any]] = json.loads((folder / "cases.json").read_text())["cases"]
    return folder, listed


def verified_in_python(folder: Path, case: dict[str, Any]) -> bool:
    """Whether fleetledger's own checks accept the case."""
    data, key = (folder / case["file"]).read_bytes(), NoteVerifier.from_vkey(case["key"])
    try:
        if case["kind"].startswith("order-"):
            verify_order(read_order(data), key)
        else:
            CHECKS[case["kind"]](data, key)
    except IntegrityError:  # a ProofError or a NoteError
        return False
    return True


def test_fleetledger_agrees_with_every_case(cases: Cases) -> None:
    """Python accepts each genuine document and refuses each tampered one, so the verdicts
    the Node tests expect are fleetledger's own."""
    folder, listed = cases

    disagreed = [c["name"] for c in listed if verified_in_python(folder, c) != c["valid"]]

    assert not disagreed
    assert sum(not c["valid"] for c in listed) >= 40


def test_the_typescript_verifier_agrees_on_every_case(cases: Cases) -> None:
    """``node --test`` on the compiled tests: none fails or skips, and each case of the
    fixtures is one passing test (genuine ones verify, tampered ones fail with a reason)."""
    require("node")
    prepared("ts")
    tests = sorted((TS_VERIFIER / "dist" / "test").glob("*.test.js"))
    if not tests:
        missing("verifiers/ts/dist (run `python interop/prepare.py ts` to build it)")
    folder, listed = cases
    env = {**os.environ, "FLEETLEDGER_TS_FIXTURES": str(folder)}
    command = ["node", "--test", "--test-reporter=tap", *map(str, tests)]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    output = result.stdout + result.stderr

    assert result.returncode == 0, output[-6000:]
    assert re.search(r"^# fail 0$", output, re.MULTILINE), output[-2000:]
    assert re.search(r"^# skipped 0$", output, re.MULTILINE), output[-2000:]
    passed = set(re.findall(r"^\s*ok \d+ - (.*)$", output, re.MULTILINE))
    wanted = {f"{'verifies' if c['valid'] else 'fails'}: {c['name']}" for c in listed}
    assert not wanted - passed


def test_the_web_ui_ships_the_verifier_as_built_from_its_sources() -> None:
    """The event page checks proofs with ``server/ui/verify/``: byte for byte the fresh build of
    verifiers/ts (``make ui-verify`` copies it after a change), so the browser runs the code
    these tests check."""
    require("node")
    prepared("ts")
    built = {p.name: p.read_bytes() for p in (TS_VERIFIER / "dist" / "src").glob("*.js")}
    shipped = {p.name: p.read_bytes() for p in UI_VERIFY.glob("*.js")}

    assert built
    assert shipped == built, "run `make ui-verify` to ship the current build"
