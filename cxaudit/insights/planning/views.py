"""The wave planner page: for each standard, the shop visits and customer responses the next
wave needs for a chosen margin of error, and the invitations that means."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cxaudit.accounts.permissions import Cap, org_view
from cxaudit.accounts.scope import location_scope
from cxaudit.journeys.models import Wave
from surveys.outreach.models import Campaign
from surveys.outreach.progress import campaign_progress

from ..gaps import analyse_gaps
from ..waves import choose_wave
from . import formulas
from .forms import PlannerForm

DEFAULT_RESPONSE_RATE = 30.0  # %, when no earlier campaign tells


@dataclass(frozen=True)
class StandardPlan:
    code: str
    name: str
    visits: formulas.Need
    responses: formulas.Need
    visited: bool  # shoppers measured it in the base wave
    answered: bool  # customers did


def _default_wave(org, only_locations) -> Wave | None:
    """The base wave: the insights pages' default wave (cxaudit/insights/waves.py)."""
    waves = list(Wave.objects.for_org(org))
    return choose_wave(org, waves=waves, asked=None, only_locations=only_locations).wave


@dataclass(frozen=True)
class KnownRate:
    rate: float  # %
    campaign: Campaign


def last_response_rate(org, *, location_ids=None) -> KnownRate | None:
    """The response rate (%) of the organisation's last finished campaign: closed, or sent and
    past its expiry, that delivered at least one invitation (to the member's locations, for a
    member limited to some). Completed personal invitations per invitation delivered, as the
    campaign page shows it (surveys/outreach/progress.py). None when no campaign tells."""
    finished = Q(status=Campaign.Status.CLOSED) | Q(
        status=Campaign.Status.SENT, expires_at__lte=timezone.now()
    )
    candidates = (
        Campaign.objects.for_org(org)
        .filter(finished)
        .annotate(finished_at=Coalesce("closed_at", "expires_at"))
        .order_by("-finished_at", "-pk")
    )
    for campaign in candidates[:5]:  # the latest one that delivered something
        rate = campaign_progress(campaign, location_ids=location_ids).response_rate
        if rate is not None:
            return KnownRate(rate, campaign)
    return None


def plan(analysis, *, margin: float, confidence: float, response_rate: float, floor: int) -> dict:
    z = formulas.z_of(confidence)
    rows = []
    for r in analysis.rows("standard"):
        observed, perceived = r.perspectives["observed"], r.perspectives["perceived"]
        visits = formulas.Need.of(
            formulas.n_for_share(observed.agree, margin, z=z),
            floor,
            f"{observed.agree:.0%} complying in {observed.n_agree} visits"
            if observed.agree is not None
            else "no visit yet: assumes 50 %",
        )
        responses = formulas.Need.of(
            formulas.n_for_mean(perceived.sd_100, margin, z=z),
            floor,
            f"spread {perceived.sd_100:.1f} points over {perceived.n} answers"
            if perceived.sd_100 is not None
            else "no answers yet: assumes the widest spread",
        )
        rows.append(
            StandardPlan(
                r.standard.code,
                r.standard.name,
                visits,
                responses,
                visited=observed.n_agree > 0,
                answered=perceived.n > 0,
            )
        )
    nps = analysis.metrics().overall.nps
    nps_need = formulas.Need.of(
        formulas.n_for_nps(
            nps.promoter_share if nps else None, nps.detractor_share if nps else None, margin, z=z
        ),
        floor,
        f"{nps.promoter_share:.0%} promoters, {nps.detractor_share:.0%} detractors of {nps.n}"
        if nps and nps.promoter_share is not None
        else "no NPS answers yet: assumes the largest variance",
    )
    # The headline counts the standards each perspective measured in the base wave (a web
    # standard no shopper visits must not set the number of shop visits); without any, all.
    visited = [p for p in rows if p.visited] or rows
    answered = [p for p in rows if p.answered] or rows
    most_visits = max((p.visits.planned for p in visited), default=0)
    most_responses = max([nps_need.planned, *(p.responses.planned for p in answered)])
    return {
        "rows": rows,
        "nps": nps_need,
        "most_visits": most_visits,
        "most_responses": most_responses,
        "invitations": formulas.invitations_for(most_responses, response_rate / 100),
        "z": z,
    }


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def wave_planner(request):
    org = request.org
    scope = location_scope(request)
    locations = scope.locations()
    known = last_response_rate(org, location_ids=scope.location_ids)
    rate = known.rate if known else None
    initial = {
        "wave": _default_wave(org, list(locations) if scope.limited else None),
        "margin": 5,
        "confidence": "0.95",
        "response_rate": rate if rate is not None else DEFAULT_RESPONSE_RATE,
    }
    data = None
    if request.GET:
        data = {**{k: v for k, v in initial.items() if k != "wave"}, **request.GET.dict()}
        data.setdefault("wave", initial["wave"].pk if initial["wave"] else "")
    form = PlannerForm(data, initial=initial, org=org, locations=locations)
    context = {
        "org": org,
        "form": form,
        "rate_known": known,
        "floor": settings.CXAUDIT_SMALL_SAMPLE_N,
    }
    values = None
    if form.is_bound and form.is_valid():
        values = form.cleaned_data
    elif not form.is_bound and initial["wave"] is not None:
        values = {**initial, "location": None, "confidence": 0.95}
    if values is not None:
        analysis = analyse_gaps(
            organization=org,
            wave=values["wave"],
            location=values["location"],
            only_locations=scope.only_locations,
        )
        context.update(
            values=values,
            result=plan(
                analysis,
                margin=values["margin"],
                confidence=values["confidence"],
                response_rate=values["response_rate"],
                floor=settings.CXAUDIT_SMALL_SAMPLE_N,
            ),
        )
    return render(request, "insights/planner.html", context)
