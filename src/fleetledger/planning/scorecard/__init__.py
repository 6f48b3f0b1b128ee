"""``fleetledger scorecard``: seed 000's readiness scorecard, measured where the ledger knows.

Six dimensions scored 1..5 (:mod:`.dimensions`), measured from a
:class:`~fleetledger.planning.workload.Workload` by pure functions (:mod:`.score`), answered
or overridden by a person (:mod:`.answers`); the seed's recommendation and both seeds'
checklists answered from the ledger's own configuration (:mod:`.checklist`, :mod:`.card`);
rendered as Markdown, JSON or one HTML page with an SVG radar (:mod:`.markdown`,
:mod:`.html`, :mod:`.radar`).
"""

from fleetledger.planning.scorecard.answers import BadAnswer, check, read_answers
from fleetledger.planning.scorecard.card import Scorecard, as_json, recommend, scorecard
from fleetledger.planning.scorecard.dimensions import BY_KEY, DIMENSIONS, Dimension
from fleetledger.planning.scorecard.facts import Facts, read_facts
from fleetledger.planning.scorecard.html import html
from fleetledger.planning.scorecard.markdown import markdown
from fleetledger.planning.scorecard.score import Score, combine, measured_scores

__all__ = [
    "BY_KEY",
    "DIMENSIONS",
    "BadAnswer",
    "Dimension",
    "Facts",
    "Score",
    "Scorecard",
    "as_json",
    "check",
    "combine",
    "html",
    "markdown",
    "measured_scores",
    "read_answers",
    "read_facts",
    "recommend",
    "scorecard",
]
