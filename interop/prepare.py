"""Prepare the suite's parts in other languages, once, into git-ignored ``.cache/`` folders.

``make test`` runs this before pytest. Each part runs only when its inputs changed since it
last succeeded (a ``.done`` stamp holds a hash of them), is bounded in time, and says what it
is doing. A part whose toolchain is missing prints one line naming it and is left out; the
tests needing it then skip, or fail under ``CI=true`` (``tests/toolchains.py``).

Usage: ``python interop/prepare.py [PART ...]`` (default: every part).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
MAVEN_REPO = CACHE / "m2"  # Maven's downloads stay in the project's cache, not ~/.m2
NPM_CACHE = CACHE / "npm"  # and npm's, not ~/.npm
GO_MODULE = ROOT / "interop" / "go"
TS_VERIFIER = ROOT / "verifiers" / "ts"


class Unavailable(Exception):
    """What a part needs cannot be had on this machine (as a missing toolchain): the part is
    left out with one line, its tests skip (or fail under ``CI=true``), the other parts go on."""


@dataclass(frozen=True)
class Part:
    """One thing to prepare: the tools it needs, the files it depends on, how to build it."""

    name: str
    tools: tuple[str, ...]
    inputs: tuple[str, ...]
    build: Callable[[Path], None]
    timeout: float  # seconds for the whole part


def run(
    command: list[str], timeout: float, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> None:
    """Run a step; its output is shown only when it fails."""
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"prepare: `{' '.join(command)}` failed with {result.returncode}")


def kafka(out: Path) -> None:
    """Apache Kafka's broker, tools and Kafka Connect with their runtime jars (Maven Central)."""
    lib = out / "lib"
    shutil.rmtree(lib, ignore_errors=True)
    run(
        [
            "mvn",
            "-q",
            "-B",
            f"-Dmaven.repo.local={MAVEN_REPO}",
            "-f",
            "interop/kafka/pom.xml",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={lib}",
            "-DincludeScope=runtime",
        ],
        timeout=600,
    )


def connect(out: Path) -> None:
    """The single message transform of ``interop/connect`` (its unit tests run first), as a
    Kafka Connect plugin: ``plugins/fleetledger-connect/`` holds its jar, so a worker's
    ``plugin.path`` names ``plugins``."""
    run(
        [
            "mvn",
            "-q",
            "-B",
            f"-Dmaven.repo.local={MAVEN_REPO}",
            "-f",
            "interop/connect/pom.xml",
            "package",
        ],
        timeout=300,
    )
    plugin = out / "plugins" / "fleetledger-connect"
    shutil.rmtree(plugin, ignore_errors=True)
    plugin.mkdir(parents=True)
    shutil.copy2(ROOT / "interop" / "connect" / "target" / "fleetledger-connect.jar", plugin)


def node(out: Path) -> None:
    """The CloudEvents SDK for JavaScript and kafkajs, as ``package-lock.json`` pins them.

    Node resolves packages beside the scripts, so they go to ``interop/node/node_modules``
    (git-ignored); ``out`` holds only the stamp. No package's install script runs: none of
    them needs one.
    """
    run(
        [
            "npm",
            "ci",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--no-update-notifier",
            f"--cache={NPM_CACHE}",
        ],
        timeout=300,
        cwd=ROOT / "interop" / "node",
    )


def ts(out: Path) -> None:
    """The TypeScript verifier (verifiers/ts): TypeScript as ``package-lock.json`` pins it,
    then ``tsc`` into the package's own git-ignored ``dist/``; ``out`` holds only the stamp."""
    npm = ["--no-audit", "--no-fund", "--no-update-notifier", f"--cache={NPM_CACHE}"]
    run(["npm", "ci", "--ignore-scripts", *npm], timeout=300, cwd=TS_VERIFIER)
    shutil.rmtree(TS_VERIFIER / "dist", ignore_errors=True)
    run(["npm", "run", "build", "--silent", *npm], timeout=300, cwd=TS_VERIFIER)


