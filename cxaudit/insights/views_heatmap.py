"""Journey heatmap with drill-down, location league table and location report card.

Every page runs a fixed number of queries whatever the data size (asserted in the tests):
the journey structure in four, the gap engine in six, the shop scores in one or two.
Client managers limited to some locations see only those (others answer 404).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from cxaudit.accounts.models import Location
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.accounts.scope import location_scope
from cxaudit.journeys.models import Journey, Touchpoint, Wave
from surveys.models import Answer, Aspect, Evidence
from surveys.question_types import QuestionType

from . import scorecards
from .gaps import GAPS, analyse_gaps
from .gaps.queries import PERSPECTIVE_OF
from .heatmap import GAP_NAMES, LEGEND, shade
from .kpis.services import kpi_figures
from .report_card import report_card_context, top_gaps  # noqa: F401 (top_gaps: tests)
from .vocabulary import GAP_LABELS, perspective_label
from .waves import choose_wave

ANSWERS_PER_PAGE = 25
TEXT_TYPES = (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT)


class Scope:
    """The wave / location filters of a request, resolved within what the user may see."""

    def __init__(self, request, *, need_wave: bool = False):
        org = request.org
        self.org = org
        scope = location_scope(request)  # the member's locations (cxaudit.accounts.scope)
        self.visible = list(scope.locations().order_by("code"))
        self.limited = scope.limited
        self.waves = list(Wave.objects.for_org(org).order_by("starts_on", "name"))
        value = request.GET.get("wave")
        asked = None
        if value:
            asked = next((w for w in self.waves if str(w.pk) == value), None)
            if asked is None:
                raise Http404("Not found.")
        # No wave asked for: the default wave (waves.py). An empty `wave=` is every wave, on
        # the pages that can show every wave.
        self.wave_choice = choose_wave(
            org,
            waves=self.waves,
            asked=asked,
            all_waves=value == "" and not need_wave,
            only_locations=self.visible if self.limited else None,
        )
        self.wave = self.wave_choice.wave
        self.location = None
        if code := request.GET.get("location"):
            self.location = next((x for x in self.visible if x.code == code), None)
            if self.location is None:
                raise Http404("Not found.")

    @property
    def only_locations(self) -> list[Location] | None:
        return self.visible if self.limited else None

    def query(self, **extra) -> str:
        params = {
            # Every wave is asked for with an empty value, so it is kept in the links.
            "wave": self.wave.pk if self.wave else ("" if self.wave_choice.chosen else None),
            "location": self.location and self.location.code,
        }
        params.update(extra)
        clean = {k: v for k, v in params.items() if v is not None and (v != "" or k == "wave")}
        return f"?{urlencode(clean)}" if clean else ""

    def analysis(self, **kw):
        return analyse_gaps(
            organization=self.org,
            wave=self.wave,
            location=self.location,
            only_locations=self.only_locations,
            **kw,
        )


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def heatmap(request):
    """The journey map, each touchpoint coloured by its largest significant gap."""
    scope = Scope(request)
    journeys = list(Journey.objects.for_org(request.org).active().order_by("name", "pk"))
    journey = journeys[0] if journeys else None
    if value := request.GET.get("journey"):
        journey = next((j for j in journeys if str(j.pk) == value), None)
        if journey is None:
            raise Http404("Not found.")
    stages, annotations, standard_annotations, table = [], {}, {}, []
    if journey is not None:
        journey = Journey.objects.with_structure().get(pk=journey.pk)
        stages = list(journey.stages.all())
        analysis = scope.analysis()
        by_tp = {r.key["touchpoint"]: r for r in analysis.rows("touchpoint")}
        by_std = {r.standard.id: r for r in analysis.rows("standard")}
        query = scope.query(journey=journey.pk)
        little = scope.wave_choice.little_data
        for stage in stages:
            for tp in stage.touchpoints.all():
                s = shade(by_tp.get(tp.pk), little_data=little)
                url = reverse("insights:heatmap_touchpoint", args=[request.org.slug, tp.pk])
                annotations[tp.pk] = {
                    "css": s.css,
                    "label": s.label,
                    "title": f"{s.title}; the answers to all its standards pooled",
                    "url": url + query,
                }
                table.append({"stage": stage, "touchpoint": tp, "shade": s, "url": url + query})
                for std in tp.standards.all():
                    ss = shade(by_std.get(std.pk), little_data=little)
                    standard_annotations[std.pk] = {"css": ss.css, "label": ss.label}
    return render(
        request,
        "insights/heatmap.html",
        {
            "org": request.org,
            "scope": scope,
            "journeys": journeys,
            "journey": journey,
            "stages": stages,
            "annotations": annotations,
            "standard_annotations": standard_annotations,
            "table": table,
            "legend": LEGEND,
        },
    )


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def heatmap_touchpoint(request, pk):
    """Drill-down: a touchpoint's standards with perspectives and gaps, and the answers,
    verbatims and evidence behind them (paginated)."""
    scope = Scope(request)
    touchpoint = get_for_org(
        Touchpoint.objects.select_related("stage__journey"), request.org, pk=pk
    )
    analysis = scope.analysis(stage=touchpoint.stage)
    rows = [r for r in analysis.rows("standard") if r.standard.touchpoint_id == touchpoint.pk]
    tp_row = next(
        (r for r in analysis.rows("touchpoint") if r.key["touchpoint"] == touchpoint.pk), None
    )
    answers = (
        Answer.objects.for_org(request.org)
        .counted()
        .filter(standard__touchpoint=touchpoint)
        .select_related("question", "standard", "location", "wave", "response")
        .order_by("-submitted_at", "pk")
    )
    if scope.wave is not None:
        answers = answers.filter(wave=scope.wave)
    if scope.location is not None:
        answers = answers.filter(location=scope.location)
    elif scope.limited:
        answers = answers.filter(location__in=[x.pk for x in scope.visible])
    page = Paginator(answers, ANSWERS_PER_PAGE).get_page(request.GET.get("page"))
    response_ids = {a.response_id for a in page.object_list}
    verbatims: dict[int, list[Answer]] = {}
    evidence: dict[int, list[Evidence]] = {}
    if response_ids:
        texts = (
            Answer.objects.for_org(request.org)
            .counted()
            .filter(response_id__in=response_ids, question__type__in=TEXT_TYPES, is_na=False)
            .select_related("question")
            .order_by("response_id", "question__position", "pk")
        )
        for a in texts:
            if a.value not in (None, ""):
                verbatims.setdefault(a.response_id, []).append(a)
        for e in Evidence.objects.for_org(request.org).filter(response_id__in=response_ids):
            evidence.setdefault(e.response_id, []).append(e)
    items = [
        {
            "answer": a,
            "value": display_value(a),
            # What the answer measures, in the vocabulary's words ("Observed", "Expected").
            "perspective": perspective_label(
                PERSPECTIVE_OF.get((a.source, a.aspect or Aspect.PERCEPTION), "")
            ),
            "verbatims": verbatims.get(a.response_id, []),
            "evidence": evidence.get(a.response_id, []),
        }
        for a in page.object_list
    ]
    gap_rows = [
        {
            "row": r,
            "shade": shade(r, little_data=scope.wave_choice.little_data),
            "gaps": [(GAP_LABELS[g], r.gaps[g], g) for g in GAPS],
        }
        for r in rows
    ]
    return render(
        request,
        "insights/heatmap_touchpoint.html",
        {
            "org": request.org,
            "scope": scope,
            "touchpoint": touchpoint,
            "shade": shade(tp_row, little_data=scope.wave_choice.little_data),
            "gap_rows": gap_rows,
            "perspectives": ("self", "observed", "perceived", "expected"),
            "page": page,
            "items": items,
            "back": reverse("insights:heatmap", args=[request.org.slug])
            + scope.query(journey=touchpoint.stage.journey_id),
            "page_query": scope.query(),
            "kpis": kpi_figures(
                organization=request.org,
                wave=scope.wave,
                location=scope.location,
                only_locations=scope.only_locations,
                standard_ids=[r.standard.id for r in rows],
            ),
        },
    )


def display_value(answer: Answer) -> str:
    """An answer as text: Yes / No, lists joined, N/A; the template escapes it."""
    value = answer.value
    if answer.is_na:
        return "N/A"
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def league(request):
    """Locations ranked by mean mystery-shop score for a wave, with CI and change; optionally
    ranked by a chosen gap too."""
    scope = Scope(request, need_wave=True)
    rows, previous, gap_rows = [], None, []
    gap = request.GET.get("gap") or ""
    if gap and gap not in GAPS:
        raise Http404("Unknown gap.")
    if scope.wave is not None:
        previous = scorecards.previous_wave(scope.wave, scope.waves)
        waves = [scope.wave] + ([previous] if previous else [])
        sums = scorecards.shop_sums(organization=request.org, waves=waves)
        rows = scorecards.league(
            locations=scope.visible, wave=scope.wave, previous=previous, sums=sums
        )
        if gap:
            analysis = analyse_gaps(
                organization=request.org, wave=scope.wave, only_locations=scope.only_locations
            )
            names = {x.code: x for x in scope.visible}
            gap_rows = [
                {"location": names.get(r.key["location"]), "gap": r.gaps[gap], "row": r}
                for r in analysis.league(gap)
                if r.key["location"] in names
            ]
    best = max((r.score.mean for r in rows if r.score.mean is not None), default=None)
    return render(
        request,
        "insights/league.html",
        {
            "org": request.org,
            "scope": scope,
            "rows": rows,
            "bars": _bars(rows),
            "best": best,
            "previous": previous,
            "gap": gap,
            "gap_name": GAP_NAMES.get(gap, ""),
            "gap_names": GAP_NAMES.items(),
            "gap_rows": gap_rows,
        },
    )


BAR_HEIGHT = 22


def _bars(rows: list[scorecards.LeagueRow]) -> dict:
    """Geometry of the server-rendered SVG bar chart (0-100 %), attributes only (CSP)."""
    bars = []
    for i, r in enumerate(r for r in rows if r.score.mean is not None):
        mean = max(0.0, min(100.0, r.score.mean))
        ci = r.score.ci
        bars.append(
            {
                "row": r,
                "y": i * BAR_HEIGHT + 4,
                "text_y": i * BAR_HEIGHT + 17,
                "width": round(mean * 3, 1),
                "ci_low": round(max(0.0, ci[0]) * 3, 1) if ci else None,
                "ci_high": round(min(100.0, ci[1]) * 3, 1) if ci else None,
                "ci_y": i * BAR_HEIGHT + 12,
            }
        )
    return {"items": bars, "height": len(bars) * BAR_HEIGHT + 24}


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def report_card(request, code):
    """One location's report card for a wave (the latest unless ?wave=)."""
    scope = Scope(request, need_wave=True)
    location = next((x for x in scope.visible if x.code == code), None)
    if location is None:
        raise Http404("Not found.")
    context = {"org": request.org, "scope": scope, "location": location}
    if scope.wave is not None:
        context.update(
            report_card_context(
                organization=request.org, location=location, wave=scope.wave, waves=scope.waves
            )
        )
    return render(request, "insights/report_card.html", context)
