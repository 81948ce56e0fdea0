"""A double click on a button that creates something creates it once (cxaudit.accounts.once).

Every form that creates or changes something by POST carries a one-time token; its view is
decorated with `submit_once`. Each case below opens the page as a browser would, takes the
token of the form, and posts the same form twice: one object is made, and the second post is
sent where the first went. Before the fix, the second post made a second journey, survey
version, location, member, stage, touchpoint, action, comment, KPI… or answered with an error.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import resolve, reverse

from cxaudit.accounts.models import FormSubmission, Location, Membership, Organization
from cxaudit.accounts.once import FIELD, REPLAYED
from cxaudit.insights.actions.models import ActionComment, ActionEvent, ActionItem
from cxaudit.insights.kpis.models import Kpi, KpiValue
from cxaudit.journeys.models import Journey, Stage, Standard, Touchpoint, Wave
from cxaudit.webhooks.models import Endpoint
from surveys.models import Question, ResponseImport, Section, SelfAssessmentRound, Survey
from tests.factories import make_standard, make_survey, make_wave

pytestmark = pytest.mark.django_db


def token_of(html: str, action: str | None = None) -> str:
    """The one-time token of the page's form (the one posting to `action`, when given)."""
    if action is not None:
        at = html.index(f'action="{action}"')
        html = html[at:]
    found = re.search(rf'name="{FIELD}" value="([^"]+)"', html)
    assert found, "the form carries no one-time token"
    return found.group(1)


@dataclass
class Case:
    """page: where the form is shown; post: where it goes; data(ctx) -> the posted fields;
    count(ctx) -> how many of the made things exist (None: a state change, checked by the
    replay note); action: the form's action on a page with several forms."""

    name: str
    page: Callable[[dict], str]
    post: Callable[[dict], str]
    data: Callable[[dict], dict] = lambda ctx: {}
    count: Callable[[dict], int] | None = None
    by_action: bool = False
    extra: dict = field(default_factory=dict)


def o(name: str, *args) -> Callable[[dict], str]:
    return lambda ctx: reverse(name, args=[ctx["org"].slug, *[ctx[a] for a in args]])


def _journey_json(ctx):
    from tests.journeys.test_definition import doc

    return SimpleUploadedFile("j.json", json.dumps(doc()).encode(), "application/json")


def _survey_json(ctx):
    from tests.surveys.definition_example import example, example_standards

    if not Standard.objects.filter(code="QUEUE-5MIN").exists():
        example_standards(ctx["org"])
    return SimpleUploadedFile("s.json", json.dumps(example()).encode(), "application/json")


def _responses_csv(ctx):
    from tests.surveys.import_helpers import GOOD_ROWS, HEADER, csv_file

    return csv_file([HEADER, *GOOD_ROWS])


