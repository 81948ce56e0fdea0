from cxaudit.accounts.permissions import Cap
from surveys.models import ResponseImport
from tests.matrix_row import Row
from tests.surveys.import_helpers import make_import_survey


def _survey(org):
    survey = make_import_survey(org, code="matrix")
    return survey


def _template(org):
    return {"survey_code": _survey(org).code}


def _import(org):
    imp = ResponseImport.objects.create(organization=org, survey=_survey(org), file="imports/m.csv")
    return {"pk": imp.pk}


ROWS: list[Row] = [
    Row("surveys:import_list", Cap.IMPORT_RESPONSES),
    Row("surveys:import_new", Cap.IMPORT_RESPONSES),
    Row("surveys:import_template", Cap.IMPORT_RESPONSES, _template),
    Row("surveys:import_detail", Cap.IMPORT_RESPONSES, _import),
    Row("surveys:import_status", Cap.IMPORT_RESPONSES, _import),
]
