"""Roles map to capabilities here, and only here. Views name a capability, never a role.

Every organisation-scoped view goes through `org_view` (functions) or `OrgViewMixin` (classes):
they resolve the organisation from the URL through the user's memberships (404 for outsiders,
so that nobody can learn that another organisation's object exists) and then check the
capability (403 for a member whose role lacks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest

from .models import Membership, Organization, Role


class Cap(StrEnum):
    VIEW_ORG = "org.view"
    MANAGE_ORG = "org.manage"
    CREATE_ORG = "org.create"
    MANAGE_MEMBERS = "members.manage"
    VIEW_LOCATIONS = "locations.view"
    MANAGE_LOCATIONS = "locations.manage"
    VIEW_JOURNEYS = "journeys.view"
    EDIT_JOURNEYS = "journeys.edit"
    MANAGE_WAVES = "waves.manage"
    VIEW_SURVEYS = "surveys.view"
    EDIT_SURVEYS = "surveys.edit"
    IMPORT_RESPONSES = "responses.import"
    REVIEW_SHOPS = "shops.review"
    MANAGE_ASSIGNMENTS = "assignments.manage"
    SHOP = "shops.do"
    FILL_SELF_ASSESSMENT = "self_assessment.fill"
    VIEW_INSIGHTS = "insights.view"
    MANAGE_ACTIONS = "actions.manage"
    STAFF_AREA = "staff.area"


_STAFF_READ = {Cap.VIEW_ORG, Cap.VIEW_LOCATIONS, Cap.VIEW_JOURNEYS, Cap.VIEW_SURVEYS}

ROLE_CAPABILITIES: dict[str, frozenset[Cap]] = {
    Role.PROGRAM_ADMIN: frozenset(Cap),
    Role.REVIEWER: frozenset(
        _STAFF_READ | {Cap.STAFF_AREA, Cap.REVIEW_SHOPS, Cap.VIEW_INSIGHTS, Cap.IMPORT_RESPONSES}
    ),
    Role.CLIENT_MANAGER: frozenset(
        _STAFF_READ
        | {Cap.STAFF_AREA, Cap.VIEW_INSIGHTS, Cap.FILL_SELF_ASSESSMENT, Cap.MANAGE_ACTIONS}
    ),
    Role.SHOPPER: frozenset({Cap.VIEW_ORG, Cap.SHOP}),
}


def role_has(role: str, capability: str) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())


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
