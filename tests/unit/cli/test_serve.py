"""``fleetledger serve`` without the [server] extra asks for it by name, and the rest of the
command line never imports FastAPI."""

import subprocess
import sys

SERVE_WITHOUT_FASTAPI = """
import sys
sys.modules["fastapi"] = None  # as if the server extra were not installed
from fleetledger.cli.app import main
sys.argv = ["fleetledger", "serve", "--ledger", "memory://"]
main()
"""


def test_serve_without_the_extra_gives_the_install_line() -> None:
    """Exit non-zero with MissingExtra's message: the exact pip command."""
    out = subprocess.run(
        [sys.executable, "-c", SERVE_WITHOUT_FASTAPI],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert out.returncode != 0
    assert "pip install 'fleetledger[server]'" in out.stderr


def test_the_command_line_does_not_import_fastapi() -> None:
    """Loading the app (every command registered) leaves the extra unimported."""
    code = "import sys, fleetledger.cli.app; print('fastapi' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
