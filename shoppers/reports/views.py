"""A shop's report card and its print view. Who sees which shop:

* programme staff (reviewers, admins: REVIEW_SHOPS or MANAGE_ASSIGNMENTS): every sent shop of
  the organisation, approved or not (the page says when it does not count);
* client managers: approved shops at the locations they may see (cxaudit.accounts.scope);
* a shopper: their own sent shops, never another shopper's.

Anything else is "not found" (404), whether the shop exists or not.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.accounts.scope import location_scope
from surveys.models import Response

from ..models import Assignment, ShopperProgramme
from .sheet import build_sheet, wave_averages

S = Assignment.Status


def visible_shops(request):
    """The sent shops of the organisation the requester may see (the rule above; the API's
    shop list reads it too)."""
    ctx = request.org_ctx
    shops = (
        Assignment.objects.for_org(request.org)
        .select_related("scenario__touchpoint", "location", "wave", "shopper", "response__survey")
        .filter(response__status=Response.Status.SUBMITTED)
    )
    if ctx.can(Cap.REVIEW_SHOPS) or ctx.can(Cap.MANAGE_ASSIGNMENTS):
        return shops
    if ctx.can(Cap.VIEW_INSIGHTS):
        return location_scope(request).filter(shops.filter(status=S.APPROVED))
    if ctx.can(Cap.SHOP):
        return shops.filter(shopper=request.user)
    return shops.none()


def visible_shop(request, pk: int) -> Assignment:
    """The shop `pk` if the requester may see its report card (404 otherwise)."""
    return get_for_org(visible_shops(request), request.org, pk=pk)


def card_context(request, shop: Assignment) -> dict:
    """What the report card, its print view and its PDF (cxaudit/reportpdfs) show of `shop`
    to the requester."""
    ctx = request.org_ctx
    staff = ctx.can(Cap.STAFF_AREA)
    return {
        "org": request.org,
        "shop": shop,
        "sheet": build_sheet(shop),
        "averages": wave_averages(shop),
        "programme": ShopperProgramme.of(request.org),
        "base": "base_staff.html" if staff else "base_shopper.html",
        "can_review": ctx.can(Cap.REVIEW_SHOPS),
        "own": shop.shopper_id == request.user.pk,
    }


def _render(request, pk: int, template: str):
    return render(request, template, card_context(request, visible_shop(request, pk)))


@require_GET
@org_view(Cap.VIEW_ORG)
def shop_report(request, pk: int):
    return _render(request, pk, "shoppers/reports/report.html")


@require_GET
@org_view(Cap.VIEW_ORG)
def shop_report_print(request, pk: int):
    return _render(request, pk, "shoppers/reports/print.html")