CASES = [
    Case(
        "org_create",
        lambda ctx: reverse("accounts:org_create"),
        lambda ctx: reverse("accounts:org_create"),
        lambda ctx: {"name": "New Co", "slug": "new-co"},
        lambda ctx: Organization.objects.count(),
    ),
    Case(
        "location_create",
        o("accounts:location_create"),
        o("accounts:location_create"),
        lambda ctx: {"code": "NEW1", "name": "New", "kind": "branch", "is_active": "on"},
        lambda ctx: Location.objects.count(),
    ),
    Case(
        "location_import",
        o("accounts:location_import"),
        o("accounts:location_import"),
        lambda ctx: {
            "file": SimpleUploadedFile("l.csv", b"code,name\nIMP1,Imported\n", "text/csv")
        },
        lambda ctx: Location.objects.count(),
    ),
    Case(
        "member_add",
        o("accounts:member_add"),
        o("accounts:member_add"),
        lambda ctx: {"email": "new@person.test", "role": "reviewer"},
        lambda ctx: Membership.objects.count(),
    ),
    Case(
        "journey_create",
        o("journeys:journey_create"),
        o("journeys:journey_create"),
        lambda ctx: {"name": "Buying"},
        lambda ctx: Journey.objects.count(),
    ),
    Case(
        "journey_import",
        o("journeys:journey_import"),
        o("journeys:journey_import"),
        lambda ctx: {"file": _journey_json(ctx)},
        lambda ctx: Journey.objects.count(),
    ),
    Case(
        "journey_duplicate",
        o("journeys:journey_detail", "journey"),
        o("journeys:journey_duplicate", "journey"),
        count=lambda ctx: Journey.objects.count(),
        by_action=True,
    ),
    Case(
        "stage_create",
        o("journeys:stage_create", "journey"),
        o("journeys:stage_create", "journey"),
        lambda ctx: {"name": "Pay"},
        lambda ctx: Stage.objects.count(),
    ),
    Case(
        "touchpoint_create",
        o("journeys:touchpoint_create", "stage"),
        o("journeys:touchpoint_create", "stage"),
        lambda ctx: {"stage": ctx["stage"], "name": "Desk", "channel": "in_store"},
        lambda ctx: Touchpoint.objects.count(),
    ),
    Case(
        "standard_create",
        o("journeys:standard_create", "touchpoint"),
        o("journeys:standard_create", "touchpoint"),
        lambda ctx: {
            "code": "NEW-STD",
            "name": "Smiles",
            "dimension": "empathy",
            "importance": "3",
            "delivery_target": "90",
        },
        lambda ctx: Standard.objects.count(),
    ),
    Case(
        "wave_create",
        o("journeys:wave_create"),
        o("journeys:wave_create"),
        lambda ctx: {"name": "2027 Q1", "starts_on": "2027-01-01", "ends_on": "2027-03-31"},
        lambda ctx: Wave.objects.count(),
    ),
    Case(
        "wave_open",
        o("journeys:wave_list"),
        o("journeys:wave_open", "planned_wave"),
        by_action=True,
    ),
    Case(
        "survey_create",
        o("surveys:survey_create"),
        o("surveys:survey_create"),
        lambda ctx: {"title": "Shop", "code": "shop", "kind": "mystery_shop"},
        lambda ctx: Survey.objects.count(),
    ),
    Case(
        "survey_import",
        o("surveys:survey_import"),
        o("surveys:survey_import"),
        lambda ctx: {"file": _survey_json(ctx)},
        lambda ctx: Survey.objects.count(),
    ),
    Case(
        "survey_new_version",
        o("surveys:survey_detail", "published"),
        o("surveys:survey_new_version", "published"),
        count=lambda ctx: Survey.objects.count(),
        by_action=True,
    ),
    Case(
        "survey_publish",
        o("surveys:survey_detail", "draft"),
        o("surveys:survey_publish", "draft"),
        by_action=True,
    ),
    Case(
        "section_create",
        o("surveys:section_create", "draft"),
        o("surveys:section_create", "draft"),
        lambda ctx: {"title": "Second"},
        lambda ctx: Section.objects.count(),
    ),
    Case(
        "question_create",
        o("surveys:question_create", "draft", "section"),
        o("surveys:question_create", "draft", "section"),
        lambda ctx: {"code": "new_q", "type": "yes_no", "text": "New?", "points": "1"},
        lambda ctx: Question.objects.count(),
    ),
    Case(
        "import_new",
        o("surveys:import_new"),
        o("surveys:import_new"),
        lambda ctx: {"survey": "visit", "file": _responses_csv(ctx)},
        lambda ctx: ResponseImport.objects.count(),
    ),
    Case(
        "selfassess_launch",
        o("surveys:selfassess_launch"),
        o("surveys:selfassess_launch"),
        lambda ctx: {"survey": ctx["self_survey"], "wave": ctx["planned_wave"]},
        lambda ctx: SelfAssessmentRound.objects.count(),
    ),
    Case(
        "action_create",
        o("insights:action_create"),
        o("insights:action_create"),
        lambda ctx: {
            "wave": ctx["wave"],
            "standard": ctx["standard"],
            "gap": "self_vs_perceived",
            "title": "Greet everyone",
            "root_cause": "process",
            "owner": ctx["admin"],
            "due_date": "2030-01-01",
        },
        lambda ctx: ActionItem.objects.count(),
    ),
    Case(
        "action_comment",
        o("insights:action_detail", "item"),
        o("insights:action_comment", "item"),
        lambda ctx: {"text": "On it"},
        lambda ctx: ActionComment.objects.count(),
        by_action=True,
    ),
    Case(
        "action_status",
        o("insights:action_detail", "item"),
        o("insights:action_status", "item"),
        lambda ctx: {"to": "in_progress"},
        lambda ctx: ActionEvent.objects.count(),
        by_action=True,
    ),
    Case(
        "kpi_create",
        o("insights:kpi_create"),
        o("insights:kpi_create"),
        lambda ctx: {"code": "AHT", "name": "Handling time", "unit": "s", "direction": "lower"},
        lambda ctx: Kpi.objects.count(),
    ),
    Case(
        "kpi_import",
        o("insights:kpi_import"),
        o("insights:kpi_import"),
        lambda ctx: {
            "file": SimpleUploadedFile(
                "k.csv", b"kpi,location,wave,value\nFCR,KGX,2026 Q3,71.5\n", "text/csv"
            )
        },
        lambda ctx: KpiValue.objects.count(),
    ),
    Case(
        "webhook_create",
        o("webhooks:endpoint_create"),
        o("webhooks:endpoint_create"),
        lambda ctx: {"url": "https://93.184.216.34/hook", "events": ["wave.closed"]},
        lambda ctx: Endpoint.objects.count(),
    ),
]


