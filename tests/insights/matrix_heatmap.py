"""Permission matrix rows of the journey heatmap, league table and report card."""

from cxaudit.accounts.models import Location
from cxaudit.accounts.permissions import Cap
from tests.factories import make_standard
from tests.matrix_row import Row


def _touchpoint(org) -> dict:
    return {"pk": make_standard(org, "MX1").touchpoint.pk}


def _location(org) -> dict:
    loc, _ = Location.objects.get_or_create(organization=org, code="MX", name="Matrix")
    return {"code": loc.code}


ROWS: list[Row] = [
    Row("insights:heatmap", Cap.VIEW_INSIGHTS),
    Row("insights:heatmap_touchpoint", Cap.VIEW_INSIGHTS, kwargs=_touchpoint),
    Row("insights:league", Cap.VIEW_INSIGHTS),
    Row("insights:report_card", Cap.VIEW_INSIGHTS, kwargs=_location),
]
