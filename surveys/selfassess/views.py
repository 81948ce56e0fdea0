"""Self-assessment pages: staff list, launch and close rounds (Cap.MANAGE_WAVES: a round
belongs to a wave, like shops and invitations); managers see "My self-assessments" and start
one (Cap.FILL_SELF_ASSESSMENT), then answer it in the form engine (surveys:respond)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.accounts.scope import location_scope
from cxaudit.errors import DomainError, apply_domain_error

from ..responses.models import Response, Source
from . import services
from .forms import LaunchRoundForm
from .models import SelfAssessmentRound


@require_GET
@org_view(Cap.MANAGE_WAVES)
def round_list(request):
    rounds = list(
        SelfAssessmentRound.objects.for_org(request.org)
        .select_related("survey", "wave", "launched_by")
        .order_by("-wave__starts_on", "-launched_at", "-pk")
    )
    counts = {
        (row["survey__code"], row["wave_id"]): row
        for row in Response.objects.for_org(request.org)
        .filter(source=Source.SELF, wave_id__in={r.wave_id for r in rounds})
        .values("survey__code", "wave_id")
        .order_by()
        .annotate(
            submitted=Count("pk", filter=Q(status=Response.Status.SUBMITTED)),
            drafts=Count("pk", filter=Q(status=Response.Status.DRAFT)),
        )
    }
    rows = [(r, counts.get((r.survey.code, r.wave_id), {})) for r in rounds]
    return render(request, "surveys/selfassess/rounds.html", {"org": request.org, "rows": rows})


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_WAVES)
@submit_once
def round_launch(request):
    form = LaunchRoundForm(request.POST or None, organization=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.launch_round(
                survey=form.cleaned_data["survey"],
                wave=form.cleaned_data["wave"],
                actor=request.user,
                closes_on=form.cleaned_data["closes_on"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, "The self-assessment round is open; the members asked are told by email."
            )
            return redirect("surveys:selfassess_rounds", org_slug=request.org.slug)
    return render(request, "surveys/selfassess/launch.html", {"org": request.org, "form": form})


@require_POST
@org_view(Cap.MANAGE_WAVES)
def round_close(request, pk: int):
    round = get_for_org(SelfAssessmentRound, request.org, pk=pk)
    services.close_round(round=round, actor=request.user)
    messages.success(request, "The round is closed.")
    return redirect("surveys:selfassess_rounds", org_slug=request.org.slug)


@require_GET
@org_view(Cap.FILL_SELF_ASSESSMENT)
def my_list(request):
    membership = request.org_ctx.membership
    items = services.my_self_assessments(membership=membership)
    return render(
        request,
        "surveys/selfassess/mine.html",
        {"org": request.org, "items": items, "waiting": sum(1 for i in items if i.waiting)},
    )


@require_POST
@org_view(Cap.FILL_SELF_ASSESSMENT)
def start(request, pk: int):
    round = get_for_org(
        SelfAssessmentRound.objects.select_related("survey", "wave"), request.org, pk=pk
    )
    location = None
    if request.POST.get("location"):
        location = location_scope(request).location(pk=request.POST["location"])
    try:
        response = services.start_self_assessment(round=round, user=request.user, location=location)
    except DomainError as exc:
        if exc.field == "location":
            raise Http404(exc.message) from exc
        messages.error(request, exc.message)
        return redirect("surveys:selfassess_mine", org_slug=request.org.slug)
    name = "receipt" if response.status == Response.Status.SUBMITTED else "respond"
    return redirect(f"surveys:{name}", org_slug=request.org.slug, client_id=response.client_id)
