"""The API tokens page: a member's tokens for this organisation, making one (its secret shown
once, on the answer to the post that made it) and revoking one."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.errors import DomainError, apply_domain_error

from . import services
from .forms import TokenForm
from .models import ApiToken


def _render(request, form: TokenForm, new: services.NewToken | None = None, status: int = 200):
    tokens = ApiToken.objects.for_org(request.org).of_user(request.user)
    staff = request.org_ctx.can(Cap.STAFF_AREA)
    return render(
        request,
        "api/tokens.html",
        {
            "org": request.org,
            "form": form,
            "tokens": tokens,
            "new": new,
            "base": "base_staff.html" if staff else "base_shopper.html",
            "rate": settings.CXAUDIT_API_RATE,
            "window": settings.CXAUDIT_API_RATE_WINDOW,
        },
        status=status,
    )


@require_GET
@org_view(Cap.VIEW_ORG)
def token_list(request):
    return _render(request, TokenForm())


@never_cache
@require_http_methods(["POST"])
@org_view(Cap.VIEW_ORG)
@submit_once
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            new = services.create_token(
                organization=request.org, user=request.user, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            # The secret is on this answer only (never in the session or a URL); a second
            # post of this form goes back to the list instead of making a second token.
            request.once_done_url = reverse("api_tokens:list", args=[request.org.slug])
            return _render(request, TokenForm(), new=new)
    return _render(request, form, status=400)


@require_POST
@org_view(Cap.VIEW_ORG)
def token_revoke(request, pk: int):
    token = get_for_org(ApiToken.objects.of_user(request.user), request.org, pk=pk)
    if services.revoke_token(token=token):
        messages.success(request, f"Token “{token.name}” revoked: it no longer opens the API.")
    return HttpResponseRedirect(reverse("api_tokens:list", args=[request.org.slug]))