def go_env() -> dict[str, str]:
    """The environment of every ``go`` command of the suite: this build and ``go test``.

    Modules and build results stay in ``.cache/``; go.mod and go.sum are only read, so the
    build uses exactly the pinned, checksummed modules; the local toolchain is used, never one
    downloaded; and no machine path or VCS state goes into the binary.
    """
    return {
        **os.environ,
        "GOMODCACHE": str(CACHE / "go-mod"),
        "GOCACHE": str(CACHE / "go-build"),
        "GOFLAGS": "-mod=readonly -modcacherw -trimpath -buildvcs=false",
        "GOTOOLCHAIN": "local",
    }


def go(out: Path) -> None:
    """The Go verifier of fleetledger's proofs, notes and bundles (interop/go)."""
    run(["go", "build", "-o", str(out / "verifier"), "."], 300, cwd=GO_MODULE, env=go_env())


def promtool(out: Path) -> None:
    """Prometheus's ``promtool`` from Debian's ``prometheus`` package: downloaded and unpacked
    (``dpkg-deb -x``) into ``out``, not installed, so no root is needed (interop/promtool)."""
    work = out / "unpacked"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    fetched = subprocess.run(
        ["apt-get", "download", "prometheus"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if fetched.returncode != 0:
        raise Unavailable(
            "apt-get download prometheus failed (no package lists? run `apt-get update` once): "
            + (fetched.stderr.strip().splitlines() or ["no message"])[-1]
        )
    (package,) = work.glob("prometheus_*.deb")
    run(["dpkg-deb", "-x", str(package), str(work / "root")], 120)
    shutil.copy2(work / "root" / "usr" / "bin" / "promtool", out / "promtool")
    shutil.rmtree(work)


PARTS: dict[str, Part] = {
    "kafka": Part("kafka", ("java", "mvn"), ("interop/kafka/pom.xml",), kafka, 600),
    "connect": Part("connect", ("java", "mvn"), ("interop/connect",), connect, 300),
    "node": Part(
        "node",
        ("node", "npm"),
        ("interop/node/package.json", "interop/node/package-lock.json"),
        node,
        300,
    ),
    "go": Part("go", ("go",), ("interop/go",), go, 300),
    "ts": Part("ts", ("node", "npm"), ("verifiers/ts",), ts, 300),
    "promtool": Part("promtool", ("apt-get", "dpkg-deb"), ("interop/promtool",), promtool, 300),
}


def fingerprint(part: Part) -> str:
    """A hash of the part's input files (folders: every file under them, by path)."""
    digest = hashlib.sha256(part.name.encode())
    for name in part.inputs:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if any(s in file.parts for s in ("node_modules", "target", "dist")):
                continue
            digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def prepare(part: Part) -> None:
    """Build the part into ``.cache/<name>`` unless it is there for these inputs already."""
    out = CACHE / part.name
    stamp = out / ".done"
    wanted = fingerprint(part)
    if stamp.exists() and stamp.read_text() == wanted:
        return
    absent = [tool for tool in part.tools if shutil.which(tool) is None]
    if absent:
        print(f"prepare: {part.name} left out: {', '.join(absent)} not found (its tests skip)")
        return
    print(f"prepare: {part.name} (at most {part.timeout:.0f} s) ...", flush=True)
    started = time.monotonic()
    stamp.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    try:
        part.build(out)
    except Unavailable as exc:
        print(f"prepare: {part.name} left out: {exc} (its tests skip)")
        return
    stamp.write_text(wanted)
    print(f"prepare: {part.name} ready in {time.monotonic() - started:.0f} s", flush=True)


def main(names: list[str]) -> None:
    unknown = [n for n in names if n not in PARTS]
    if unknown:
        raise SystemExit(f"prepare: no part named {', '.join(unknown)} (parts: {', '.join(PARTS)})")
    for name in names or list(PARTS):
        prepare(PARTS[name])


if __name__ == "__main__":
    main(sys.argv[1:])
