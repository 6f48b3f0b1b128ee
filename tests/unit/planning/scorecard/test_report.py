"""The recommendation's rule and the renderers: Markdown, JSON and HTML with its radar."""

from __future__ import annotations

import math
import re

from fleetledger.planning.scorecard import as_json, html, markdown, scorecard
from fleetledger.planning.scorecard.card import recommend
from fleetledger.planning.scorecard.dimensions import DIMENSIONS
from fleetledger.planning.scorecard.radar import CENTER_X, CENTER_Y, RADIUS, radar_svg
from fleetledger.planning.scorecard.score import Score, unscored
from fleetledger.planning.scorecard.seeds import FIRST_CLASS, SIDE_CHANNEL


def scores(*values: int | None) -> tuple[Score, ...]:
    """Answered scores in the seed's order (None: not scored)."""
    return tuple(
        unscored(d, "no") if v is None else Score(d, v, "answered", f"answered {v}", "")
        for d, v in zip(DIMENSIONS, values, strict=True)
    )


def test_most_scores_four_or_five_recommend_a_first_class_event_system() -> None:
    """Four of six at 4+ is most: the seed's first-class verdict, with what it means."""
    rec = recommend(scores(4, 5, 4, 4, 1, 2))

    assert (rec.first_class, rec.high, rec.scored) == (True, 4, 6)
    assert rec.headline == FIRST_CLASS
    assert rec.means[0][0] == "separate topics for intent and fact"


def test_half_is_not_most() -> None:
    """Three of six at 4+ is not most: the side-channel sentence."""
    rec = recommend(scores(4, 5, 4, 1, 1, 2))

    assert (rec.first_class, rec.headline) == (False, SIDE_CHANNEL)


def test_the_recommendation_rests_on_the_scored_dimensions_and_says_how_many() -> None:
    """Two of three scored at 4+ is most of those scored; the others are named."""
    rec = recommend(scores(4, 5, 1, None, None, None))

    assert rec.first_class
    assert rec.basis == (
        "2 of 3 scored dimensions score 4 or 5; not scored: Retention pressure, "
        "Governance pressure, Migration tolerance"
    )


def test_the_radar_polygon_has_six_points_where_the_scores_say() -> None:
    """Score v on axis i sits at v/5 of the radius, clockwise from the top."""
    values = [5, 4, 3, 2, 1, 5]
    svg = radar_svg([(d.name, v) for d, v in zip(DIMENSIONS, values, strict=True)])

    found = re.search(r'<polygon class="scores" points="([^"]+)"', svg)
    assert found is not None
    points = [tuple(map(float, p.split(","))) for p in found.group(1).split()]
    assert len(points) == 6
    for i, ((x, y), v) in enumerate(zip(points, values, strict=True)):
        angle = 2 * math.pi * i / 6
        assert math.isclose(x, CENTER_X + RADIUS * v / 5 * math.sin(angle), abs_tol=0.06)
        assert math.isclose(y, CENTER_Y - RADIUS * v / 5 * math.cos(angle), abs_tol=0.06)


def test_an_unscored_dimension_sits_at_the_centre_and_says_so() -> None:
    """Its point is the centre; its label reads not scored."""
    svg = radar_svg([("Replay depth", None), ("B", 5), ("C", 5)])

    found = re.search(r'<polygon class="scores" points="(\S+) ', svg)
    assert found is not None
    assert found.group(1) == f"{CENTER_X:.1f},{CENTER_Y:.1f}"
    assert "not scored" in svg


def test_the_html_page_is_self_contained_and_escapes_ledger_text() -> None:
    """No script, no external file; a name from the ledger cannot inject markup."""
    card = scorecard(scores(1, 2, 3, 4, 5, None), None, ledger="sqlite:///<b>x</b>.db")

    page = html(card)

    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert 'src="http' not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert page.count("<svg") == 1


def test_markdown_shows_each_score_its_origin_and_each_checklist() -> None:
    """One table row per dimension, then the verdict and the three checklist sections."""
    text = markdown(scorecard(scores(4, None, 3, 4, 5, 5), None))

    assert "| Coordination criticality | **4** / 5 | answered |" in text
    assert "| Replay depth | not scored | unscored |" in text
    assert "## Evaluation checklist (seed 000)" in text
    assert "## Readiness sequence (seed 001)" in text


def test_json_gives_every_score_and_every_checklist_item() -> None:
    """Six scores, and 7 + 6 + 6 checklist items, each with its status."""
    data = as_json(scorecard(scores(4, 4, 4, 4, 4, 4), None))

    assert [s["score"] for s in data["scores"]] == [4] * 6
    assert [len(c["items"]) for c in data["checklists"]] == [7, 6, 6]
    assert data["recommendation"]["first_class"] is True
