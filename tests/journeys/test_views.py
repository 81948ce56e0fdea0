import itertools
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cxaudit.accounts.models import Membership, Role
from cxaudit.journeys import definition, services
from cxaudit.journeys.models import Journey, Stage, Standard, Touchpoint, Wave
from tests.conftest import make_user
from tests.factories import make_standard, make_wave

pytestmark = pytest.mark.django_db

XSS = "<script>alert('x')</script>"


def url(name, org, **kwargs):
    return reverse(f"journeys:{name}", kwargs={"org_slug": org.slug, **kwargs})


def test_build_a_journey_through_the_pages(admin_client_org, org):
    c = admin_client_org
    response = c.post(url("journey_create", org), {"name": "Support", "description": ""})
    journey = Journey.objects.get(organization=org)
    assert response.status_code == 302
    for name in ["Ask", "Resolve"]:
        c.post(url("stage_create", org, pk=journey.pk), {"name": name, "description": ""})
    ask, resolve = Stage.objects.filter(journey=journey).order_by("position")
    c.post(
        url("touchpoint_create", org, pk=ask.pk),
        {"stage": ask.pk, "name": "Call", "channel": "phone", "is_moment_that_matters": "on"},
    )
    tp = Touchpoint.objects.get(stage=ask)
    response = c.post(
        url("standard_create", org, pk=tp.pk),
        {
            "code": "RESP-PHONE-01",
            "name": "Answered within 60 seconds",
            "dimension": "responsiveness",
            "importance": 5,
            "target_comparator": "lte",
            "target_value": "60",
            "target_unit": "seconds",
            "promise": "",
            "description": "",
        },
    )
    assert response.status_code == 302, response.content
    assert Standard.objects.get(code="RESP-PHONE-01").target_display == "≤ 60 seconds"
    response = c.post(url("stage_move", org, pk=resolve.pk), {"direction": "up"})
    assert response["Location"].endswith(f"#stage-{resolve.pk}-up")
    assert list(journey.stages.order_by("position").values_list("name", flat=True)) == [
        "Resolve",
        "Ask",
    ]
    page = c.get(url("journey_map", org, pk=journey.pk)).content.decode()
    assert "Answered within 60 seconds" in page and "Moment that matters" in page
    assert "Stage 1: </span>Resolve" in page and "Stage 2: </span>Ask" in page


def test_standard_form_errors_for_a_target_without_unit_and_a_used_code(admin_client_org, org):
    std = make_standard(org, "USED-1")
    data = {
        "code": "USED-1",
        "name": "X",
        "dimension": "empathy",
        "importance": 3,
        "target_comparator": "lte",
        "target_value": "5",
        "target_unit": "",
    }
    response = admin_client_org.post(url("standard_create", org, pk=std.touchpoint_id), data)
    assert response.status_code == 200
    assert "needs a unit" in response.content.decode()
    data["target_unit"] = "minutes"
    response = admin_client_org.post(url("standard_create", org, pk=std.touchpoint_id), data)
    assert "already uses the code USED-1" in response.content.decode()
    assert Standard.objects.count() == 1


def test_delete_asks_for_confirmation_first(admin_client_org, org):
    std = make_standard(org)
    response = admin_client_org.get(url("touchpoint_delete", org, pk=std.touchpoint_id))
    assert b"cannot be undone" in response.content
    assert Touchpoint.objects.exists()
    admin_client_org.post(url("touchpoint_delete", org, pk=std.touchpoint_id))
    assert not Touchpoint.objects.exists()


def test_duplicate_archive_and_edit_controls(admin_client_org, org):
    std = make_standard(org, "D-1")
    journey = std.touchpoint.stage.journey
    admin_client_org.post(url("journey_duplicate", org, pk=journey.pk))
    assert Standard.objects.filter(code="D-1-copy").exists()
    admin_client_org.post(url("journey_archive", org, pk=journey.pk))
    journey.refresh_from_db()
    assert journey.status == Journey.Status.ARCHIVED
    page = admin_client_org.get(url("journey_detail", org, pk=journey.pk)).content.decode()
    assert "Add stage" not in page and "Restore" in page
    response = admin_client_org.post(url("stage_move", org, pk=std.touchpoint.stage_id))
    assert response.status_code == 302  # refused with a message, nothing changed


