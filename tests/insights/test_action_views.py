"""Action plan pages: create from a gap, the item page, status and comments, lists, exports,
the summary, and who may see what."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cxaudit.accounts.models import Location, Membership
from cxaudit.insights.actions import services
from cxaudit.insights.actions.models import ActionItem, Status

from . import action_data

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def d(org, location, sent_tasks):
    return action_data.build(org, location, after="none")


def make(org, d, owner, **extra) -> ActionItem:
    fields = {
        "title": "Greet every customer",
        "due_date": timezone.localdate() + dt.timedelta(days=10),
        "root_cause": "expertise",
        **extra,
    }
    location = fields.pop("location", None)
    return services.create_action(
        scope=services.GapScope(
            organization=org,
            wave=d["w1"],
            gap="self_vs_perceived",
            standard=d["standard"],
            location=location,
        ),
        actor=owner,
        owner=owner,
        **fields,
    )


def test_the_form_is_prefilled_from_the_gap_it_came_from(org, d, manager, location):
    url = reverse("insights:action_create", args=[org.slug])
    query = {
        "standard": d["standard"].pk,
        "gap": "self_vs_perceived",
        "wave": d["w1"].pk,
        "location": location.pk,
    }
    form = client_for(manager).get(url, query).context["form"]
    assert (
        form.initial["standard"] == str(d["standard"].pk)
        and form.initial["gap"] == "self_vs_perceived"
    )
    assert form.initial["owner"] == manager.pk


def test_creating_an_action_from_the_form(org, d, manager, location):
    url = reverse("insights:action_create", args=[org.slug])
    data = {
        "wave": d["w1"].pk,
        "standard": d["standard"].pk,
        "location": location.pk,
        "gap": "self_vs_perceived",
        "title": "<script>alert(1)</script> Greet",
        "description": "Train <b>everyone</b>",
        "root_cause": "expertise",
        "owner": manager.pk,
        "due_date": (timezone.localdate() + dt.timedelta(days=20)).isoformat(),
        "priority": "",
        "target_gap": "",
    }
    response = client_for(manager).post(url, data, follow=True)
    item = ActionItem.objects.get()
    assert response.redirect_chain[-1][0].endswith(f"/actions/{item.pk}/")
    body = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Greet" in body and "<script>alert(1)" not in body
    assert "&lt;b&gt;everyone&lt;/b&gt;" in body
    assert item.baseline["diff_100"] == pytest.approx(50.0) and item.location == location


def test_bad_input_is_named_on_the_form(org, d, manager, outsider):
    url = reverse("insights:action_create", args=[org.slug])
    data = {
        "wave": d["w1"].pk,
        "gap": "nope",
        "title": "",
        "root_cause": "luck",
        "owner": outsider.pk,  # another organisation's person
        "due_date": "2020-01-01",
        "target_gap": "1e999",
    }
    response = client_for(manager).post(url, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"gap", "title", "root_cause", "owner", "due_date", "target_gap", "standard"} <= set(
        errors
    )
    assert not ActionItem.objects.exists()


def test_status_and_comments_from_the_item_page(org, d, manager):
    item = make(org, d, manager)
    c = client_for(manager)
    c.post(reverse("insights:action_status", args=[org.slug, item.pk]), {"to": "in_progress"})
    c.post(reverse("insights:action_comment", args=[org.slug, item.pk]), {"text": "<i>started</i>"})
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    page = c.get(reverse("insights:action_detail", args=[org.slug, item.pk])).content.decode()
    assert "&lt;i&gt;started&lt;/i&gt;" in page and "Before and after" in page
    # Verified is not a choice a person makes.
    response = c.post(
        reverse("insights:action_status", args=[org.slug, item.pk]), {"to": "verified"}, follow=True
    )
    assert b"Choose a status" in response.content
    assert ActionItem.objects.get(pk=item.pk).status == Status.IN_PROGRESS


def test_a_reviewer_sees_actions_but_cannot_change_them(org, d, manager, reviewer):
    item = make(org, d, manager)
    c = client_for(reviewer)
    page = c.get(reverse("insights:action_detail", args=[org.slug, item.pk])).content.decode()
    assert "Change status" not in page and "Add comment" not in page
    assert (
        c.post(
            reverse("insights:action_status", args=[org.slug, item.pk]), {"to": "done"}
        ).status_code
        == 403
    )


def test_a_manager_limited_to_some_locations_sees_only_theirs_and_the_organisation_wide(
    org, d, manager, program_admin, location
):
    other = Location.objects.create(organization=org, code="OTH", name="Other station")
    mine = make(org, d, program_admin, location=location, title="Mine")
    theirs = make(org, d, program_admin, location=other, title="Theirs")
    everywhere = make(org, d, program_admin, title="Everywhere")
    Membership.objects.get(user=manager, organization=org).locations.set([location])
    c = client_for(manager)
    listing = c.get(reverse("insights:action_list", args=[org.slug])).content.decode()
    assert "Mine" in listing and "Everywhere" in listing and "Theirs" not in listing
    assert c.get(reverse("insights:action_detail", args=[org.slug, theirs.pk])).status_code == 404
    assert c.get(reverse("insights:action_summary", args=[org.slug, other.pk])).status_code == 404
    assert c.get(reverse("insights:action_detail", args=[org.slug, mine.pk])).status_code == 200
    assert (
        c.get(reverse("insights:action_detail", args=[org.slug, everywhere.pk])).status_code == 200
    )
    export = c.get(reverse("insights:action_export_csv", args=[org.slug]))
    assert b"Theirs" not in b"".join(export.streaming_content)


def test_another_organisations_action_is_not_found(org, d, manager, outsider, other_org):
    item = make(org, d, manager)
    c = client_for(outsider)
    for name in ("insights:action_detail", "insights:action_edit"):
        assert c.get(reverse(name, args=[other_org.slug, item.pk])).status_code == 404


def test_list_filters(org, d, manager, program_admin):
    a = make(org, d, manager, title="Alpha")
    make(org, d, program_admin, title="Beta")
    ActionItem.objects.filter(pk=a.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    c = client_for(manager)
    url = reverse("insights:action_list", args=[org.slug])
    mine = c.get(url, {"mine": "on"}).content.decode()
    assert "Alpha" in mine and "Beta" not in mine
    overdue = c.get(url, {"overdue": "on"}).content.decode()
    assert "Alpha" in overdue and "Beta" not in overdue and "Overdue" in overdue
    assert "No action matches" in c.get(url, {"status": "verified"}).content.decode()
    assert c.get(url, {"status": "exploded", "owner": "x"}).status_code == 200


def test_lists_run_a_constant_number_of_queries(org, d, manager, django_assert_max_num_queries):
    for i in range(12):
        make(org, d, manager, title=f"Item {i}")
    c = client_for(manager)
    for name in ("insights:action_list", "insights:action_board"):
        with django_assert_max_num_queries(12):
            assert c.get(reverse(name, args=[org.slug])).status_code == 200


def test_exports_neutralise_formulas_and_keep_numbers(org, d, manager):
    make(org, d, manager, title='=HYPERLINK("http://evil.test","click")', description="-2+3")
    c = client_for(manager)
    content = b"".join(
        c.get(reverse("insights:action_export_csv", args=[org.slug])).streaming_content
    )
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    cells = dict(zip(header, row, strict=True))
    assert cells["title"] == '\'=HYPERLINK("http://evil.test","click")'
    assert cells["description"] == "'-2+3"
    assert float(cells["gap_before"]) == pytest.approx(50.0)
    from openpyxl import load_workbook

    xlsx = c.get(reverse("insights:action_export_xlsx", args=[org.slug]))
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    values = [cell.value for cell in sheet[2]]
    assert '\'=HYPERLINK("http://evil.test","click")' in values
    assert 50 in values  # a number stays a number (not text)


def test_the_location_summary_prints_its_actions(org, d, manager, location):
    make(org, d, manager, title="Print me", location=location)
    page = client_for(manager).get(reverse("insights:action_summary", args=[org.slug, location.pk]))
    assert b"Print me" in page.content and b'data-action="print"' in page.content


def test_the_dashboard_and_standard_page_offer_to_plan_an_action(org, d, manager, reviewer):
    for user, shown in ((manager, True), (reviewer, False)):
        c = client_for(user)
        url = reverse("insights:standard_detail", args=[org.slug, d["standard"].pk])
        page = c.get(url, {"wave": d["w1"].name}).content.decode()
        assert ("Plan an action" in page) is shown
        dash = c.get(
            reverse("insights:dashboard", args=[org.slug]), {"wave": d["w1"].name}
        ).content.decode()
        assert ("Plan an action" in dash) is shown


def test_planning_an_action_on_another_organisations_gap_is_not_found(org, d, manager, other_org):
    from tests.factories import make_standard, make_wave

    theirs = make_standard(other_org, "THEIRS")
    wave = make_wave(other_org, "Their wave")
    url = reverse("insights:action_create", args=[org.slug])
    c = client_for(manager)
    assert c.get(url, {"standard": theirs.pk, "gap": "delivery"}).status_code == 404
    assert c.get(url, {"wave": wave.pk}).status_code == 404
    assert c.get(url, {"standard": "not-a-number"}).status_code == 404
    assert c.get(url, {"standard": d["standard"].pk}).status_code == 200


def _other_stage_standard(org):
    from cxaudit.journeys.models import Journey, Stage, Touchpoint
    from tests.factories import make_standard

    journey = Journey.objects.create(organization=org, name="Station journey")
    stage = Stage.objects.create(journey=journey, name="Arrival", position=0)
    door = Touchpoint.objects.create(stage=stage, name="Door", channel="in_store")
    return make_standard(org, "DOOR", touchpoint=door)


def test_list_filters_by_owner_location_stage_and_root_cause(
    org, d, manager, program_admin, location
):
    alpha = make(org, d, manager, title="Alpha", location=location, root_cause="technology")
    door = _other_stage_standard(org)
    services.create_action(
        scope=services.GapScope(
            organization=org, wave=d["w1"], gap="self_vs_perceived", standard=door
        ),
        actor=program_admin,
        owner=program_admin,
        title="Beta",
        due_date=timezone.localdate() + dt.timedelta(days=10),
        root_cause="process",
    )
    c = client_for(manager)
    url = reverse("insights:action_list", args=[org.slug])

    def titles(**query):
        items = c.get(url, query).context["items"]
        return sorted(i.title for i in items)

    assert titles() == ["Alpha", "Beta"]
    assert titles(owner=program_admin.pk) == ["Beta"]
    assert titles(owner=manager.pk) == ["Alpha"]
    assert titles(location=location.pk) == ["Alpha"]
    assert titles(stage=door.touchpoint.stage_id) == ["Beta"]
    assert titles(stage=d["standard"].touchpoint.stage_id) == ["Alpha"]
    assert titles(root_cause="technology") == ["Alpha"]
    assert titles(root_cause="process", owner=program_admin.pk) == ["Beta"]
    assert titles(status="active") == ["Alpha", "Beta"]
    services.change_status(item=alpha, actor=manager, to="in_progress")
    assert titles(status="in_progress") == ["Alpha"]
    # A filter naming another organisation's location is a form error, not a leak or a 500.
    from cxaudit.accounts.models import Organization

    elsewhere = Location.objects.create(
        organization=Organization.objects.create(name="Elsewhere", slug="elsewhere"),
        code="ELS",
        name="Elsewhere",
    )
    response = c.get(url, {"location": elsewhere.pk})
    assert response.status_code == 200 and "location" in response.context["form"].errors
    assert response.context["items"] == []


def test_the_board_puts_each_item_in_its_status_column(org, d, manager):
    items = {name: make(org, d, manager, title=name) for name in ("Open one", "Busy", "Finished")}
    services.change_status(item=items["Busy"], actor=manager, to="in_progress")
    services.change_status(item=items["Finished"], actor=manager, to="done")
    gone = make(org, d, manager, title="Dropped")
    services.change_status(item=gone, actor=manager, to="cancelled")
    response = client_for(manager).get(reverse("insights:action_board", args=[org.slug]))
    columns = {
        status.value: [i.title for i in found] for status, found in response.context["columns"]
    }
    assert columns == {
        "open": ["Open one"],
        "in_progress": ["Busy"],
        "reopened": [],
        "done": ["Finished"],
        "verified": [],
    }
    assert b"Dropped" not in response.content  # cancelled items are not on the board


def test_the_heatmap_drill_down_offers_to_plan_an_action(org, d, manager, reviewer):
    tp = d["standard"].touchpoint
    url = reverse("insights:heatmap_touchpoint", args=[org.slug, tp.pk])
    create = reverse("insights:action_create", args=[org.slug])
    page = client_for(manager).get(url, {"wave": d["w1"].pk}).content.decode()
    assert f"{create}?wave={d['w1'].pk}&amp;gap=self_vs_perceived&amp;standard=" in page
    assert f"&amp;touchpoint={tp.pk}" in page  # the touchpoint's own verdict
    assert (
        "Plan an action" not in client_for(reviewer).get(url, {"wave": d["w1"].pk}).content.decode()
    )
    # Following the touchpoint's link prefills the form with it.
    form = (
        client_for(manager)
        .get(create, {"wave": d["w1"].pk, "touchpoint": tp.pk, "gap": "self_vs_perceived"})
        .context["form"]
    )
    assert form.initial["touchpoint"] == str(tp.pk) and form.initial["wave"] == str(d["w1"].pk)
