"""The review queue and the review of one shop (reviewers): integrity flags explained, answers,
evidence and score side by side, the brief, the visit, the audit trail; correct an answer,
return, approve or reject. Each decision posts the status the page showed; when another
reviewer decided first, the page says so (a message) and nothing changes."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.errors import DomainError, ValidationFailed, apply_domain_error
from surveys.models import Response
from surveys.question_types import QuestionType

from ..models import REVIEWABLE_STATUSES, Assignment, ShopperProgramme
from ..reports.sheet import build_sheet
from . import services
from .forms import ApproveForm, EditAnswerForm, RejectForm, ReturnForm

PAGE_SIZE = 25


def review_shop(request, pk: int) -> Assignment:
    shops = Assignment.objects.select_related(
        "scenario__touchpoint", "location", "wave", "shopper", "response__survey", "reviewer"
    )
    return get_for_org(shops, request.org, pk=pk)


@require_GET
@org_view(Cap.REVIEW_SHOPS)
def review_queue(request):
    """Submitted and resubmitted shops, oldest first, with their integrity: a fixed number of
    queries whatever the page."""
    shops = (
        Assignment.objects.for_org(request.org)
        .to_review()
        .select_related("scenario", "location", "wave", "shopper")
    )
    page = Paginator(shops, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "shoppers/review/queue.html",
        {"org": request.org, "page": page, "total": page.paginator.count},
    )


def _sent(shop: Assignment) -> bool:
    return shop.response is not None and shop.response.status == Response.Status.SUBMITTED


def render_review(request, shop: Assignment, *, status: int = 200, **forms):
    programme = ShopperProgramme.of(request.org)
    reviewable = shop.status in REVIEWABLE_STATUSES and _sent(shop)
    sheet = build_sheet(shop) if _sent(shop) else None
    default_expense = services.default_expense(shop) if reviewable else None
    context = {
        "org": request.org,
        "shop": shop,
        "programme": programme,
        "sheet": sheet,
        "reviewable": reviewable,
        "flags": shop.integrity_flags or [],
        "events": list(shop.events.select_related("actor").order_by("at", "pk")),
        "has_receipt": services.has_receipt(shop) if sheet else False,
        "default_expense": default_expense,
        "return_form": forms.get("return_form") or ReturnForm(shop=shop),
        "reject_form": forms.get("reject_form") or RejectForm(shop=shop),
        "approve_form": forms.get("approve_form")
        or ApproveForm(shop=shop, currency=programme.currency, default_expense=default_expense),
        "edit_form": forms.get("edit_form"),
    }
    return render(request, "shoppers/review/review.html", context, status=status)


@require_GET
@org_view(Cap.REVIEW_SHOPS)
def review(request, pk: int):
    return render_review(request, review_shop(request, pk))


def _back(request, shop: Assignment, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("shoppers:review", args=[request.org.slug, shop.pk])
    return HttpResponseRedirect(f"{url}{anchor}")


def _refused(request, shop: Assignment, exc: DomainError) -> HttpResponseRedirect:
    """A decision the shop's state refused (another reviewer decided first, no score...):
    said in a message above the page as it now is."""
    messages.warning(request, exc.message)
    return _back(request, shop)


def _to_queue(request, text: str) -> HttpResponseRedirect:
    messages.success(request, text)
    return redirect("shoppers:review_queue", org_slug=request.org.slug)


def _decide_with_words(request, pk: int, form_class, decide, done: str):
    """Return or reject: the comment is required (the form says so beside the field); the
    service is called with it and the status the page showed."""
    shop = review_shop(request, pk)
    form = form_class(request.POST, shop=shop)
    if not form.is_valid():
        return render_review(request, shop, **{form_class.context_name: form})
    try:
        decide(
            shop,
            request.user,
            form.cleaned_data["comment"],
            form.cleaned_data["seen_status"],
        )
    except DomainError as exc:
        return _refused(request, shop, exc)
    return _to_queue(request, done.format(pk=shop.pk, name=_name(shop)))


@require_POST
@org_view(Cap.REVIEW_SHOPS)
@submit_once
def review_return(request, pk: int):
    return _decide_with_words(
        request,
        pk,
        ReturnForm,
        lambda shop, actor, words, seen: services.return_shop(
            assignment=shop, actor=actor, comment=words, seen_status=seen
        ),
        "Shop #{pk} returned to {name} for edits.",
    )


@require_POST
@org_view(Cap.REVIEW_SHOPS)
@submit_once
def review_reject(request, pk: int):
    return _decide_with_words(
        request,
        pk,
        RejectForm,
        lambda shop, actor, words, seen: services.reject_shop(
            assignment=shop, actor=actor, reason=words, seen_status=seen
        ),
        "Shop #{pk} rejected; {name} is told why.",
    )


@require_POST
@org_view(Cap.REVIEW_SHOPS)
@submit_once
def review_approve(request, pk: int):
    shop = review_shop(request, pk)
    currency = ShopperProgramme.of(request.org).currency
    form = ApproveForm(request.POST, shop=shop, currency=currency)
    if not form.is_valid():
        return render_review(request, shop, approve_form=form)
    try:
        shop = services.approve_shop(
            assignment=shop,
            actor=request.user,
            expense_approved=form.cleaned_data.get("expense_approved"),
            note=form.cleaned_data.get("comment") or "",
            seen_status=form.cleaned_data["seen_status"],
        )
    except DomainError as exc:
        if exc.field and exc.field in form.fields:
            apply_domain_error(form, exc)
            return render_review(request, shop, approve_form=form)
        return _refused(request, shop, exc)
    return _to_queue(
        request,
        f"Shop #{shop.pk} approved: it counts from now on; "
        f"{currency} {shop.payable_amount:.2f} payable to {_name(shop)}.",
    )


@require_POST
@org_view(Cap.REVIEW_SHOPS)
@submit_once
def review_edit(request, pk: int):
    shop = review_shop(request, pk)
    if not _sent(shop):
        return _refused(
            request, shop, DomainError("This shop's form is not under review; reload the page.")
        )
    questions = shop.response.survey.questions.exclude(type=QuestionType.FILE)
    codes = {
        q.code: [str(o.get("value")) for o in (q.config or {}).get("options", [])]
        for q in questions.only("code", "config")
    }
    form = EditAnswerForm(request.POST, codes=codes)
    if not form.is_valid():
        if "question" in form.errors:  # no answer on the page to show it beside
            return _refused(request, shop, DomainError(form.errors["question"][0]))
        return render_review(request, shop, edit_form=form)
    code = form.cleaned_data["question"]
    multi = questions.filter(code=code, type=QuestionType.MULTI_CHOICE).exists()
    try:
        services.edit_answer(
            assignment=shop,
            question_code=code,
            value=form.new_value(multi),
            reason=form.cleaned_data["reason"],
            actor=request.user,
            seen_status=form.cleaned_data["seen_status"],
        )
    except ValidationFailed as exc:
        form.add_error(None, " ".join(why for _, why in exc.errors) or exc.message)
        return render_review(request, shop, edit_form=form)
    except DomainError as exc:
        if exc.field in ("value", "question"):
            form.add_error(None, exc.message)
            return render_review(request, shop, edit_form=form)
        return _refused(request, shop, exc)
    shop.response.refresh_from_db(fields=["score_percent"])
    score = shop.response.score_percent
    messages.success(
        request,
        f"Answer to {code} corrected; the shop now scores "
        f"{'–' if score is None else f'{score:.0f}%'}.",
    )
    return _back(request, shop, f"#q-{code}")


def _name(shop: Assignment) -> str:
    return shop.shopper.get_full_name() or shop.shopper.email if shop.shopper else "the shopper"
