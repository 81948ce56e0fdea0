"""The UI's organisation and role rules, for the API: the organisation in the URL must be the
token's (404 otherwise, as for outsiders in the UI), the token's user must still belong to it
(resolve_org), and the view's capability must be granted by the user's role (403).

Each view names its capability per method in `capabilities` ({"GET": Cap.X, "POST": Cap.Y}),
from cxaudit/accounts/capabilities.py, never a role."""

from __future__ import annotations

from django.http import Http404
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission

from cxaudit.accounts.permissions import resolve_org
from cxaudit.accounts.scope import location_scope

from ..models import ApiToken


def required_capability(view, method: str) -> str | None:
    caps = getattr(view, "capabilities", {})
    return caps.get("GET" if method in ("HEAD", "OPTIONS") else method)


class OrgCapability(BasePermission):
    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return False  # not authenticated: 401
        slug = view.kwargs.get("org_slug")
        if token.organization.slug != slug:
            raise NotFound("Not found.")
        try:
            ctx = resolve_org(request, slug)
        except Http404 as exc:
            raise NotFound("Not found.") from exc
        http = request._request
        http.org_ctx, http.org = ctx, ctx.organization
        capability = required_capability(view, request.method)
        if capability is None or not ctx.can(capability):
            raise PermissionDenied("Your role does not allow this.")
        view.org, view.org_ctx, view.scope = ctx.organization, ctx, location_scope(http)
        return True
