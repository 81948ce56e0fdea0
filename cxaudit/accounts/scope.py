"""Location scope: which of an organisation's locations a member may see, applied the same way by
every page, download and object URL.

A client manager may be limited to some locations (`Membership.locations`; none means all).
Everything tied to a location — answers and the responses, drafts and evidence behind them,
report cards, drill-downs, KPI values, action items, exports — is read through the request's
`LocationScope`, never by a hand-made check:

    scope = location_scope(request)            # after org_view / OrgViewMixin
    location = scope.location(code=code)       # 404 outside the limit
    answers = scope.filter(answers)            # rows at a visible location
    item = scope.get(ActionItem, pk=pk, org_wide=True)  # 404 outside the limit
    analyse_gaps(..., only_locations=scope.only_locations)

Rows with no location (an organisation-wide action item, a customer response without a
location) belong to no location: a limited member sees them only where the caller says
`org_wide=True` (action items, a member's own drafts); answers and evidence without a location
are not shown to a limited member, as the gap figures leave them out.

An object that holds several locations' data at once (a response import) is only for members
who see every location (`require_all`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from .models import Location, Membership, Organization
from .permissions import get_for_org
from .roles import Role

if TYPE_CHECKING:
    from django.http import HttpRequest


@dataclass(frozen=True)
class LocationScope:
    """The locations of `organization` a member may see: all of them when `location_ids` is
    None, else exactly those."""

    organization: Organization
    location_ids: frozenset[int] | None = None

    @classmethod
    def of(cls, membership: Membership) -> LocationScope:
        """The scope of a membership (a superuser's unsaved one sees everything)."""
        if membership.role == Role.CLIENT_MANAGER and membership.pk is not None:
            ids = frozenset(membership.locations.values_list("pk", flat=True))
            if ids:
                return cls(membership.organization, ids)
        return cls(membership.organization, None)

    @property
    def limited(self) -> bool:
        return self.location_ids is not None

    def allows(self, location_id: int | None, *, org_wide: bool = False) -> bool:
        """Whether an object at `location_id` (None: at no location) may be seen."""
        if location_id is None:
            return org_wide or not self.limited
        return not self.limited or location_id in self.location_ids

    def q(self, field: str = "location", *, org_wide: bool = False) -> Q:
        """The condition on `field` (a location foreign key, possibly across relations)."""
        if not self.limited:
            return Q()
        condition = Q(**{f"{field}__in": self.location_ids})
        if org_wide:
            condition |= Q(**{f"{field}__isnull": True})
        return condition

    def filter(self, queryset: QuerySet, field: str = "location", *, org_wide: bool = False):
        """`queryset` narrowed to rows whose `field` is a visible location."""
        return queryset.filter(self.q(field, org_wide=org_wide)) if self.limited else queryset

    def locations(self) -> QuerySet[Location]:
        """The organisation's locations within the scope (active or not)."""
        return self.filter(Location.objects.for_org(self.organization), "pk")

    @property
    def only_locations(self) -> list[Location] | None:
        """For the gap engine and KPI figures: the visible locations, or None for all."""
        return list(self.locations()) if self.limited else None

    def location(self, **lookup) -> Location:
        """One visible location of the organisation (404 for any other)."""
        return get_for_org(self.locations(), self.organization, **lookup)

    def get(
        self,
        queryset_or_model: QuerySet | type[Model],
        *,
        field: str = "location",
        org_wide: bool = False,
        **lookup,
    ) -> Model:
        """One object of the organisation at a visible location (404 for anything else)."""
        qs = (
            queryset_or_model.objects.all()
            if isinstance(queryset_or_model, type)
            else queryset_or_model
        )
        return get_for_org(self.filter(qs, field, org_wide=org_wide), self.organization, **lookup)

    def require_all(self) -> None:
        """404 unless the member sees every location (objects that mix locations' data)."""
        if self.limited:
            raise Http404("Not found.")


def location_scope(request: HttpRequest) -> LocationScope:
    """The scope of the member making the request (after org_view / OrgViewMixin), computed
    once per request."""
    scope = getattr(request, "_location_scope", None)
    if scope is None:
        scope = LocationScope.of(request.org_ctx.membership)
        request._location_scope = scope
    return scope
