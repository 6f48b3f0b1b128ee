"""Where the model's inputs come from: a measured workload, a TOML file and flags, in rising
precedence (a flag beats the file, the file beats the ledger, the ledger beats a default).

Each figure keeps its origin (``ledger``, ``file``, ``flag`` or ``default``) so the report can
say which figures were measured and which were assumed. The inputs file::

    fan_out = 3            # consumer groups reading every byte
    compression = 4.0      # uncompressed / compressed
    months = 12
    growth = 0.05          # per month, compounding

    [deployment]           # any field of Deployment
    zones = 3
    replication_factor = 3
    producer_zones = 3     # zones hosting producers (default: all)
    consumer_zones = 2
    rack_aware_fetch = true

    [[family]]
    name = "task"
    events_per_second = 200
    burst = 3
    mean_size = 900
    p99_size = 4000
    retention_days = "forever"   # or a number of days
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from fleetledger.errors import ConfigurationError
from fleetledger.planning.cost.inputs import FOREVER_DAYS, Demand, Deployment, FamilyDemand
from fleetledger.planning.workload import Workload
from fleetledger.topics import FOREVER

DEFAULT_EVENT_SIZE = 1024.0
"""Bytes per event when neither a ledger nor the user says (an assumption, reported as one)."""

MS_PER_DAY = 86_400_000
_DEMAND_KEYS = {"fan_out", "compression", "months", "growth", "deployment", "family"}
_FAMILY_KEYS = {f.name for f in fields(FamilyDemand)}
_DEPLOYMENT_KEYS = {f.name for f in fields(Deployment)} - {"origins"}


@dataclass(frozen=True)
class Flags:
    """What the command line gave (``None``: not given)."""

    events_per_second: float | None = None
    event_size: float | None = None
    fan_out: float | None = None
    retention_days: float | None = None
    zones: int | None = None
    replication_factor: int | None = None
    producer_zones: int | None = None
    consumer_zones: int | None = None
    rack_aware_fetch: bool | None = None
    tiered_storage: bool | None = None
    compression: float | None = None
    months: int | None = None
    growth: float | None = None
    scale: float = 1.0


def parse_retention(text: str) -> float:
    """``forever`` or a positive number of days."""
    if text.strip().lower() == "forever":
        return FOREVER_DAYS
    try:
        days = float(text)
    except ValueError:
        raise ConfigurationError(
            f"retention must be a number of days or 'forever', not {text!r}"
        ) from None
    if not days > 0 or math.isinf(days):
        raise ConfigurationError(f"retention must be a positive number of days, not {text!r}")
    return days


def read_inputs(path: Path) -> dict[str, Any]:
    """The inputs file at ``path`` as a table (checked for unknown keys)."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read the inputs file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"inputs file {path} is not valid TOML: {exc}") from exc
    _known(data, _DEMAND_KEYS, f"inputs file {path}")
    _known(data.get("deployment", {}), _DEPLOYMENT_KEYS, f"inputs file {path} [deployment]")
    for entry in data.get("family", []):
        _known(entry, _FAMILY_KEYS, f"inputs file {path} [[family]]")
    return data


def build(
    workload: Workload | None, file: Mapping[str, Any] | None, flags: Flags
) -> tuple[Demand, Deployment]:
    """The demand and deployment from every source, each figure from the strongest one."""
    origins: dict[str, str] = {}
    families = _measured(workload, flags.scale, origins) if workload else {}
    file = file or {}
    _from_file(families, file.get("family", []), origins)
    families = _flagged(families, flags, origins)
    if not families:
        raise ConfigurationError(
            "no workload to plan for: the ledger holds no events; give --events-per-second"
            " (and --event-size), --inputs FILE, or --scale for a bigger fleet"
        )
    demand_values: dict[str, Any] = {}
    fan_out = _groups(workload, origins)
    for key, field_name in (
        ("fan_out", "fan_out"),
        ("compression", "compression"),
        ("months", "months"),
        ("growth", "monthly_growth"),
    ):
        flag = getattr(flags, key)
        _pick(demand_values, origins, key=key, field_name=field_name, file=file, flag=flag)
    demand_values.setdefault("fan_out", fan_out)
    demand = Demand(tuple(families.values()), origins=origins, **demand_values)
    return demand, _deployment(file.get("deployment", {}), flags, origins)


