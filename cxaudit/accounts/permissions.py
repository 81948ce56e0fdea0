"""Request-side permission checks over the capabilities of capabilities.py.

Every organisation-scoped view goes through `org_view` (functions) or `OrgViewMixin` (classes):
they resolve the organisation from the URL through the user's memberships (404 for outsiders,
so that nobody can learn that another organisation's object exists) and then check the
capability (403 for a member whose role lacks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest

from .capabilities import ROLE_CAPABILITIES, Cap, role_has
from .models import Membership, Organization, Role

__all__ = [
    "ROLE_CAPABILITIES",
    "Cap",
    "OrgContext",
    "OrgViewMixin",
    "get_for_org",
    "org_view",
    "resolve_org",
    "role_has",
]


@dataclass(frozen=True)
class OrgContext:
    """What a request knows about the organisation in its URL and the user's place in it."""

    organization: Organization
    membership: Membership

    @property
    def role(self) -> str:
        return self.membership.role

    def can(self, capability: str) -> bool:
        return role_has(self.role, capability)

    @property
    def capabilities(self) -> frozenset[Cap]:
        return ROLE_CAPABILITIES.get(self.role, frozenset())


def resolve_org(request: HttpRequest, slug: str) -> OrgContext:
    """The organisation named in the URL, if the user belongs to it; 404 otherwise."""
    user = request.user
    membership = (
        Membership.objects.active()
        .select_related("organization")
        .filter(organization__slug=slug, organization__is_active=True, user=user)
        .first()
    )
    if membership is None and user.is_superuser:
        org = Organization.objects.filter(slug=slug, is_active=True).first()
        if org is not None:
            # Superusers act as program admins everywhere, without a stored membership.
            membership = Membership(user=user, organization=org, role=Role.PROGRAM_ADMIN)
    if membership is None:
        raise Http404("No such organisation.")
    return OrgContext(organization=membership.organization, membership=membership)


def _enter(request: HttpRequest, slug: str, capability: str) -> None:
    ctx = resolve_org(request, slug)
    request.org_ctx = ctx
    request.org = ctx.organization
    if not ctx.can(capability):
        raise PermissionDenied("Your role does not allow this.")


def org_view(capability: str):
    """Decorate a function view taking `org_slug`: login, organisation membership, capability."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, org_slug: str, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            _enter(request, org_slug, capability)
            return view(request, *args, **kwargs)

        wrapped.required_capability = capability
        return wrapped

    return decorator


class OrgViewMixin:
    """The class-based twin of `org_view`; set `capability` on the view."""

    capability: str = Cap.VIEW_ORG

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        _enter(request, kwargs.pop("org_slug"), self.capability)
        self.org = request.org
        self.org_ctx = request.org_ctx
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("org", self.org)
        return super().get_context_data(**kwargs)


def get_for_org(queryset_or_model, org: Organization, **lookup) -> models.Model:
    """Load one object of `org` (404 for anything else) through the model's `for_org`."""
    qs = (
        queryset_or_model.objects.all()
        if isinstance(queryset_or_model, type)
        else queryset_or_model
    )
    try:
        return qs.for_org(org).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Not found.") from exc
