"""Class 4 of the hostile-input issue: a limit is honoured by every way in. A client manager
limited to some locations (cxaudit.accounts.scope.LocationScope) sees nothing of another
location through any page, list, export, form choice, filter or object URL.

Object URLs are in the permission matrix (tests/test_permission_matrix.py, Row.located); this
module covers what a matrix cannot: the content of lists, exports and pages, form choices,
and objects that mix locations (response imports).

Before the fix: the evidence file of another location's response was served to a limited
manager by its URL, and a limited manager could keep answering a draft of a location taken
out of their limit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from cxaudit.accounts.models import Membership
from cxaudit.accounts.scope import LocationScope
from cxaudit.insights.actions.models import ActionItem
from surveys.models import Evidence, Question
from surveys.responses.services import record_response, start_response
from tests.factories import make_standard, make_survey, make_wave

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def data(org, inside, outside, manager, sent_tasks):
    """At each location: one shop (a verbatim naming the location, a PDF as evidence), an
    action item and a KPI value."""
    from cxaudit.insights.kpis.models import Kpi, KpiValue

    standard = make_standard(org, "SCOPE-1", channel="in_store")
    wave = make_wave(org, "2026 Q3")
    survey = make_survey(
        org,
        [
            {
                "questions": [
                    {"code": "ok", "type": "yes_no", "standard": standard, "aspect": "perception"},
                    {"code": "said", "type": "long_text"},
                    {"code": "photo", "type": "file", "points": 0},
                ]
            }
        ],
        code="scope",
    )
    kpi = Kpi.objects.create(organization=org, code="FCR", name="First contact resolution")
    kpi.standards.add(standard)
    out = {"standard": standard, "wave": wave}
    for where, value in ((inside, "1111.5"), (outside, "4242.5")):
        response = record_response(
            survey=survey,
            source="shopper",
            raw_answers={"ok": "yes", "said": f"said-at-{where.code}"},
            wave=wave,
            location=where,
        )
        evidence = Evidence(
            organization=org,
            response=response,
            question=Question.objects.get(survey=survey, code="photo"),
            content_type="application/pdf",
            size=9,
        )
        evidence.file.save("e.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
        item = ActionItem.objects.create(
            organization=org,
            standard=standard,
            location=where,
            wave=wave,
            gap="self_vs_perceived",
            title=f"Action-at-{where.code}",
            root_cause="process",
            owner=manager,
            due_date=dt.date(2030, 1, 1),
        )
        KpiValue.objects.create(kpi=kpi, location=where, wave=wave, value=value)
        out[where.code] = {"response": response, "evidence": evidence, "item": item}
    out["org_wide"] = ActionItem.objects.create(
        organization=org,
        standard=standard,
        wave=wave,
        gap="self_vs_perceived",
        title="Action-everywhere",
        root_cause="process",
        owner=manager,
        due_date=dt.date(2030, 1, 1),
    )
    return out


# --- the helper itself ---------------------------------------------------------------------


def test_the_scope_of_a_limited_manager(org, inside, outside, limited_manager, manager):
    scope = LocationScope.of(Membership.objects.get(user=limited_manager))
    assert scope.limited and list(scope.locations()) == [inside]
    assert scope.allows(inside.pk) and not scope.allows(outside.pk)
    assert not scope.allows(None) and scope.allows(None, org_wide=True)
    assert scope.only_locations == [inside]
    unlimited = LocationScope.of(Membership.objects.get(user=manager))
    assert not unlimited.limited and unlimited.allows(outside.pk) and unlimited.allows(None)
    assert unlimited.only_locations is None


def test_only_client_managers_are_limited(org, inside, reviewer):
    membership = Membership.objects.get(user=reviewer)
    membership.locations.set([inside])  # stored by mistake on another role: no effect
    assert not LocationScope.of(membership).limited


# --- evidence and drafts --------------------------------------------------------------------


def _evidence_url(org, evidence):
    return reverse("surveys:evidence_file", args=[org.slug, evidence.key])


def test_evidence_of_another_location_is_not_found(org, data, limited_manager, manager):
    limited = client_for(limited_manager)
    assert limited.get(_evidence_url(org, data["LIM-IN"]["evidence"])).status_code == 200
    assert limited.get(_evidence_url(org, data["LIM-OUT"]["evidence"])).status_code == 404
    assert (
        client_for(manager).get(_evidence_url(org, data["LIM-OUT"]["evidence"])).status_code == 200
    )


def test_a_draft_taken_out_of_the_limit_is_not_found(org, data, limited_manager, inside, outside):
    draft = start_response(
        survey=data["LIM-IN"]["response"].survey,
        source="self",
        respondent=limited_manager,
        location=inside,
    )
    url = reverse("surveys:respond", args=[org.slug, draft.client_id])
    client = client_for(limited_manager)
    assert client.get(url).status_code == 200
    Membership.objects.get(user=limited_manager).locations.set([outside])
    assert client.get(url).status_code == 404


# --- lists, exports and pages ---------------------------------------------------------------


def _text(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode("utf-8-sig", errors="replace")
    return response.content.decode()


ACTION_PAGES = ["insights:action_list", "insights:action_board", "insights:action_export_csv"]


@pytest.mark.parametrize("name", ACTION_PAGES)
def test_action_lists_and_exports_leave_out_other_locations(org, data, limited_manager, name):
    text = _text(client_for(limited_manager).get(reverse(name, args=[org.slug])))
    assert "Action-at-LIM-IN" in text and "Action-everywhere" in text
    assert "Action-at-LIM-OUT" not in text


def test_the_xlsx_export_leaves_out_other_locations(org, data, limited_manager, manager):
    def titles(user):
        answer = client_for(user).get(reverse("insights:action_export_xlsx", args=[org.slug]))
        book = load_workbook(io.BytesIO(b"".join(answer.streaming_content)))
        return {row[1] for row in book.active.iter_rows(min_row=2, values_only=True)}

    assert titles(limited_manager) == {"Action-at-LIM-IN", "Action-everywhere"}
    assert "Action-at-LIM-OUT" in titles(manager)


def test_filtering_actions_by_another_location_shows_nothing(org, data, limited_manager, outside):
    url = reverse("insights:action_export_csv", args=[org.slug]) + f"?location={outside.pk}"
    rows = list(csv.reader(io.StringIO(_text(client_for(limited_manager).get(url)))))
    assert len(rows) == 1  # the header only


def test_an_action_cannot_be_planned_at_another_location(org, data, limited_manager, outside):
    url = reverse("insights:action_create", args=[org.slug])
    client = client_for(limited_manager)
    assert client.get(url + f"?location={outside.pk}").status_code == 404
    answer = client.post(
        url,
        {
            "wave": data["wave"].pk,
            "standard": data["standard"].pk,
            "location": outside.pk,
            "gap": "self_vs_perceived",
            "title": "Sneaky",
            "root_cause": "process",
            "owner": limited_manager.pk,
            "due_date": "2030-01-01",
        },
    )
    assert answer.status_code == 200 and "Select a valid choice" in answer.content.decode()
    assert not ActionItem.objects.filter(title="Sneaky").exists()


def test_the_drill_down_lists_only_answers_and_evidence_of_the_limit(
    org, data, limited_manager, manager
):
    tp = data["standard"].touchpoint
    url = reverse("insights:heatmap_touchpoint", args=[org.slug, tp.pk])
    text = _text(client_for(limited_manager).get(url))
    assert "said-at-LIM-IN" in text and "said-at-LIM-OUT" not in text
    assert str(data["LIM-IN"]["evidence"].key) in text
    assert str(data["LIM-OUT"]["evidence"].key) not in text
    assert "said-at-LIM-OUT" in _text(client_for(manager).get(url))


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("insights:league", ""),
        ("insights:kpi_list", ""),
        ("accounts:location_list", ""),
        ("insights:gap_report_download", "?format=json"),
        ("insights:gap_report_download", "?format=csv"),
    ],
)
def test_pages_and_downloads_name_or_count_no_other_location(
    org, data, limited_manager, manager, name, query
):
    """Nothing of the outside location: not its code, not its KPI value in a figure (the
    figure is the inside value alone: 1111.5, where everything gives the mean 2677)."""
    url = reverse(name, args=[org.slug]) + query
    mine, everyone = (_text(client_for(u).get(url)) for u in (limited_manager, manager))
    assert "LIM-OUT" not in mine and "4242" not in mine and "2677" not in mine
    assert "LIM-OUT" in everyone or "2677" in everyone or "4242" in everyone


@pytest.mark.parametrize(
    "name", ["insights:dashboard", "insights:standard_detail", "insights:wave_planner"]
)
def test_a_filter_on_another_location_is_refused(org, data, limited_manager, outside, name):
    args = [org.slug, data["standard"].pk] if name == "insights:standard_detail" else [org.slug]
    pk_or_code = outside.pk if name == "insights:wave_planner" else outside.code
    answer = client_for(limited_manager).get(
        reverse(name, args=args) + f"?location={pk_or_code}&wave={data['wave'].name}"
    )
    assert answer.status_code == 200
    assert not answer.context["form"].is_valid()
    assert "location" in answer.context["form"].errors


def test_the_gap_report_of_a_limited_manager_counts_only_the_limit(org, data, limited_manager):
    url = reverse("insights:gap_report_download", args=[org.slug]) + "?format=json"
    report = json.loads(_text(client_for(limited_manager).get(url)))
    standard = next(s for s in report["standards"] if s["code"] == "SCOPE-1")
    assert standard["perspectives"]["observed"]["n"] == 1  # the shop inside only


def test_the_home_page_counts_only_the_limit(org, data, limited_manager):
    answer = client_for(limited_manager).get(reverse("accounts:org_home", args=[org.slug]))
    assert answer.context["stats"]["locations"] == 1


def test_self_assessments_are_asked_only_for_the_limit(org, limited_manager, inside):
    from surveys.models import SelfAssessmentRound, Survey

    survey = make_survey(
        org,
        [{"questions": [{"code": "q", "type": "rating"}]}],
        code="sa",
        kind=Survey.Kind.SELF_ASSESSMENT,
    )
    SelfAssessmentRound.objects.create(organization=org, survey=survey, wave=make_wave(org, "W"))
    answer = client_for(limited_manager).get(reverse("surveys:selfassess_mine", args=[org.slug]))
    assert [item.location for item in answer.context["items"]] == [inside]


# --- objects that mix locations -------------------------------------------------------------


@pytest.fixture
def managers_import(monkeypatch):
    """Client managers given the import capability, as a deployment could: the scope must
    still keep a limited one out of imports, which hold rows of any location."""
    from cxaudit.accounts import capabilities
    from cxaudit.accounts.capabilities import Cap

    roles = dict(capabilities.ROLE_CAPABILITIES)
    roles["client_manager"] = roles["client_manager"] | {Cap.IMPORT_RESPONSES}
    monkeypatch.setattr(capabilities, "ROLE_CAPABILITIES", roles)


@pytest.mark.parametrize("name", ["import_list", "import_new", "import_detail", "import_status"])
def test_a_limited_manager_gets_no_response_import(
    org, limited_manager, manager, managers_import, name
):
    from tests.surveys.matrix_imports import _import

    kwargs = _import(org) if name in ("import_detail", "import_status") else {}
    url = reverse(f"surveys:{name}", kwargs={"org_slug": org.slug, **kwargs})
    assert client_for(limited_manager).get(url).status_code == 404
    assert client_for(manager).get(url).status_code == 200
