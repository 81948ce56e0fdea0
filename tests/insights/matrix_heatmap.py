"""Permission matrix rows of the journey heatmap, league table and report card."""

from cxaudit.accounts.models import Location
from cxaudit.accounts.permissions import Cap
from cxaudit.journeys.models import Standard
from tests.factories import make_standard
from tests.matrix_row import Row


def _touchpoint(org) -> dict:
    standard = Standard.objects.filter(organization=org, code="MX1").first()
    return {"pk": (standard or make_standard(org, "MX1")).touchpoint.pk}


def _location(org) -> dict:
    loc, _ = Location.objects.get_or_create(organization=org, code="MX", name="Matrix")
    return {"code": loc.code}


def _filtered_by(org, location, user) -> dict:
    return {"?": f"location={location.code}"}


def _touchpoint_at(org, location, user) -> dict:
    return {**_touchpoint(org), "?": f"location={location.code}"}


def _report_card_at(org, location, user) -> dict:
    return {"code": location.code}


ROWS: list[Row] = [
    Row("insights:heatmap", Cap.VIEW_INSIGHTS, located=_filtered_by),
    Row(
        "insights:heatmap_touchpoint", Cap.VIEW_INSIGHTS, kwargs=_touchpoint, located=_touchpoint_at
    ),
    Row("insights:league", Cap.VIEW_INSIGHTS, located=_filtered_by),
    Row("insights:report_card", Cap.VIEW_INSIGHTS, kwargs=_location, located=_report_card_at),
]