@pytest.fixture
def ctx(org, location, program_admin, sent_tasks):
    from tests.surveys.import_helpers import make_import_context

    standard = make_standard(org, "CTX-1")
    touchpoint = standard.touchpoint
    make_import_context(org)  # the published survey "visit", locations KGX and MAN, a wave
    wave = Wave.objects.get(name="2026 Q3")
    published = Survey.objects.get(code="visit")
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
    Kpi.objects.create(organization=org, code="FCR", name="First contact resolution")
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
        "planned_wave": make_wave(org, "2027 Q2", status="planned").pk,
        "published": published.pk,
        "draft": draft.pk,
        "section": draft.sections.get().pk,
        "self_survey": self_survey.pk,
        "item": item.pk,
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_posting_the_same_form_twice_makes_it_once(ctx, program_admin, case):
    client = Client()
    client.force_login(program_admin)
    page = client.get(case.page(ctx))
    assert page.status_code == 200
    post_url = case.post(ctx)
    token = token_of(page.content.decode(), post_url if case.by_action else None)
    before = case.count(ctx) if case.count else None

    first = client.post(post_url, {**case.data(ctx), FIELD: token})
    assert first.status_code == 302, first.content.decode()[:2000]
    after_first = case.count(ctx) if case.count else None
    if case.count:
        assert after_first == before + 1 or (case.name in ("kpi_import",) and after_first == 1)

    second = client.post(post_url, {**case.data(ctx), FIELD: token})
    assert second.status_code == 302 and second["Location"] == first["Location"]
    if case.count:
        assert case.count(ctx) == after_first
    landing = client.get(second["Location"])
    assert REPLAYED in landing.content.decode()


MOVES = [
    "journeys:stage_move",
    "journeys:touchpoint_move",
    "journeys:standard_move",
]


def test_every_create_view_is_decorated():
    """A new create-by-POST view joins CASES (and gets @submit_once and {% once_field %})."""
    for case in CASES:
        ctx_free = {"org": type("O", (), {"slug": "x"})()} | {k: 1 for k in _KEYS}
        view = resolve(case.post(ctx_free)).func
        assert getattr(view, "submit_once", False), case.name
    for name in MOVES:
        assert getattr(resolve(reverse(name, args=["x", 1])).func, "submit_once", False), name
    for name in ("surveys:section_move", "surveys:question_move"):
        view = resolve(reverse(name, args=["x", 1, 1])).func
        assert getattr(view, "submit_once", False), name


