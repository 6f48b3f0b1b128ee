"""Scores measured from a :class:`~fleetledger.planning.workload.Workload`: pure functions.

Each function reads one dimension off the workload and returns a :class:`Score` carrying the
figure it came from and the rule that turned the figure into 1..5, so a reader can check the
arithmetic, and a test can pin it with a hand-built workload. A dimension the workload cannot
speak for (no events, too few windows, no consumer group) is not scored, and says why.

The thresholds are ours (the seed gives only the meaning of 1 and 5); they are named constants
so the report, the README and the tests quote the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from fleetledger.planning.scorecard.dimensions import (
    CRITICALITY,
    DIMENSIONS,
    GOVERNANCE_PRESSURE,
    REPLAY_DEPTH,
    RETENTION_PRESSURE,
    TRAFFIC_VARIANCE,
    Dimension,
)
from fleetledger.planning.workload import Workload
from fleetledger.topics import FOREVER, Cleanup
from fleetledger.types import Classification

Source = Literal["measured", "answered", "unscored"]

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0

MIN_WINDOWS = 10
"""Fewer rate windows than this say nothing about bursts: traffic variance is not scored."""
PEAK_TO_MEDIAN_CUTS = (1.5, 3.0, 6.0, 12.0)
"""Busiest window over the median window: below 1.5 scores 1, 1.5 to 3 scores 2, ... 12+ 5."""
CV_CUTS = (0.25, 0.5, 1.0, 2.0)
"""Coefficient of variation of the window counts: below 0.25 scores 1, ... 2 or more 5."""
REPLAY_AGE_CUTS = (MINUTE, HOUR, DAY, 7 * DAY)
"""Age of the oldest event a group was sent back to or still has to read: under a minute 1,
under an hour 2, under a day 3, under a week 4, a week or more 5."""
REWIND_CUTS = (1, 2, 4, 10)
"""Recorded moves back (groups reset/seek): none 1, one 2, two or three 3, 4 to 9 4, 10+ 5."""
LONG_RETENTION_MS = 30 * 86_400_000
"""A family keeps long history when it deletes nothing younger than 30 days (or never)."""
LONG_SHARE_CUTS = (0.10, 0.25, 0.50, 0.75)
"""Share of stored bytes in long-history families: under 10% 1, ... 75% or more 5."""
SENSITIVE_SHARE_CUTS = (0.05, 0.15, 0.35)
"""Share of events classified confidential or restricted: under 5% 1, ... 35% or more 4;
one more (at most 5) when the ledger shows regulation at work (below)."""
INTENT_SHARE_CUTS = (0.005, 0.02, 0.10)
"""Share of intent events (``*.requested``): under 0.5% 1, under 2% 2, under 10% 3, else 4;
one more (at most 5) when approvals gate actions."""


@dataclass(frozen=True)
class Score:
    """One dimension's score (None: not scored), where it came from and why."""

    dimension: Dimension
    value: int | None
    source: Source
    figure: str
    """The measured figure (or what the answer was), in words a reader can check."""
    rule: str
    """How the figure became the value."""
    measured: int | None = None
    """The measured value an answer overrode (None when nothing was measured)."""

    @property
    def scored(self) -> bool:
        """Whether the dimension has a value."""
        return self.value is not None


def band(value: float, cuts: Sequence[float]) -> int:
    """1 plus the number of cuts at or below ``value``: the 1-based band ``value`` falls in."""
    return 1 + sum(1 for cut in cuts if value >= cut)


def half_up(total: int, count: int) -> int:
    """The mean of ``count`` integer scores summing to ``total``, rounded half up."""
    return (2 * total + count) // (2 * count)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless one: ``1 erasure``, ``3 families``."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def unscored(dimension: Dimension, why: str) -> Score:
    """A dimension nothing scored, saying why."""
    return Score(dimension, None, "unscored", why, "")


