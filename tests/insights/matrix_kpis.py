"""Permission matrix rows of the operational KPIs."""

from cxaudit.accounts.permissions import Cap
from cxaudit.insights.kpis.models import Kpi
from tests.matrix_row import Row


def _kpi(org) -> dict:
    kpi, _ = Kpi.objects.get_or_create(organization=org, code="MX-KPI", defaults={"name": "Matrix"})
    return {"pk": kpi.pk}


ROWS: list[Row] = [
    Row("insights:kpi_list", Cap.VIEW_INSIGHTS),
    Row("insights:kpi_create", Cap.EDIT_JOURNEYS),
    Row("insights:kpi_import", Cap.IMPORT_RESPONSES),
    Row("insights:kpi_edit", Cap.EDIT_JOURNEYS, _kpi),
]