def test_manager_sees_the_map_without_edit_controls(roles, org):
    std = make_standard(org)
    page = roles.client("manager").get(
        url("journey_detail", org, pk=std.touchpoint.stage.journey_id)
    )
    assert page.status_code == 200
    assert b"Add stage" not in page.content and b"Move stage" not in page.content


def test_manager_of_another_organisation_gets_404(org, other_org):
    std = make_standard(org)
    journey_id = std.touchpoint.stage.journey_id
    stranger = make_user("manager@other.test")
    Membership.objects.create(user=stranger, organization=other_org, role=Role.CLIENT_MANAGER)
    c = Client()
    c.force_login(stranger)
    # Their own organisation's URL with this organisation's ids: still 404.
    for name, pk in [
        ("journey_map", journey_id),
        ("journey_detail", journey_id),
        ("journey_export", journey_id),
    ]:
        assert c.get(url(name, other_org, pk=pk)).status_code == 404
        assert c.get(url(name, org, pk=pk)).status_code == 404


def test_user_text_is_escaped_on_list_detail_and_map(admin_client_org, org):
    journey = services.create_journey(organization=org, name=XSS, description=XSS)
    stage = services.add_stage(journey=journey, name=XSS)
    tp = services.add_touchpoint(
        stage=stage, name=XSS, channel="chat", customer_expectation=XSS, pain_points=XSS
    )
    std = services.add_standard(
        touchpoint=tp, code="X-1", name=XSS, dimension="empathy", promise=XSS
    )
    for name, kwargs in [
        ("journey_list", {}),
        ("journey_detail", {"pk": journey.pk}),
        ("journey_map", {"pk": journey.pk}),
        ("stage_edit", {"pk": stage.pk}),
        ("touchpoint_delete", {"pk": tp.pk}),
        ("standard_edit", {"pk": std.pk}),
    ]:
        html = admin_client_org.get(url(name, org, **kwargs)).content.decode()
        assert XSS not in html, name
        assert "&lt;script&gt;" in html, name
    # The success message repeats the name: escaped too.
    response = admin_client_org.post(
        url("journey_create", org), {"name": XSS, "description": ""}, follow=True
    )
    assert XSS not in response.content.decode()


_codes = itertools.count()


def _grow(journey, stages: int, org):
    for s in range(stages):
        stage = services.add_stage(journey=journey, name=f"S{s}")
        for t in range(3):
            tp = services.add_touchpoint(stage=stage, name=f"T{s}.{t}", channel="web")
            for _ in range(3):
                services.add_standard(
                    touchpoint=tp, code=f"C{next(_codes)}", name="N", dimension="empathy"
                )


@pytest.mark.parametrize("page", ["journey_map", "journey_detail", "journey_list"])
def test_query_count_does_not_grow_with_the_journey(
    admin_client_org, org, django_assert_max_num_queries, page
):
    journey = services.create_journey(organization=org, name="Q")
    _grow(journey, 1, org)
    kwargs = {} if page == "journey_list" else {"pk": journey.pk}
    with django_assert_max_num_queries(12) as small:
        admin_client_org.get(url(page, org, **kwargs))
    _grow(journey, 4, org)
    _grow(services.create_journey(organization=org, name="Another"), 2, org)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert admin_client_org.get(url(page, org, **kwargs)).status_code == 200