def _measured(workload: Workload, scale: float, origins: dict[str, str]) -> dict[str, FamilyDemand]:
    found: dict[str, FamilyDemand] = {}
    for load in workload.families:
        if load.events == 0:
            continue
        retention = load.policy.retention_ms
        found[load.family] = FamilyDemand(
            name=load.family,
            events_per_second=load.rates.mean * scale,
            mean_size=load.mean_size,
            retention_days=FOREVER_DAYS if retention == FOREVER else retention / MS_PER_DAY,
            burst=max(1.0, load.rates.burst),
            p99_size=float(load.p99_size),
            stored_bytes=load.bytes * scale,
            compacted=load.policy.cleanup == "compact",
        )
    if found:
        scaled = f" x {scale:g} (--scale)" if scale != 1 else ""
        for key in ("events/s", "burst", "event size", "retention", "stored bytes"):
            origins[key] = "ledger" + (scaled if key in ("events/s", "stored bytes") else "")
    return found


def _from_file(
    families: dict[str, FamilyDemand], entries: list[dict[str, Any]], origins: dict[str, str]
) -> None:
    for entry in entries:
        values = dict(entry)
        if "retention_days" in values:
            values["retention_days"] = parse_retention(str(values["retention_days"]))
        name = values.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigurationError("every [[family]] of the inputs file needs a name")
        known = families.get(name)
        try:
            families[name] = replace(known, **values) if known else FamilyDemand(**values)
        except TypeError as exc:
            raise ConfigurationError(
                f"[[family]] {name!r} of the inputs file: {exc} (events_per_second and"
                " mean_size are numbers, and both are needed for a new family)"
            ) from None
        for key in ("events/s", "event size", "retention", "burst"):
            origins[key] = "file"


def _flagged(
    families: dict[str, FamilyDemand], flags: Flags, origins: dict[str, str]
) -> dict[str, FamilyDemand]:
    if not families and flags.events_per_second is not None:
        size = flags.event_size or DEFAULT_EVENT_SIZE
        families = {"all": FamilyDemand("all", flags.events_per_second, size)}
        origins.update({"burst": "default", "retention": "default (forever)"})
        origins["event size"] = "flag" if flags.event_size else "default (1 KiB)"
    total = sum(f.events_per_second for f in families.values())
    changes: dict[str, dict[str, Any]] = {name: {} for name in families}
    if flags.events_per_second is not None:
        for name, f in families.items():
            share = f.events_per_second / total if total else 1 / len(families)
            changes[name]["events_per_second"] = flags.events_per_second * share
        origins["events/s"] = "flag"
    for key, value, label in (
        ("mean_size", flags.event_size, "event size"),
        ("retention_days", flags.retention_days, "retention"),
    ):
        if value is not None:
            for change in changes.values():
                change[key] = value
            origins[label] = "flag"
    return {name: replace(f, **changes[name]) for name, f in families.items()}


def _groups(workload: Workload | None, origins: dict[str, str]) -> float:
    if workload is not None and workload.groups:
        origins["fan-out"] = "ledger (consumer groups)"
        return float(len(workload.groups))
    origins["fan-out"] = "default (1 reader)"
    return 1.0


def _pick(
    into: dict[str, Any],
    origins: dict[str, str],
    *,
    key: str,
    field_name: str,
    file: Mapping[str, Any],
    flag: object,
) -> None:
    label = key.replace("_", "-")
    if flag is not None:
        into[field_name], origins[label] = flag, "flag"
    elif key in file:
        into[field_name], origins[label] = file[key], "file"
    else:
        origins.setdefault(label, "default")


def _deployment(table: Mapping[str, Any], flags: Flags, origins: dict[str, str]) -> Deployment:
    values = dict(table)
    for name in (
        "zones",
        "replication_factor",
        "producer_zones",
        "consumer_zones",
        "rack_aware_fetch",
        "tiered_storage",
    ):
        flag = getattr(flags, name)
        if flag is not None:
            values[name] = flag
    where = {name: "flag" if getattr(flags, name, None) is not None else "file" for name in values}
    for name in _DEPLOYMENT_KEYS:
        origins[name.replace("_", " ")] = where.get(name, "default")
    try:
        return Deployment(**values, origins=origins)
    except TypeError as exc:
        raise ConfigurationError(f"[deployment] of the inputs file: {exc}") from None


def _known(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigurationError(f"{where}: unknown key {unknown[0]!r}; known: {sorted(allowed)}")