def traffic_variance(workload: Workload) -> Score:
    """Burstiness of the whole ledger's appends: the higher of two bands, peak-to-median and
    the coefficient of variation (a single spike shows in the first, restlessness in the
    second)."""
    rates = workload.rates
    if rates.windows < MIN_WINDOWS:
        why = f"only {rates.windows} rate windows (fewer than {MIN_WINDOWS}): too few to judge"
        return unscored(TRAFFIC_VARIANCE, why)
    by_peak = band(rates.peak_to_median, PEAK_TO_MEDIAN_CUTS)
    by_cv = band(rates.cv, CV_CUTS)
    figure = (
        f"peak {rates.peak_to_median:.1f}x the median rate, CV {rates.cv:.2f}, over "
        f"{rates.windows} windows of {rates.window_seconds:g} s"
    )
    rule = f"peak/median → {by_peak}, CV → {by_cv}; the higher"
    return Score(TRAFFIC_VARIANCE, max(by_peak, by_cv), "measured", figure, rule)


def replay_depth(workload: Workload) -> Score:
    """How deep and how often consumers go back: the mean (half up) of a depth band (the age
    of the oldest event a group was sent back to, or still has to read) and a frequency band
    (recorded rewinds)."""
    if not workload.groups:
        return unscored(REPLAY_DEPTH, "no consumer group has committed offsets")
    ages = [g.deepest_rewind_seconds for g in workload.groups]
    ages += [g.behind_seconds for g in workload.groups]
    age = max((a for a in ages if a is not None), default=0.0)
    rewinds = sum(g.rewinds for g in workload.groups)
    by_age, by_count = band(age, REPLAY_AGE_CUTS), band(rewinds, REWIND_CUTS)
    figure = (
        f"{count(rewinds, 'rewind')} over {count(len(workload.groups), 'group')}; oldest"
        f" event replayed or unread is {duration(age)} old"
    )
    rule = f"age → {by_age}, rewinds → {by_count}; their mean, half up"
    return Score(REPLAY_DEPTH, half_up(by_age + by_count, 2), "measured", figure, rule)


def keeps_long(workload: Workload, family: str) -> bool:
    """Whether ``family`` keeps history: append-only, and deletes nothing under 30 days."""
    load = workload.family(family)
    if load is None:
        return False
    policy = load.policy
    if policy.cleanup != Cleanup.DELETE:
        return False
    return policy.retention_ms == FOREVER or policy.retention_ms >= LONG_RETENTION_MS


def retention_pressure(workload: Workload) -> Score:
    """The share of stored bytes the policies keep as long history (30 days or more,
    append-only), banded."""
    total = workload.bytes
    if total == 0:
        return unscored(RETENTION_PRESSURE, "no stored events")
    long = [f for f in workload.families if f.bytes and keeps_long(workload, f.family)]
    kept = sum(f.bytes for f in long)
    share = kept / total
    names = ", ".join(f.family for f in long) or "none"
    figure = f"{share:.0%} of {size(total)} kept 30 days or more ({names})"
    rule = "share of bytes → " + bands_text(LONG_SHARE_CUTS, percent=True)
    return Score(RETENTION_PRESSURE, band(share, LONG_SHARE_CUTS), "measured", figure, rule)


SENSITIVE = (Classification.CONFIDENTIAL.value, Classification.RESTRICTED.value)


def regulation_signs(workload: Workload) -> list[str]:
    """What in the ledger shows regulation at work: restricted data, erasures, recorded
    access or ordering policies, policy denials."""
    signs = (
        (workload.classifications.get(Classification.RESTRICTED.value, 0), "restricted event"),
        (workload.erasures, "erasure"),
        (workload.policy_changes, "recorded policy"),
        (workload.denials, "policy denial"),
    )
    return [
        count(n, noun, noun[:-1] + "ies" if noun.endswith("y") else None) for n, noun in signs if n
    ]