def test_import_upload_export_download(admin_client_org, org, other_org):
    make_standard(other_org, "A-1")
    document = definition.dumps(
        {
            "format": "cxaudit.journey",
            "version": 1,
            "journey": {
                "name": "Uploaded",
                "stages": [{"position": 1, "name": "Only", "touchpoints": []}],
            },
        }
    )
    upload = SimpleUploadedFile("j.json", document.encode(), content_type="application/json")
    response = admin_client_org.post(url("journey_import", org), {"file": upload})
    journey = Journey.objects.get(organization=org, name="Uploaded")
    assert response.status_code == 302
    response = admin_client_org.get(url("journey_export", org, pk=journey.pk))
    assert response["Content-Disposition"] == 'attachment; filename="uploaded.journey.json"'
    exported = json.loads(response.content)
    assert exported["journey"]["stages"][0]["name"] == "Only"
    all_journeys = json.loads(admin_client_org.get(url("journey_export_all", org)).content)
    assert [j["name"] for j in all_journeys["journeys"]] == ["Uploaded"]


def test_import_upload_shows_every_error_with_its_path(admin_client_org, org):
    tp = {"position": 1, "name": "T", "channel": "fax"}
    stage = {"position": 1, "name": "<b>x</b>", "touchpoints": [tp]}
    bad = json.dumps(
        {"format": "cxaudit.journey", "version": 1, "journey": {"name": "", "stages": [stage]}}
    ).encode()
    upload = SimpleUploadedFile("bad.json", bad)
    response = admin_client_org.post(url("journey_import", org), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "journey.stages[0].touchpoints[0].channel" in html and "unknown channel" in html
    assert "journey.name" in html and "Nothing was imported" in html
    assert not Journey.objects.exists()


def test_import_upload_refuses_a_5_mb_file(admin_client_org, org):
    upload = SimpleUploadedFile("big.json", b" " * (5 * 1024 * 1024))
    response = admin_client_org.post(url("journey_import", org), {"file": upload})
    assert "the limit is 2 MB" in response.content.decode()
    assert "At most 2 MB" in response.content.decode()
    assert not Journey.objects.exists()


def test_waves_create_edit_open_close(admin_client_org, org):
    response = admin_client_org.post(
        url("wave_create", org),
        {"name": "2027 Q1", "starts_on": "2027-01-01", "ends_on": "2027-03-31"},
    )
    assert response.status_code == 302
    wave = Wave.objects.get(organization=org)
    assert wave.status == Wave.Status.PLANNED
    response = admin_client_org.post(
        url("wave_edit", org, pk=wave.pk),
        {"name": "2027 Q1", "starts_on": "2027-03-01", "ends_on": "2027-01-01"},
    )
    assert "cannot end before it starts" in response.content.decode()
    admin_client_org.post(url("wave_open", org, pk=wave.pk))
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.OPEN
    admin_client_org.post(url("wave_close", org, pk=wave.pk))
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.CLOSED
    page = admin_client_org.get(url("wave_list", org)).content.decode()
    assert "Reopen" in page


def test_dashboard_tile_and_nav(admin_client_org, org):
    make_standard(org)
    make_wave(org, "2026 Q4", status="open")
    html = admin_client_org.get(reverse("accounts:org_home", args=[org.slug])).content.decode()
    assert "2026 Q4" in html and "open wave" in html
    assert url("journey_list", org) in html and url("wave_list", org) in html


def test_map_partial_shows_annotations_for_the_heatmap(org):
    from django.template.loader import render_to_string

    std = make_standard(org, "H-1")
    journey = Journey.objects.with_structure().get(pk=std.touchpoint.stage.journey_id)
    html = render_to_string(
        "journeys/_map.html",
        {
            "stages": journey.stages.all(),
            "annotations": {
                std.touchpoint_id: {
                    "css": "gap-bad",
                    "label": "−18 <pts>",
                    "title": "self-assessed vs perceived",
                    "url": "/drill/1?a=1&b=2",
                }
            },
            "standard_annotations": {std.pk: {"css": "gap-warn", "label": "−4"}},
        },
    )
    assert "touchpoint-card gap-bad" in html and "−18 &lt;pts&gt;" in html
    assert 'href="/drill/1?a=1&amp;b=2"' in html and "self-assessed vs perceived" in html
    assert "standard-item gap-warn" in html and "−4" in html
    plain = render_to_string("journeys/_map.html", {"stages": journey.stages.all()})
    assert "gap-" not in plain and "annotation-badge" not in plain
