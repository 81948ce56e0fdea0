from cxaudit.accounts.permissions import Cap
from tests.factories import make_standard
from tests.matrix_row import Row


def _standard(org):
    return {"pk": make_standard(org, "MX-DASH").pk}


ROWS: list[Row] = [
    Row("insights:dashboard", Cap.VIEW_INSIGHTS),
    Row("insights:standard_detail", Cap.VIEW_INSIGHTS, _standard),
]

ROWS.append(Row("insights:wave_planner", Cap.VIEW_INSIGHTS))
