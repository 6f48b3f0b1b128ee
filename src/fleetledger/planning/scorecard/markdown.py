"""The scorecard as Markdown: a document to paste into a design review."""

from __future__ import annotations

from fleetledger.planning.scorecard.card import Scorecard, Section
from fleetledger.planning.scorecard.dimensions import HIGHEST
from fleetledger.planning.scorecard.score import Score

MARKS = {"yes": "✅ yes", "partly": "🟡 partly", "no": "❌ no", "unknown": "❔ unknown"}


def cell(text: str) -> str:
    """``text`` safe in a table cell: pipes escaped, lines joined."""
    return " ".join(text.replace("|", "\\|").split())


def shown(score: Score) -> str:
    """The score as ``4 / 5``, or ``not scored``."""
    return "not scored" if score.value is None else f"**{score.value}** / {HIGHEST}"


def origin(score: Score) -> str:
    """Where the score came from, with the measured value an answer overrode."""
    if score.source == "answered":
        return "answered" + (f" (measured {score.measured})" if score.measured is not None else "")
    return score.source


def _scores(card: Scorecard) -> list[str]:
    lines = ["| Dimension | Score | From | Figure | Rule | 1 means | 5 means |", "|---" * 7 + "|"]
    for s in card.scores:
        row = [s.dimension.name, shown(s), origin(s), s.figure, s.rule or "-"]
        row += [s.dimension.one, s.dimension.five]
        lines.append("| " + " | ".join(cell(part) for part in row) + " |")
    return lines


def _recommendation(card: Scorecard) -> list[str]:
    rec = card.recommendation
    lines = ["## Recommendation", "", f"> {rec.headline}", ""]
    if rec.first_class:
        lines += [f"- {seed} — in fleetledger: {ours}" for seed, ours in rec.means]
        lines += ["", f"> {card.storage_model}", ""]
    return [*lines, f"Based on {rec.basis}.", ""]


def _section(section: Section) -> list[str]:
    lines = [f"## {section.title}", ""]
    lines += ["| Area | Question | In fleetledger | Here | Evidence |", "|---" * 5 + "|"]
    for item, check in section.rows:
        feature = f"{item.feature} ({', '.join(f'`{c}`' for c in item.commands)})"
        row = [f"**{item.seed.area}**", item.seed.question, feature]
        lines.append("| " + " | ".join(cell(p) for p in row) + f" | {MARKS[check.status]} | ")
        lines[-1] += cell(check.detail) + " |"
    return [*lines, ""]


def markdown(card: Scorecard) -> str:
    """The whole scorecard as a Markdown document."""
    where = f"Ledger `{card.ledger}`" if card.ledger else "No ledger measured"
    if card.measured_at:
        where += f", measured {card.measured_at:%Y-%m-%d %H:%M:%S %Z}"
    lines = ["# Readiness scorecard", "", where + ".", "", *_scores(card), ""]
    lines += _recommendation(card)
    for section in card.sections:
        lines += _section(section)
    return "\n".join(lines)
