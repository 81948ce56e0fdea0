from cxaudit.accounts.permissions import Cap
from tests.matrix_row import Row


def _report_at(org, location, user) -> dict:
    return {"?": f"location={location.code}&format=csv"}


ROWS: list[Row] = [
    Row("insights:gap_report_download", Cap.VIEW_INSIGHTS, located=_report_at),
]