_KEYS = [
    "journey",
    "stage",
    "touchpoint",
    "planned_wave",
    "published",
    "draft",
    "section",
    "item",
]


def test_a_form_with_errors_can_be_sent_again_with_its_token(org, admin_client_org):
    url = reverse("journeys:journey_create", args=[org.slug])
    token = token_of(admin_client_org.get(url).content.decode())
    assert admin_client_org.post(url, {"name": "", FIELD: token}).status_code == 200
    assert admin_client_org.post(url, {"name": "Fixed", FIELD: token}).status_code == 302
    assert Journey.objects.get().name == "Fixed"


def test_a_token_is_the_users_own(org, admin_client_org, program_admin, reviewer):
    """Another member posting someone's token makes their own thing (the token is no key)."""
    from cxaudit.accounts.models import Role

    Membership.objects.filter(user=reviewer).update(role=Role.PROGRAM_ADMIN)
    url = reverse("journeys:journey_create", args=[org.slug])
    token = token_of(admin_client_org.get(url).content.decode())
    admin_client_org.post(url, {"name": "Mine", FIELD: token})
    other = Client()
    other.force_login(reviewer)
    assert other.post(url, {"name": "Theirs", FIELD: token}).status_code == 302
    assert Journey.objects.count() == 2
    assert FormSubmission.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_posts_at_the_same_moment_make_one_journey(org, program_admin, monkeypatch):
    """The browser sends the second click while the first is still being served: the second
    waits for the first's claim (a unique index), then is sent where the first went."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    import time

    from cxaudit.journeys import services

    create, calls = services.create_journey, []

    def slow_create(**kwargs):  # holds the first post open while the second arrives
        calls.append(1)
        time.sleep(0.5)
        return create(**kwargs)

    monkeypatch.setattr(services, "create_journey", slow_create)
    url = reverse("journeys:journey_create", args=[org.slug])
    client = Client()
    client.force_login(program_admin)
    token = token_of(client.get(url).content.decode())
    barrier = threading.Barrier(2)
    answers = []

    def post():
        c = Client()
        c.force_login(program_admin)
        barrier.wait()
        answers.append(c.post(url, {"name": "Race", FIELD: token}))
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert Journey.objects.filter(name="Race").count() == 1
    assert len(calls) == 1  # the second post never ran the view
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"]


def test_a_double_click_on_move_down_moves_once(org, admin_client_org):
    journey = Journey.objects.create(organization=org, name="Moves")
    a, _b, _c = (
        Stage.objects.create(journey=journey, name=n, position=i) for i, n in enumerate("abc")
    )
    page = admin_client_org.get(reverse("journeys:journey_detail", args=[org.slug, journey.pk]))
    move = reverse("journeys:stage_move", args=[org.slug, a.pk])
    token = token_of(page.content.decode(), move)
    for _ in range(2):
        assert admin_client_org.post(move, {"direction": "down", FIELD: token}).status_code == 302
    names = list(journey.stages.order_by("position").values_list("name", flat=True))
    assert names == ["b", "a", "c"]  # one place down, not two


def test_a_double_click_on_a_section_move_moves_once(org, admin_client_org):
    survey = make_survey(
        org,
        [{"title": t, "questions": [{"code": f"q{t}", "type": "yes_no"}]} for t in "abc"],
        code="moves",
        status=Survey.Status.DRAFT,
    )
    first = survey.sections.order_by("position").first()
    page = admin_client_org.get(reverse("surveys:survey_detail", args=[org.slug, survey.pk]))
    move = reverse("surveys:section_move", args=[org.slug, survey.pk, first.pk])
    token = token_of(page.content.decode(), move)
    for _ in range(2):
        admin_client_org.post(move, {"direction": "down", FIELD: token})
    titles = list(survey.sections.order_by("position").values_list("title", flat=True))
    assert titles == ["b", "a", "c"]
