"""A Parquet export: files partitioned by family and day, and a manifest beside them.

Layout of ``DIR``::

    fleetledger-export.json                      the manifest: progress and the files it counts
    events/family=<family>/day=<YYYY-MM-DD>/part-<commit>-<n>.parquet
    events/family=<family>/day=none/…            hash-only rows (no recorded time to show)
    heads/part-<commit>.parquet                  signed heads, checkpoints and handovers
    dead_letters/part-<commit>.parquet
    state_latest/part-<commit>.parquet           the state family, latest per task (rewritten)

A commit writes its files (each fsynced), then replaces the manifest atomically (write, fsync,
rename, fsync the directory). Only files the manifest names are part of the export: files of a
commit cut short are not, and the next run deletes them. So the manifest is the export's
progress and its table of contents at once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fleetledger.errors import ConfigurationError, ContractError, NotFound
from fleetledger.lake._deps import need
from fleetledger.lake.progress import Batch, Progress
from fleetledger.lake.tables import (
    STATE_FAMILY,
    dead_letters_schema,
    dead_letters_table,
    heads_schema,
    heads_table,
    latest_per_task,
)

MANIFEST = "fleetledger-export.json"
FORMAT = "fleetledger-lake/1"
_TABLE_DIRS = ("events", "heads", "dead_letters", "state_latest")


class ParquetSink:
    """Writes an export of ledger ``namespace`` into ``directory`` (see the module)."""

    def __init__(self, directory: str | os.PathLike[str], namespace: str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        found = read_manifest(self.directory) if _exists(self.directory) else None
        if found is not None and found["namespace"] != namespace:
            raise ConfigurationError(
                f"{self.directory} holds an export of ledger {found['namespace']!r},"
                f" not {namespace!r}: export into another directory"
            )
        self._manifest: dict[str, Any] = found or _empty(namespace)
        self._drop_orphans()

    def progress(self) -> Progress:
        """See :meth:`Sink.progress`."""
        return Progress.from_json(self._manifest["progress"])

    def commit(self, batch: Batch) -> None:
        """See :meth:`Sink.commit`."""
        manifest = json.loads(json.dumps(self._manifest))
        number = manifest["commit"] + 1
        files = manifest["files"]
        for family, tables in sorted(batch.families.items()):
            written = self._write_events(family, tables, number)
            files["events"].setdefault(family, []).extend(written)
        old_state = files["state_latest"]
        if batch.families.get(STATE_FAMILY):
            files["state_latest"] = self._write_state(batch.families[STATE_FAMILY], number)
        if batch.notes:
            heads = self.heads_count()
            table = heads_table(batch.notes, manifest["progress"]["notes"], heads + 1)
            files["heads"].append(self._write(table, f"heads/part-{number:06d}.parquet"))
        if batch.dead_letters:
            table = dead_letters_table(batch.dead_letters, manifest["progress"]["dead_letters"])
            files["dead_letters"].append(
                self._write(table, f"dead_letters/part-{number:06d}.parquet")
            )
        manifest["commit"] = number
        manifest["progress"] = batch.progress.to_json()
        _replace(self.directory / MANIFEST, json.dumps(manifest, indent=1).encode())
        self._manifest = manifest
        if old_state and old_state != files["state_latest"]:
            (self.directory / old_state).unlink(missing_ok=True)

    def heads_count(self) -> int:
        """How many ledger heads the export holds."""
        pc = need("pyarrow.compute")
        table = read_tables(self.directory, self._manifest["files"]["heads"], heads_schema())
        return int(pc.sum(pc.equal(table["kind"], "head")).as_py() or 0)

    def _write_events(self, family: str, tables: list[Any], number: int) -> list[str]:
        pa = need("pyarrow")
        pc = need("pyarrow.compute")
        table = pa.concat_tables(tables, promote_options="permissive")
        written = []
        for at, day in enumerate(pc.unique(table["day"]).to_pylist()):
            chosen = pc.is_null(table["day"]) if day is None else pc.equal(table["day"], day)
            name = "none" if day is None else day.isoformat()
            path = f"events/family={family}/day={name}/part-{number:06d}-{at}.parquet"
            written.append(self._write(table.filter(chosen), path))
        return written

    def _write_state(self, tables: list[Any], number: int) -> str | None:
        pa = need("pyarrow")
        previous = self._manifest["files"]["state_latest"]
        before = [read_tables(self.directory, [previous], None)] if previous else []
        latest = latest_per_task([*before, pa.concat_tables(tables, promote_options="permissive")])
        if latest is None:
            return previous  # type: ignore[no-any-return]
        return self._write(latest, f"state_latest/part-{number:06d}.parquet")

    def _write(self, table: Any, relative: str) -> str:
        pq = need("pyarrow.parquet")
        path = self.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            pq.write_table(table, handle, compression="zstd")
            handle.flush()
            os.fsync(handle.fileno())
        return relative

    def _drop_orphans(self) -> None:
        """Delete the files of a commit that never reached the manifest."""
        files = self._manifest["files"]
        kept = {p for paths in files["events"].values() for p in paths}
        kept |= set(files["heads"]) | set(files["dead_letters"])
        kept |= {files["state_latest"]} if files["state_latest"] else set()
        for table in _TABLE_DIRS:
            for path in (self.directory / table).rglob("part-*.parquet"):
                if path.relative_to(self.directory).as_posix() not in kept:
                    path.unlink()


def _empty(namespace: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "namespace": namespace,
        "commit": 0,
        "progress": Progress().to_json(),
        "files": {"events": {}, "heads": [], "dead_letters": [], "state_latest": None},
    }


def _exists(directory: Path) -> bool:
    return (directory / MANIFEST).is_file()


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of the export in ``directory``; :class:`NotFound` if there is none."""
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise NotFound(f"no Parquet export in {directory}: {MANIFEST} is missing") from None
    except (OSError, ValueError) as exc:
        raise ContractError(f"{path} is not an export manifest: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ContractError(f"{path} is not a {FORMAT} manifest")
    return manifest


def read_tables(directory: Path, paths: list[str], schema: Any | None) -> Any:
    """The rows of ``paths`` (relative to ``directory``) as one table; schemas that grew a
    column (a type's new version) are unified, older rows reading it as null."""
    pa = need("pyarrow")
    pq = need("pyarrow.parquet")
    tables = [pq.read_table(directory / path) for path in paths]
    if not tables:
        return schema.empty_table() if schema is not None else None
    return pa.concat_tables(tables, promote_options="permissive")


def _replace(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically and durably."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class ParquetLake:
    """A Parquet export read back, by the manifest's list of files."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.manifest = read_manifest(self.directory)
        self.namespace: str = self.manifest["namespace"]

    def families(self) -> dict[str, Any]:
        """Every family's rows."""
        events = self.manifest["files"]["events"]
        return {f: read_tables(self.directory, paths, None) for f, paths in sorted(events.items())}

    def files(self) -> dict[str, list[Path]]:
        """The files of each table (families by name, and heads, dead_letters, state_latest)."""
        files = self.manifest["files"]
        found = {f: [self.directory / p for p in ps] for f, ps in files["events"].items()}
        found["heads"] = [self.directory / p for p in files["heads"]]
        found["dead_letters"] = [self.directory / p for p in files["dead_letters"]]
        latest = files["state_latest"]
        found["state_latest"] = [self.directory / latest] if latest else []
        return found

    def heads(self) -> Any:
        """The signed notes, in signing order."""
        return read_tables(self.directory, self.manifest["files"]["heads"], heads_schema())

    def dead_letters(self) -> Any:
        """The dead-letter records, in order."""
        paths = self.manifest["files"]["dead_letters"]
        return read_tables(self.directory, paths, dead_letters_schema())

    def progress(self) -> Progress:
        """The export's progress."""
        return Progress.from_json(self.manifest["progress"])
