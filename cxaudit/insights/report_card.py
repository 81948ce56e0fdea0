"""The figures of a location's report card for a wave, built once for the page, its print view
and its PDF (cxaudit/reportpdfs), so that the three never disagree.

A fixed number of queries whatever the data size: the shop sums in one, the gap engine in six,
sections, standards, KPIs, shops and evidence in one or two each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cxaudit.accounts.models import Location, Organization
from cxaudit.journeys.models import Wave
from shoppers.models import Assignment
from surveys.models import Evidence, Source

from . import scorecards
from .charts import Point, dot_chart
from .gaps import analyse_gaps
from .heatmap import shade
from .kpis.services import kpi_figures

SHOPS_LISTED = 50
EVIDENCE_SHOWN = 12


def report_card_context(
    *, organization: Organization, location: Location, wave: Wave, waves: Sequence[Wave]
) -> dict[str, Any]:
    """Everything the report card template shows for `location` in `wave` (`waves`: every
    wave of the organisation, to find the previous one)."""
    previous = scorecards.previous_wave(wave, waves)
    sums = scorecards.shop_sums(
        organization=organization, waves=[wave] + ([previous] if previous else [])
    )
    # Rank and organisation average are over every location of the organisation: they name no
    # other location, and a manager needs them to compare.
    everywhere = list(Location.objects.for_org(organization))
    table = scorecards.league(locations=everywhere, wave=wave, previous=previous, sums=sums)
    mine = next(r for r in table if r.location.pk == location.pk)
    org_score = scorecards.organisation_sums(sums, wave).estimate()
    sections = scorecards.section_scores(organization=organization, wave=wave, location=location)
    analysis = analyse_gaps(organization=organization, wave=wave, location=location)
    return {
        "wave": wave,
        "previous": previous,
        "row": mine,
        "ranked": sum(1 for r in table if r.rank is not None),
        "org_score": org_score,
        "sections": sections,
        "standards": scorecards.standards_met(
            organization=organization, wave=wave, location=location
        ),
        "top_gaps": top_gaps(analysis.rows("standard")),
        "kpis": kpi_figures(organization=organization, wave=wave, location=location),
        "shops": approved_shops(organization, wave=wave, location=location),
        "evidence": counted_evidence(organization, wave=wave, location=location),
        "score_chart": score_chart(location, mine.score, org_score),
        "section_chart": section_chart(location, sections) if sections else None,
    }


def score_chart(location: Location, score, org_score):
    """The location's mean shop score beside the organisation's, with their intervals."""
    return dot_chart(
        [
            Point(location.code, score.mean, score.ci, css="location"),
            Point("Organisation", org_score.mean, org_score.ci, css="organisation"),
        ],
        title=f"Mean shop score, {location.name} and the organisation (0-100 %)",
    )


def section_chart(location: Location, sections):
    """Each section's mean score at the location, with its interval (0-100 %)."""
    return dot_chart(
        [Point(s.title[:18], s.location.mean, s.location.ci, css="location") for s in sections],
        title=f"Section scores at {location.name} (0-100 %)",
    )


def approved_shops(org, *, wave, location) -> list[Assignment]:
    """The latest approved shops of the location in the wave, each linking its report card."""
    shops = Assignment.objects.for_org(org).filter(
        status=Assignment.Status.APPROVED, wave=wave, location=location
    )
    return list(
        shops.select_related("scenario", "response").order_by("-decided_at", "-pk")[:SHOPS_LISTED]
    )


def counted_evidence(org, *, wave, location) -> list[Evidence]:
    """Photos behind the counted (approved) shops of the location in the wave, newest first."""
    return list(
        Evidence.objects.filter(
            organization=org,
            response__location=location,
            response__wave=wave,
            response__counted=True,
            response__source=Source.SHOPPER,
            content_type__startswith="image/",
        )
        .select_related("question")
        .order_by("-created_at", "-pk")[:EVIDENCE_SHOWN]
    )


def top_gaps(rows, limit: int = 5) -> list[dict]:
    """Standards with a significant gap, by |gap| x importance x 2 at a moment that matters."""
    found = []
    for r in rows:
        s = shade(r)
        if s.gap is not None:
            found.append({"row": r, "shade": s, "priority": r.priority(s.gap)})
    found.sort(key=lambda item: -item["priority"])
    return found[:limit]
