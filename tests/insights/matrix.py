from cxaudit.accounts.permissions import Cap
from tests.matrix_row import Row

ROWS: list[Row] = [
    Row("insights:gap_report_download", Cap.VIEW_INSIGHTS),
]