def governance_pressure(workload: Workload) -> Score:
    """The share of confidential and restricted events, banded 1..4, one more when the
    ledger shows regulation at work (:func:`regulation_signs`)."""
    total = sum(workload.classifications.values())
    if total == 0:
        return unscored(GOVERNANCE_PRESSURE, "no stored events")
    sensitive = sum(workload.classifications.get(name, 0) for name in SENSITIVE)
    share = sensitive / total
    signs = regulation_signs(workload)
    value = min(5, band(share, SENSITIVE_SHARE_CUTS) + (1 if signs else 0))
    figure = f"{share:.0%} of {total:,} events confidential or restricted"
    figure += "; " + ", ".join(signs) if signs else "; no erasure, recorded policy or denial"
    rule = "share → " + bands_text(SENSITIVE_SHARE_CUTS, percent=True) + "; +1 with signs"
    return Score(GOVERNANCE_PRESSURE, value, "measured", figure, rule)


def criticality(workload: Workload) -> Score:
    """The share of intents (the log carries what should happen, not only what did), banded
    1..4, one more when approvals gate actions."""
    total = workload.events
    if total == 0:
        return unscored(CRITICALITY, "no stored events")
    intents = workload.kinds.get("intent", 0)
    share = intents / total
    value = min(5, band(share, INTENT_SHARE_CUTS) + (1 if workload.approvals else 0))
    approvals = count(workload.approvals, "approval")
    figure = f"{share:.1%} intents ({intents:,} of {total:,} events), {approvals}"
    rule = "share → " + bands_text(INTENT_SHARE_CUTS, percent=True) + "; +1 with approvals"
    return Score(CRITICALITY, value, "measured", figure, rule)


MEASURES: tuple[Callable[[Workload], Score], ...] = (
    criticality,
    replay_depth,
    traffic_variance,
    retention_pressure,
    governance_pressure,
)


def measured_scores(workload: Workload | None) -> dict[str, Score]:
    """Every dimension's score as the workload says (all unscored without a workload)."""
    found = {d.key: unscored(d, "no ledger measured") for d in DIMENSIONS}
    if workload is not None:
        found.update({s.dimension.key: s for s in (measure(workload) for measure in MEASURES)})
    found["migration_tolerance"] = unscored(DIMENSIONS[-1], "cannot be measured from a ledger")
    return found


def combine(measured: dict[str, Score], answers: dict[str, int]) -> tuple[Score, ...]:
    """The scorecard's scores in the seed's order: an answer wins over a measurement, which it
    keeps beside it (``measured``) so the report can show both."""
    scores = []
    for dimension in DIMENSIONS:
        score = measured[dimension.key]
        if dimension.key in answers:
            figure = score.figure if score.scored else f"answered ({score.figure})"
            score = replace(
                score,
                value=answers[dimension.key],
                source="answered",
                measured=score.value,
                figure=figure,
            )
        scores.append(score)
    return tuple(scores)


def bands_text(cuts: Sequence[float], *, percent: bool = False) -> str:
    """The bands of ``cuts`` as text: ``<5% 1, <15% 2, <35% 3, else 4``."""
    shown = [f"{cut:.1%}".replace(".0%", "%") if percent else f"{cut:g}" for cut in cuts]
    parts = [f"<{cut} {n}" for n, cut in enumerate(shown, start=1)]
    return ", ".join([*parts, f"else {len(cuts) + 1}"])


def duration(seconds: float) -> str:
    """A span in the largest unit that keeps it readable: ``45 s``, ``12 min``, ``3.5 h``,
    ``9.2 d``."""
    if seconds < MINUTE:
        return f"{seconds:.0f} s"
    if seconds < HOUR:
        return f"{seconds / MINUTE:.0f} min"
    if seconds < DAY:
        return f"{seconds / HOUR:.1f} h"
    return f"{seconds / DAY:.1f} d"


def size(count: int) -> str:
    """Bytes in binary units: ``512 B``, ``3.4 KiB``, ``12.0 MiB``."""
    if count < 1024:
        return f"{count} B"
    value, unit = count / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"
