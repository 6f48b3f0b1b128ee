"""The scorecard itself: six scores, the seed's recommendation, and the checklists answered.

:func:`recommend` applies seed 000's rule ("If most scores are 4 or 5, ...") to the scored
dimensions only, and says on how many it rests; :func:`scorecard` puts the parts together and
:func:`as_json` gives the one document every renderer could be fed from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fleetledger.planning.scorecard.checklist import CHECKLIST, CHECKLIST_B, STEPS, Check, Item
from fleetledger.planning.scorecard.facts import Facts
from fleetledger.planning.scorecard.score import Score
from fleetledger.planning.scorecard.seeds import (
    FIRST_CLASS,
    FIRST_CLASS_MEANS,
    SIDE_CHANNEL,
    STORAGE_MODEL,
)

HIGH = 4
"""A score of 4 or 5 counts toward "most scores are 4 or 5"."""

IN_THIS_LEDGER = (
    "families per event class, each type an intent or a fact (fleetledger types)",
    "a partition key per family (fleetledger topics)",
    "versioned types: a new version must read the previous one (fleetledger types register)",
    "lag metrics and alert rules (fleetledger metrics --alerts)",
    "replay per task, groups reset and seek (fleetledger replay, fleetledger groups)",
)
"""What in fleetledger does each thing of :data:`FIRST_CLASS_MEANS`, in the same order."""


@dataclass(frozen=True)
class Recommendation:
    """The seed's verdict on the scored dimensions."""

    first_class: bool
    scored: int
    high: int
    headline: str
    means: tuple[tuple[str, str], ...]
    """What first-class means, each with what in fleetledger does it (empty otherwise)."""
    basis: str

    @property
    def decided(self) -> bool:
        """Whether any dimension was scored to decide on."""
        return self.scored > 0


def recommend(scores: tuple[Score, ...]) -> Recommendation:
    """Seed 000's rule on the scored dimensions: first-class when more than half score 4+."""
    values = [s.value for s in scores if s.value is not None]
    high = sum(1 for value in values if value >= HIGH)
    unscored = [s.dimension.name for s in scores if s.value is None]
    basis = f"{high} of {len(values)} scored dimensions score {HIGH} or 5"
    if unscored:
        basis += f"; not scored: {', '.join(unscored)}"
    if not values:
        return Recommendation(False, 0, 0, "No dimension scored: nothing to recommend.", (), basis)
    if 2 * high > len(values):
        means = tuple(zip(FIRST_CLASS_MEANS, IN_THIS_LEDGER, strict=True))
        return Recommendation(True, len(values), high, FIRST_CLASS, means, basis)
    return Recommendation(False, len(values), high, SIDE_CHANNEL, (), basis)


@dataclass(frozen=True)
class Section:
    """One checklist answered: its title and each question with its verdict."""

    title: str
    rows: tuple[tuple[Item, Check], ...]


@dataclass(frozen=True)
class Scorecard:
    """Everything a report shows."""

    scores: tuple[Score, ...]
    recommendation: Recommendation
    sections: tuple[Section, ...]
    ledger: str | None
    """What was measured (a URL without secrets), None when nothing was."""
    measured_at: datetime | None = None
    storage_model: str = STORAGE_MODEL


SECTIONS = (
    ("Evaluation checklist (seed 000)", CHECKLIST),
    ("Evaluation checklist (seed 001)", CHECKLIST_B),
    ("Readiness sequence (seed 001)", STEPS),
)


def scorecard(
    scores: tuple[Score, ...],
    facts: Facts | None,
    ledger: str | None = None,
    measured_at: datetime | None = None,
) -> Scorecard:
    """The scorecard of ``scores``, its checklists answered from ``facts``."""
    sections = tuple(
        Section(title, tuple((item, item.answer(facts)) for item in items))
        for title, items in SECTIONS
    )
    return Scorecard(scores, recommend(scores), sections, ledger, measured_at)


def as_json(card: Scorecard) -> dict[str, Any]:
    """The scorecard as one JSON object (see the command's ``--json`` help for the shape)."""
    rec = card.recommendation
    return {
        "ledger": card.ledger,
        "measured_at": card.measured_at.isoformat() if card.measured_at else None,
        "scores": [
            {
                "dimension": s.dimension.key,
                "name": s.dimension.name,
                "score": s.value,
                "source": s.source,
                "measured": s.measured if s.source == "answered" else s.value,
                "figure": s.figure,
                "rule": s.rule,
                "one": s.dimension.one,
                "five": s.dimension.five,
            }
            for s in card.scores
        ],
        "recommendation": {
            "first_class": rec.first_class,
            "scored": rec.scored,
            "high": rec.high,
            "text": rec.headline,
            "means": [{"seed": m, "fleetledger": f} for m, f in rec.means],
            "basis": rec.basis,
        },
        "checklists": [
            {
                "title": section.title,
                "items": [
                    {
                        "area": item.seed.area,
                        "question": item.seed.question,
                        "why": item.seed.why,
                        "feature": item.feature,
                        "commands": list(item.commands),
                        "status": check.status,
                        "detail": check.detail,
                    }
                    for item, check in section.rows
                ],
            }
            for section in card.sections
        ],
    }
