"""Template helpers of the journey pages: annotation look-up for the map partial, and the
dashboard tile."""

from __future__ import annotations

from django import template
from django.db.models import Count, Q

from cxaudit.accounts.models import Organization

from ..models import Journey, Standard, Wave

register = template.Library()


@register.filter
def lookup(mapping, key):
    """`mapping[key]`, or None when the mapping is missing or has no such key."""
    if not mapping:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.inclusion_tag("journeys/_dashboard_tile.html")
def journeys_tile(org: Organization) -> dict:
    counts = Journey.objects.for_org(org).aggregate(
        active=Count("pk", filter=Q(status=Journey.Status.ACTIVE))
    )
    return {
        "org": org,
        "journeys": counts["active"],
        "standards": Standard.objects.for_org(org)
        .filter(touchpoint__stage__journey__status=Journey.Status.ACTIVE)
        .count(),
        "open_wave": Wave.objects.for_org(org).open().order_by("-starts_on").first(),
    }
