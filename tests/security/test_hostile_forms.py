"""Class 2 of the hostile-input issue, for the forms: every main form (and the filters of the
main pages) is posted a valid submission with one field replaced by a hostile value (huge, tiny
and non-finite numbers, impossible dates, very long text, NUL and other control characters,
lone surrogates, lists where one value is expected). Each example either succeeds cleanly
(a redirect, one thing made) or is refused with the form shown again (nothing made): never a
server error. The import formats are covered in test_hostile_input.py.

Before the fix: a NUL in an autosaved or submitted answer, or in a query string looked up in
the database, answered 500; so did an action title holding a control character, at export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxaudit.accounts.models import Location, Membership
from cxaudit.insights.actions.models import ActionComment, ActionItem
from cxaudit.insights.kpis.models import Kpi
from cxaudit.journeys.models import Journey, Stage, Standard, Touchpoint, Wave
from surveys.models import Question, Response, Section, SelfAssessmentRound, Survey
from surveys.responses import services as responses
from tests.factories import make_standard, make_survey, make_wave
from tests.security.test_hostile_input import HOSTILE_NUMBER_LITERALS, HOSTILE_TEXT, in_savepoint

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE = st.one_of(
    HOSTILE_TEXT,
    HOSTILE_NUMBER_LITERALS,
    st.sampled_from(
        [
            "",
            " ",
            "99999-12-31",
            "2026-02-30",
            "0000-00-00",
            "-1",
            "1e308",
            "１２３",  # full-width digits
            "٣",  # an Arabic-Indic digit
            "9" * 400,
        ]
    ),
    st.lists(st.text(max_size=5), min_size=2, max_size=3),
    # Bytes that are not UTF-8 (a surrogate's encoding, a stray byte-order mark).
    st.sampled_from([b"\xed\xa0\x80", b"\xff\xfe", b"a\xc3"]),
)


@dataclass
class FormCase:
    name: str
    url: Callable[[dict], str]
    data: Callable[[dict], dict]
    count: Callable[[], int] | None = None
    method: str = "post"


def o(name: str, *keys) -> Callable[[dict], str]:
    return lambda ctx: reverse(name, args=[ctx["org"].slug, *[ctx[k] for k in keys]])


FORMS = [
    FormCase(
        "journey",
        o("journeys:journey_create"),
        lambda ctx: {"name": "Buying", "description": "Text"},
        Journey.objects.count,
    ),
    FormCase(
        "stage",
        o("journeys:stage_create", "journey"),
        lambda ctx: {"name": "Pay"},
        Stage.objects.count,
    ),
    FormCase(
        "touchpoint",
        o("journeys:touchpoint_create", "stage"),
        lambda ctx: {
            "stage": ctx["stage"],
            "name": "Desk",
            "channel": "in_store",
            "customer_expectation": "Quick",
            "pain_points": "Queue",
        },
        Touchpoint.objects.count,
    ),
    FormCase(
        "standard",
        o("journeys:standard_create", "touchpoint"),
        lambda ctx: {
            "code": "HOST-1",
            "name": "Smiles",
            "dimension": "empathy",
            "importance": "3",
            "target_comparator": "lte",
            "target_value": "5",
            "target_unit": "minutes",
        },
        Standard.objects.count,
    ),
    FormCase(
        "wave",
        o("journeys:wave_create"),
        lambda ctx: {"name": "2027 Q1", "starts_on": "2027-01-01", "ends_on": "2027-03-31"},
        Wave.objects.count,
    ),
    FormCase(
        "location",
        o("accounts:location_create"),
        lambda ctx: {
            "code": "HOST1",
            "name": "Hostile",
            "kind": "branch",
            "region": "North",
            "address": "1 Street",
        },
        Location.objects.count,
    ),
    FormCase(
        "member",
        o("accounts:member_add"),
        lambda ctx: {"email": "new@person.test", "full_name": "New", "role": "reviewer"},
        Membership.objects.count,
    ),
    FormCase("org_settings", o("accounts:org_settings"), lambda ctx: {"name": "Acme"}),
    FormCase(
        "survey",
        o("surveys:survey_create"),
        lambda ctx: {"title": "Shop", "code": "shop", "kind": "mystery_shop", "description": "D"},
        Survey.objects.count,
    ),
    FormCase(
        "section",
        o("surveys:section_create", "draft"),
        lambda ctx: {"title": "Second", "description": "D", "weight": "1.5"},
        Section.objects.count,
    ),
    FormCase(
        "question",
        o("surveys:question_create", "draft", "section"),
        lambda ctx: {
            "code": "rate_it",
            "type": "rating",
            "text": "How?",
            "help_text": "Help",
            "points": "1",
            "scale_min": "1",
            "scale_max": "5",
        },
        Question.objects.count,
    ),
    FormCase(
        "action",
        o("insights:action_create"),
        lambda ctx: {
            "wave": ctx["wave"],
            "standard": ctx["standard"],
            "gap": "self_vs_perceived",
            "title": "Greet",
            "description": "Everyone",
            "root_cause": "process",
            "owner": ctx["admin"],
            "due_date": "2030-01-01",
            "target_gap": "5",
            "priority": "2",
        },
        ActionItem.objects.count,
    ),
    FormCase(
        "comment",
        o("insights:action_comment", "item"),
        lambda ctx: {"text": "On it"},
        ActionComment.objects.count,
    ),
    FormCase(
        "status",
        o("insights:action_status", "item"),
        lambda ctx: {"to": "in_progress", "note": "Started"},
    ),
    FormCase(
        "kpi",
        o("insights:kpi_create"),
        lambda ctx: {
            "code": "AHT",
            "name": "Handling",
            "unit": "s",
            "direction": "lower",
            "target": "60",
        },
        Kpi.objects.count,
    ),
    FormCase(
        "launch_round",
        o("surveys:selfassess_launch"),
        lambda ctx: {"survey": ctx["self_survey"], "wave": ctx["wave"], "closes_on": "2030-01-01"},
        SelfAssessmentRound.objects.count,
    ),
    FormCase(
        "planner",
        o("insights:wave_planner"),
        lambda ctx: {
            "wave": ctx["wave"],
            "margin": "5",
            "confidence": "0.95",
            "response_rate": "20",
        },
        method="get",
    ),
    FormCase(
        "dashboard",
        o("insights:dashboard"),
        lambda ctx: {
            "wave": "2026 Q3",
            "location": "KGX",
            "channel": "phone",
            "dimension": "empathy",
        },
        method="get",
    ),
    FormCase(
        "action_filters",
        o("insights:action_list"),
        lambda ctx: {"status": "active", "owner": ctx["admin"], "location": "", "overdue": "on"},
        method="get",
    ),
    FormCase(
        "heatmap",
        o("insights:heatmap"),
        lambda ctx: {"wave": ctx["wave"], "location": "KGX", "journey": ctx["journey"]},
        method="get",
    ),
    FormCase(
        "gap_report",
        o("insights:gap_report_download"),
        lambda ctx: {"wave": "2026 Q3", "location": "KGX", "format": "csv", "stage": ctx["stage"]},
        method="get",
    ),
    FormCase(
        "outbox_filters",
        o("accounts:outbox_list"),
        lambda ctx: {"state": "sent", "q": "x"},
        method="get",
    ),
    FormCase(
        "autosave",
        lambda ctx: reverse("surveys:autosave", args=[ctx["org"].slug, ctx["draft_response"]]),
        lambda ctx: {
            "q-yn": "yes",
            "q-rate": "3",
            "q-short": "Fine",
            "q-long": "Long",
            "q-num": "2",
        },
    ),
    FormCase(
        "submit",
        lambda ctx: reverse("surveys:submit", args=[ctx["org"].slug, ctx["draft_response"]]),
        lambda ctx: {
            "q-yn": "yes",
            "q-rate": "3",
            "q-short": "Fine",
            "q-long": "Long",
            "q-num": "2",
        },
        lambda: Response.objects.filter(status="submitted").count(),
    ),
]


@pytest.fixture
def ctx(org, location, program_admin, sent_tasks):
    standard = make_standard(org, "CTX-1")
    touchpoint = standard.touchpoint
    wave = make_wave(org, "2026 Q3")
    draft = make_survey(
        org,
        [{"questions": [{"code": "ok", "type": "yes_no"}]}],
        code="draft",
        status=Survey.Status.DRAFT,
    )
    self_survey = make_survey(
        org,
        [{"questions": [{"code": "q", "type": "rating"}]}],
        code="self",
        kind=Survey.Kind.SELF_ASSESSMENT,
    )
    answered = make_survey(
        org,
        [
            {
                "questions": [
                    {"code": "yn", "type": "yes_no", "required": True},
                    {"code": "rate", "type": "rating"},
                    {"code": "short", "type": "short_text"},
                    {"code": "long", "type": "long_text"},
                    {"code": "num", "type": "number"},
                ]
            }
        ],
        code="answered",
    )
    response = responses.start_response(survey=answered, source="shopper", respondent=program_admin)
    item = ActionItem.objects.create(
        organization=org,
        standard=standard,
        wave=wave,
        gap="self_vs_perceived",
        title="Existing",
        root_cause="process",
        owner=program_admin,
        due_date=dt.date(2030, 1, 1),
    )
    return {
        "org": org,
        "admin": program_admin.pk,
        "journey": touchpoint.stage.journey_id,
        "stage": touchpoint.stage_id,
        "touchpoint": touchpoint.pk,
        "standard": standard.pk,
        "wave": wave.pk,
        "draft": draft.pk,
        "section": draft.sections.get().pk,
        "self_survey": self_survey.pk,
        "item": item.pk,
        "draft_response": response.client_id,
    }


@pytest.mark.parametrize("case", FORMS, ids=lambda c: c.name)
def test_a_form_with_one_hostile_value_succeeds_or_is_refused(ctx, program_admin, case):
    base = case.data(ctx)
    fields = sorted(base)

    @EXAMPLES
    @given(field=st.sampled_from(fields), value=HOSTILE)
    def check(field, value):
        def run():
            client = Client()  # raises any server error into the test
            client.force_login(program_admin)
            before = case.count() if case.count else None
            answer = getattr(client, case.method)(case.url(ctx), {**base, field: value})
            assert answer.status_code in (200, 302, 400, 404), answer.status_code
            if case.count:
                made = case.count() - before
                # Refused: nothing made. Accepted: at most the one thing the form makes.
                assert made == 0 if answer.status_code != 302 else made <= 1
            return answer.status_code

        in_savepoint(run)

    check()


@pytest.mark.parametrize("case", FORMS, ids=lambda c: c.name)
def test_a_nul_or_control_character_in_any_field_is_refused_cleanly(ctx, program_admin, case):
    """Every field in turn, deterministically (the random examples above may miss one)."""
    base = case.data(ctx)
    client = Client()
    client.force_login(program_admin)
    for field in sorted(base):
        for value in ("a\x00b", "x\x1b[2Jy"):
            before = case.count() if case.count else None
            answer = getattr(client, case.method)(case.url(ctx), {**base, field: value})
            assert answer.status_code in (200, 302, 400), (field, answer.status_code)
            if case.count:
                assert case.count() == before, (field, "bad text was stored")
