"""Permission matrix rows of self-assessment rounds: staff with Cap.MANAGE_WAVES list, launch and
close rounds; members with Cap.FILL_SELF_ASSESSMENT see and start their own self-assessments."""

from cxaudit.accounts.permissions import Cap
from surveys.models import SelfAssessmentRound, Survey
from tests.factories import make_survey, make_wave
from tests.matrix_row import Row


def open_round(org) -> SelfAssessmentRound:
    survey = Survey.objects.filter(organization=org, code="matrix-self").first()
    if survey is None:
        survey = make_survey(
            org,
            [{"questions": [{"code": "fast", "type": "rating"}]}],
            code="matrix-self",
            kind=Survey.Kind.SELF_ASSESSMENT,
        )
    wave = org.waves.filter(name="Matrix wave").first() or make_wave(org, "Matrix wave")
    round, _ = SelfAssessmentRound.objects.get_or_create(organization=org, survey=survey, wave=wave)
    return round


def _round_pk(org):
    return {"pk": open_round(org).pk}


def _start_at(org, location, user):
    return {"pk": open_round(org).pk, "data": {"location": location.pk}}


ROWS: list[Row] = [
    Row("surveys:selfassess_rounds", Cap.MANAGE_WAVES),
    Row("surveys:selfassess_launch", Cap.MANAGE_WAVES),
    Row("surveys:selfassess_close", Cap.MANAGE_WAVES, _round_pk, "post"),
    Row("surveys:selfassess_mine", Cap.FILL_SELF_ASSESSMENT),
    Row("surveys:selfassess_start", Cap.FILL_SELF_ASSESSMENT, _round_pk, "post", located=_start_at),
]
