"""Permission matrix rows of the form engine: a respondent's own draft is reachable by any member
(Cap.VIEW_ORG), so each role gets a draft of its own (Row.per_user)."""

from django.core.files.base import ContentFile

from cxaudit.accounts.permissions import Cap
from surveys.models import Evidence, Question, Response, Survey
from surveys.responses import services
from tests.factories import make_survey
from tests.matrix_row import Row


def _survey(org) -> Survey:
    survey = Survey.objects.filter(organization=org, code="matrix-respond").first()
    if survey is None:
        survey = make_survey(
            org,
            [
                {
                    "questions": [
                        {"code": "ok", "type": "yes_no"},
                        {"code": "photo", "type": "file", "points": 0},
                    ]
                }
            ],
            code="matrix-respond",
        )
    return survey


def _draft(org, user) -> Response:
    return services.start_response(survey=_survey(org), source="shopper", respondent=user)


def _own_draft(org, user):
    return {"client_id": _draft(org, user).client_id}


def _own_submitted(org, user):
    response = _draft(org, user)
    services.submit_form(response=response, raw_answers={"ok": "yes"})
    return {"client_id": response.client_id}


def _own_evidence(org, user):
    response = _draft(org, user)
    evidence = Evidence(
        organization=org,
        response=response,
        question=Question.objects.get(survey=response.survey, code="photo"),
        content_type="application/pdf",
        size=9,
        original_name="receipt.pdf",
    )
    evidence.file.save("x.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return {"key": evidence.key}


def _own_draft_at(org, location, user):
    response = services.start_response(
        survey=_survey(org), source="shopper", respondent=user, location=location
    )
    return {"client_id": response.client_id}


def _own_submitted_at(org, location, user):
    response = services.start_response(
        survey=_survey(org), source="shopper", respondent=user, location=location
    )
    services.submit_form(response=response, raw_answers={"ok": "yes"})
    return {"client_id": response.client_id}


def _evidence_at(org, location, user):
    """Evidence of someone else's response at `location`: what staff open from a drill-down."""
    response = services.start_response(survey=_survey(org), source="shopper", location=location)
    evidence = Evidence(
        organization=org,
        response=response,
        question=Question.objects.get(survey=response.survey, code="photo"),
        content_type="application/pdf",
        size=9,
        original_name="receipt.pdf",
    )
    evidence.file.save("x.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return {"key": evidence.key}


def _survey_pk(org):
    return {"pk": _survey(org).pk}


ROWS: list[Row] = [
    Row("surveys:respond", Cap.VIEW_ORG, _own_draft, per_user=True, located=_own_draft_at),
    Row("surveys:autosave", Cap.VIEW_ORG, _own_draft, "post", per_user=True, located=_own_draft_at),
    Row("surveys:submit", Cap.VIEW_ORG, _own_draft, "post", per_user=True, located=_own_draft_at),
    Row(
        "surveys:upload",
        Cap.VIEW_ORG,
        _own_draft,
        "post",
        per_user=True,
        allowed=(400,),
        located=_own_draft_at,
    ),
    Row("surveys:receipt", Cap.VIEW_ORG, _own_submitted, per_user=True, located=_own_submitted_at),
    Row("surveys:evidence_file", Cap.VIEW_ORG, _own_evidence, per_user=True, located=_evidence_at),
    Row("surveys:preview", Cap.VIEW_SURVEYS, _survey_pk),
]
