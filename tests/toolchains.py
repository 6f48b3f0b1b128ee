"""Parts of the suite that need another language's toolchain (Java, Maven, Go, Node).

``make test`` prepares them first (``interop/prepare.py``: Kafka jars, the Connect transform,
npm and Go dependencies, into git-ignored caches). A test that needs one calls
:func:`require`: on a machine without the tool it is skipped with one line naming what is
missing; under ``CI=true`` nothing may skip, so the test fails instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
"""Where ``interop/prepare.py`` puts what it fetches and builds (ignored by git)."""


def in_ci() -> bool:
    """Whether this run is CI's, where every part must run."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str) -> None:
    """Skip (on a user's machine) or fail (under ``CI=true``) because ``what`` is missing."""
    if in_ci():
        pytest.fail(f"CI=true and {what} is missing: nothing may skip in CI", pytrace=False)
    pytest.skip(f"{what} is missing")


def require(*commands: str) -> None:
    """Every command must be on PATH, else skip or fail (see :func:`missing`)."""
    absent = [c for c in commands if shutil.which(c) is None]
    if absent:
        missing(" and ".join(f"`{c}`" for c in absent) + " (not on PATH)")


def prepared(part: str) -> Path:
    """The cache folder of a part ``interop/prepare.py`` made, or skip/fail naming the step."""
    folder = CACHE / part
    if not (folder / ".done").exists():
        missing(f"{folder.relative_to(ROOT)} (run `make test`, or `make interop`, to prepare it)")
    return folder
