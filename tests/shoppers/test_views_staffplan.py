"""The staff's planning pages, through the views: the panel of shoppers and its decisions,
the programme's settings, scenarios, shops one by one and in bulk (preview, then create), and a
shop's page with its actions. Each form's bad input is refused with an error naming the field;
replays make nothing twice; a shop changed meanwhile is reported, never a server error; the
lists take a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cxaudit.accounts.models import Location
from cxaudit.accounts.once import new_token
from shoppers import emails
from shoppers.models import (
    Assignment,
    AssignmentEvent,
    JobRequest,
    Scenario,
    ShopperProfile,
    ShopperProgramme,
)
from shoppers.scheduling import services as scheduling
from tests.shoppers.conftest import add_shopper
from tests.shoppers.shops import make_shop, queued

S = Assignment.Status
pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, org, *args) -> str:
    return reverse(f"shoppers:{name}", args=[org.slug, *args])


def local(moment: dt.datetime) -> str:
    """What a datetime-local input sends."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def errors(response) -> dict:
    return dict(response.context["form"].errors)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def staff(program_admin) -> Client:
    return client_of(program_admin)


# -- the panel -----------------------------------------------------------------------------------


def test_panel_lists_shoppers_with_their_filters_and_shop_counts(
    org, staff, ann, bob, scenario, location, wave
):
    add_shopper(org, "pat@shoppers.test", status=ShopperProfile.Status.PENDING, home_region="North")
    ShopperProfile.objects.filter(user=ann).update(rating=Decimal("4.5"))
    make_shop(S.ASSIGNED, scenario=scenario, location=location, wave=wave, shopper=ann)
    make_shop(S.APPROVED, scenario=scenario, location=location, wave=wave, shopper=ann)

    page = staff.get(url("panel", org))
    assert page.status_code == 200
    rows = {p.user.email: p for p in page.context["page"].object_list}
    assert next(iter(rows)) == "pat@shoppers.test"  # applications first
    assert (rows["ann@shoppers.test"].shops_held, rows["ann@shoppers.test"].shops_approved) == (
        1,
        1,
    )
    assert rows["ann@shoppers.test"].shops_total == 2 and rows["bob@shoppers.test"].shops_total == 0
    assert b"1 application waiting for approval" in page.content

    def emails_of(**query):
        return [p.user.email for p in staff.get(url("panel", org), query).context["page"]]

    assert emails_of(status="pending") == ["pat@shoppers.test"]
    assert emails_of(region="South") == ["bob@shoppers.test"]
    assert emails_of(min_rating="4") == ["ann@shoppers.test"]
    assert emails_of(q="BOB") == ["bob@shoppers.test"]


def test_panel_filters_refuse_bad_values_naming_the_field(org, staff, ann):
    page = staff.get(url("panel", org), {"status": "nonsense", "min_rating": "9"})
    assert page.status_code == 200
    assert set(errors(page)) == {"status", "min_rating"}
    assert b"Status: Select a valid choice" in page.content
    assert [p.user for p in page.context["page"]] == [ann]  # shown unfiltered by them


def test_panel_takes_a_constant_number_of_queries(
    org, staff, scenario, location, wave, django_assert_max_num_queries
):
    add_shopper(org, "s0@shoppers.test", home_region="North")
    staff.get(url("panel", org))
    with django_assert_max_num_queries(30) as few:
        staff.get(url("panel", org))
    for n in range(1, 25):
        user = add_shopper(org, f"s{n}@shoppers.test", home_region=f"R{n % 4}")
        make_shop(S.ASSIGNED, scenario=scenario, location=location, wave=wave, shopper=user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = staff.get(url("panel", org), {"status": "active"})
    assert len(page.context["page"].object_list) == 25


def test_staff_approve_decline_and_deactivate_shoppers(org, staff, ann):
    pat = add_shopper(org, "pat@shoppers.test", status=ShopperProfile.Status.PENDING)
    kim = add_shopper(org, "kim@shoppers.test", status=ShopperProfile.Status.PENDING)
    pat_p = ShopperProfile.objects.get(user=pat)
    kim_p = ShopperProfile.objects.get(user=kim)
    ann_p = ShopperProfile.objects.get(user=ann)

    page = staff.post(url("shopper_approve", org, pat_p.pk), {"seen": "pending"}, follow=True)
    assert "pat is an active shopper." in messages_of(page)
    staff.post(url("shopper_decline", org, kim_p.pk), {"seen": "pending"})
    staff.post(url("shopper_deactivate", org, ann_p.pk), {"seen": "active"})
    statuses = dict(ShopperProfile.objects.values_list("user__email", "status"))
    assert statuses == {
        "pat@shoppers.test": "active",
        "kim@shoppers.test": "declined",
        "ann@shoppers.test": "inactive",
    }
    assert [p for p, *_ in queued(emails.WELCOME)] == [emails.WELCOME]  # pat's welcome only


def test_a_decision_on_a_shopper_changed_meanwhile_is_reported_and_not_applied(org, staff):
    pat = add_shopper(org, "pat@shoppers.test", status=ShopperProfile.Status.PENDING)
    profile = ShopperProfile.objects.get(user=pat)
    # Another member of staff declined the application after this page was shown.
    ShopperProfile.objects.filter(pk=profile.pk).update(status=ShopperProfile.Status.DECLINED)
    page = staff.post(url("shopper_approve", org, profile.pk), {"seen": "pending"}, follow=True)
    assert page.status_code == 200
    assert any("changed meanwhile" in m and "declined" in m for m in messages_of(page))
    assert ShopperProfile.objects.get(pk=profile.pk).status == "declined"
    # The same click replayed, and a click without the status the page showed: refused.
    page = staff.post(url("shopper_deactivate", org, profile.pk), {}, follow=True)
    assert (
        page.status_code == 200 and ShopperProfile.objects.get(pk=profile.pk).status == "declined"
    )


def test_shopper_page_shows_the_profile_and_saves_the_exclusions(
    org, staff, ann, location, second_location, other_location, scenario, wave
):
    profile = ShopperProfile.objects.get(user=ann)
    make_shop(S.SUBMITTED, scenario=scenario, location=location, wave=wave, shopper=ann)
    page = staff.get(url("shopper_detail", org, profile.pk))
    assert page.status_code == 200
    assert b"Ask for a refund at the desk" in page.content
    assert reverse(
        "shoppers:shop_detail", args=[org.slug, Assignment.objects.get().pk]
    ).encode() in (page.content)

    done = staff.post(
        url("shopper_exclusions", org, profile.pk),
        {"excluded_locations": [second_location.pk], "staff_notes": "Works at <Manchester>"},
    )
    assert done.status_code == 302
    profile.refresh_from_db()
    assert list(profile.excluded_locations.all()) == [second_location]
    assert profile.staff_notes == "Works at <Manchester>"
    page = staff.get(url("shopper_detail", org, profile.pk))
    assert b"Works at &lt;Manchester&gt;" in page.content

    # A location of another organisation is not a choice: the field says so, nothing changes.
    bad = staff.post(
        url("shopper_exclusions", org, profile.pk), {"excluded_locations": [other_location.pk]}
    )
    assert bad.status_code == 200 and "excluded_locations" in errors(bad)
    bad = staff.post(url("shopper_exclusions", org, profile.pk), {"staff_notes": "a\x00b"})
    assert bad.status_code == 200 and "staff_notes" in errors(bad)
    assert list(profile.excluded_locations.all()) == [second_location]


def test_programme_settings_save_and_refuse_bad_values_naming_the_field(org, staff):
    programme = ShopperProgramme.of(org)
    data = {
        "accepting_applications": "on",
        "terms": "Be honest.",
        "currency": "eur",
        "lockout_days": "14",
        "daily_self_assign_limit": "2",
        "open_limit": "4",
        "report_grace_hours": "12",
        "return_days": "5",
        "gps_tolerance_m": "300",
        "photo_time_tolerance_minutes": "60",
        "min_seconds_per_answer": "3",
    }
    assert staff.post(url("programme_settings", org), data).status_code == 302
    programme.refresh_from_db()
    assert (programme.currency, programme.lockout_days, programme.open_limit) == ("EUR", 14, 4)

    bad = staff.post(
        url("programme_settings", org),
        {**data, "currency": "EURO", "lockout_days": "-1", "open_limit": "0", "terms": ""},
    )
    assert bad.status_code == 200
    assert set(errors(bad)) == {"currency", "lockout_days", "open_limit", "terms"}
    programme.refresh_from_db()
    assert programme.lockout_days == 14


# -- scenarios -----------------------------------------------------------------------------------


def scenario_data(std, visit_form, **extra) -> dict:
    return {
        "touchpoint": std.touchpoint.pk,
        "title": "Phone about <script>lost property</script>",
        "brief": "Call and ask <b>where</b> lost property goes.\nNote the wait.",
        "survey": visit_form.pk,
        "fee": "18.50",
        "expense_cap": "0",
        "required_evidence": "",
        "receipt_question": "",
        "allow_self_assign": "on",
        "regions_text": "North, South, North",
        "languages_text": "EN, fr",
        "age_bands": ["25-34"],
        "genders": [],
        "min_rating": "",
        "certification_survey": "",
        "pass_percent": "80",
        **extra,
    }


def test_staff_create_a_scenario_once_and_its_brief_is_shown_escaped(
    org, staff, std, visit_form, location, wave, program_admin
):
    data = {**scenario_data(std, visit_form), "once": new_token()}
    assert staff.post(url("scenario_create", org), data).status_code == 302
    replay = staff.post(url("scenario_create", org), data, follow=True)  # a double click
    assert replay.status_code == 200
    scenario = Scenario.objects.get()
    assert (scenario.regions, scenario.languages, scenario.age_bands) == (
        ["North", "South"],
        ["en", "fr"],
        ["25-34"],
    )
    assert scenario.fee == Decimal("18.50") and scenario.organization == org

    listing = staff.get(url("scenario_list", org))
    assert b"&lt;script&gt;lost property&lt;/script&gt;" in listing.content
    assert b"<script>lost property" not in listing.content
    shop = scheduling.create_assignment(
        organization=org,
        scenario=scenario,
        location=location,
        wave=wave,
        window_start=timezone.now(),
        window_end=timezone.now() + dt.timedelta(days=2),
        actor=program_admin,
    )
    page = staff.get(url("shop_detail", org, shop.pk))
    assert b"Call and ask &lt;b&gt;where&lt;/b&gt;" in page.content
    assert b"<b>where</b>" not in page.content


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "  "}, "title"),
        ({"brief": ""}, "brief"),
        ({"fee": "-1"}, "fee"),
        ({"fee": "abc"}, "fee"),
        ({"expense_cap": "5"}, "receipt_question"),  # a refund needs a receipt question
        ({"receipt_question": "nope"}, "receipt_question"),
        ({"languages_text": "english!"}, "languages_text"),
        ({"min_rating": "7"}, "min_rating"),
        ({"pass_percent": "0"}, "pass_percent"),
        ({"age_bands": ["90+"]}, "age_bands"),
        ({"touchpoint": "999999"}, "touchpoint"),
        ({"survey": ""}, "survey"),
        ({"title": "a\x00b"}, "title"),
    ],
)
def test_scenario_form_refuses_bad_input_naming_the_field(
    org, staff, std, visit_form, change, field
):
    page = staff.post(url("scenario_create", org), scenario_data(std, visit_form, **change))
    assert page.status_code == 200
    assert field in errors(page), errors(page)
    assert not Scenario.objects.exists()


def test_a_survey_of_another_kind_or_organisation_is_not_a_visit_form(
    org, other_org, staff, std, visit_form
):
    from surveys.models import Survey
    from tests.factories import make_survey

    quiz = make_survey(
        org, [{"questions": [{"code": "q", "type": "yes_no"}]}], code="quiz", kind="certification"
    )
    theirs = make_survey(other_org, [{"questions": [{"code": "q", "type": "yes_no"}]}], code="v")
    for survey in (quiz, theirs):
        page = staff.post(
            url("scenario_create", org), scenario_data(std, visit_form, survey=survey.pk)
        )
        assert "survey" in errors(page)
    page = staff.post(
        url("scenario_create", org),
        scenario_data(std, visit_form, certification_survey=visit_form.pk),
    )
    assert "certification_survey" in errors(page)
    assert Survey.objects.filter(pk=quiz.pk).exists() and not Scenario.objects.exists()


def test_staff_edit_archive_and_restore_a_scenario(org, staff, scenario, std, visit_form):
    page = staff.get(url("scenario_edit", org, scenario.pk))
    assert page.status_code == 200
    assert b"Ask for a refund of a &lt;b&gt;day return&lt;/b&gt;." in page.content
    data = scenario_data(
        std, visit_form, title="Refund at the desk", expense_cap="10", receipt_question="receipt"
    )
    assert staff.post(url("scenario_edit", org, scenario.pk), data).status_code == 302
    scenario.refresh_from_db()
    assert scenario.title == "Refund at the desk" and scenario.receipt_question == "receipt"
    bad = staff.post(url("scenario_edit", org, scenario.pk), {**data, "fee": ""})
    assert "fee" in errors(bad)

    staff.post(url("scenario_archive", org, scenario.pk))
    assert not Scenario.objects.get(pk=scenario.pk).is_active
    archived = staff.get(url("scenario_list", org), {"show": "archived"})
    assert [s.pk for s in archived.context["page"]] == [scenario.pk]
    assert list(staff.get(url("scenario_list", org)).context["page"]) == []
    staff.post(url("scenario_archive", org, scenario.pk), {"restore": "1"})
    assert Scenario.objects.get(pk=scenario.pk).is_active


# -- one shop ------------------------------------------------------------------------------------


def shop_data(scenario, location, wave, **extra) -> dict:
    now = timezone.now()
    return {
        "scenario": scenario.pk,
        "location": location.pk,
        "wave": wave.pk,
        "window_start": local(now),
        "window_end": local(now + dt.timedelta(days=3)),
        "shopper": "",
        **extra,
    }


def test_staff_create_one_shop_open_or_given_to_a_shopper(
    org, staff, scenario, location, wave, ann
):
    data = {**shop_data(scenario, location, wave), "once": new_token()}
    done = staff.post(url("shop_create", org), data)
    shop = Assignment.objects.get()
    assert done["Location"] == url("shop_detail", org, shop.pk)
    assert shop.status == S.OPEN and shop.created_by is not None
    staff.post(url("shop_create", org), data)  # the same form sent again
    assert Assignment.objects.count() == 1

    staff.post(url("shop_create", org), shop_data(scenario, location, wave, shopper=ann.pk))
    given = Assignment.objects.exclude(pk=shop.pk).get()
    assert (given.status, given.shopper) == (S.ASSIGNED, ann)
    assert [to for *_, to in queued(emails.CONFIRMED)] == [ann.email]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scenario": ""}, "scenario"),
        ({"location": "999999"}, "location"),
        ({"wave": "x"}, "wave"),
        ({"window_start": "yesterday"}, "window_start"),
        ({"window_end": ""}, "window_end"),
        ({"shopper": "999999"}, "shopper"),
    ],
)
def test_shop_form_refuses_bad_input_naming_the_field(
    org, staff, scenario, location, wave, change, field
):
    page = staff.post(url("shop_create", org), {**shop_data(scenario, location, wave), **change})
    assert page.status_code == 200 and field in errors(page), errors(page)
    assert not Assignment.objects.exists()


def test_shop_form_shows_the_rules_refusals_on_their_field(
    org, staff, scenario, location, wave, ann
):
    now = timezone.now()
    closes_first = shop_data(
        scenario, location, wave, window_end=local(now - dt.timedelta(hours=2))
    )
    assert "window_end" in errors(staff.post(url("shop_create", org), closes_first))
    outside = shop_data(
        scenario,
        location,
        wave,
        window_start=local(now + dt.timedelta(days=100)),
        window_end=local(now + dt.timedelta(days=101)),
    )
    page = staff.post(url("shop_create", org), outside)
    assert "must lie inside the wave" in errors(page)["window_start"][0]
    ShopperProfile.objects.get(user=ann).excluded_locations.add(location)
    page = staff.post(url("shop_create", org), shop_data(scenario, location, wave, shopper=ann.pk))
    assert "may not shop this location" in errors(page)["shopper"][0]
    assert not Assignment.objects.exists()  # the refusal rolled the new shop back


# -- shops in bulk -------------------------------------------------------------------------------


def bulk_data(scenario, locations, wave, **extra) -> dict:
    now = timezone.now()
    return {
        "wave": wave.pk,
        "scenarios": [scenario.pk],
        "locations": [loc.pk for loc in locations],
        "visits": "2",
        "window_start": local(now),
        "window_end": local(now + dt.timedelta(days=5)),
        **extra,
    }


def test_bulk_preview_then_create_then_replay_makes_nothing_twice(
    org, staff, scenario, location, second_location, wave, ann, bob
):
    data = bulk_data(scenario, [location, second_location], wave, shoppers=[ann.pk, bob.pk])
    preview = staff.post(url("shop_bulk", org), {**data, "step": "preview"})
    assert preview.status_code == 200
    plan = preview.context["preview"]
    assert (plan["total"], plan["existing"], plan["new"]) == (4, 0, 4)
    assert plan["assigned"] + plan["open"] == 4
    assert sorted(n for _, n in plan["given"]) == [2, 2]
    assert not Assignment.objects.exists()  # a preview makes nothing
    assert b"Create 4 shops" in preview.content

    create = {**data, "step": "create", "once": new_token()}
    done = staff.post(url("shop_bulk", org), create, follow=True)
    assert "4 shops created (4 given to shoppers); 0 existed already." in messages_of(done)
    assert Assignment.objects.count() == 4
    staff.post(url("shop_bulk", org), create)  # a double click (the same token)
    assert Assignment.objects.count() == 4
    again = staff.post(url("shop_bulk", org), {**data, "step": "create"}, follow=True)
    assert "0 shops created (0 given to shoppers); 4 existed already." in messages_of(again)

    # Raising the visits to 3 adds only the third visit of each location.
    preview = staff.post(url("shop_bulk", org), {**data, "visits": "3", "step": "preview"})
    assert (preview.context["preview"]["existing"], preview.context["preview"]["new"]) == (4, 2)


def test_bulk_change_the_choices_keeps_what_was_chosen(org, staff, scenario, location, wave):
    data = bulk_data(scenario, [location], wave, visits="3")
    page = staff.post(url("shop_bulk", org), {**data, "step": "edit"})
    assert page.status_code == 200 and page.context["preview"] is None
    assert page.context["form"]["visits"].value() == "3"
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scenarios": []}, "scenarios"),
        ({"locations": ["999999"]}, "locations"),
        ({"visits": "0"}, "visits"),
        ({"visits": "51"}, "visits"),
        ({"wave": ""}, "wave"),
        ({"window_start": "2026-13-45T99:00"}, "window_start"),
    ],
)
def test_bulk_form_refuses_bad_input_naming_the_field(
    org, staff, scenario, location, wave, change, field
):
    for step in ("preview", "create"):
        data = {**bulk_data(scenario, [location], wave), **change, "step": step}
        page = staff.post(url("shop_bulk", org), data)
        assert page.status_code == 200 and field in errors(page), errors(page)
    assert not Assignment.objects.exists()


def test_bulk_refuses_a_window_outside_the_wave_on_its_field(org, staff, scenario, location, wave):
    now = timezone.now()
    data = bulk_data(
        scenario,
        [location],
        wave,
        window_start=local(now + dt.timedelta(days=200)),
        window_end=local(now + dt.timedelta(days=201)),
        step="preview",
    )
    page = staff.post(url("shop_bulk", org), data)
    assert "window_start" in errors(page)


# -- the shop list -------------------------------------------------------------------------------


def test_shop_list_filters_and_links_to_each_shop(
    org, staff, scenario, location, second_location, wave, ann
):
    a = make_shop(S.OPEN, scenario=scenario, location=location, wave=wave)
    b = make_shop(S.ASSIGNED, scenario=scenario, location=second_location, wave=wave, shopper=ann)
    page = staff.get(url("shop_list", org))
    assert {s.pk for s in page.context["page"]} == {a.pk, b.pk}
    assert url("shop_detail", org, a.pk).encode() in page.content

    def pks(**query):
        return [s.pk for s in staff.get(url("shop_list", org), query).context["page"]]

    assert pks(status="assigned") == [b.pk]
    assert pks(location=location.pk) == [a.pk]
    assert pks(shopper=ann.pk) == [b.pk]
    assert sorted(pks(wave=wave.pk, scenario=scenario.pk)) == sorted([a.pk, b.pk])
    bad = staff.get(url("shop_list", org), {"status": "lost", "wave": "x"})
    assert bad.status_code == 200 and set(bad.context["form"].errors) == {"status", "wave"}
    assert b"Status: Select a valid choice" in bad.content


def test_shop_list_takes_a_constant_number_of_queries(
    org, staff, scenario, location, wave, ann, django_assert_max_num_queries
):
    make_shop(S.ASSIGNED, scenario=scenario, location=location, wave=wave, shopper=ann)
    staff.get(url("shop_list", org))
    with django_assert_max_num_queries(30) as few:
        staff.get(url("shop_list", org))
    for n in range(60):
        other = Location.objects.create(organization=org, code=f"L{n}", name=f"Station {n}")
        user = add_shopper(org, f"x{n}@shoppers.test")
        make_shop(S.ASSIGNED, scenario=scenario, location=other, wave=wave, shopper=user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = staff.get(url("shop_list", org), {"status": "assigned", "page": "2"})
    assert len(page.context["page"].object_list) == 11


def test_scenario_list_takes_a_constant_number_of_queries(
    org, staff, scenario, location, wave, django_assert_max_num_queries
):
    make_shop(S.OPEN, scenario=scenario, location=location, wave=wave)
    staff.get(url("scenario_list", org))
    with django_assert_max_num_queries(30) as few:
        staff.get(url("scenario_list", org))
    for n in range(20):
        other = Scenario.objects.create(
            organization=org,
            touchpoint=scenario.touchpoint,
            title=f"Scenario {n}",
            brief="Go.",
            survey=scenario.survey,
            fee=Decimal("5"),
        )
        make_shop(S.OPEN, scenario=other, location=location, wave=wave)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = staff.get(url("scenario_list", org))
    assert len(page.context["page"].object_list) == 21


# -- a shop's page and its actions -------------------------------------------------------------


def test_shop_page_shows_details_and_the_audit_trail(org, staff, job, ann, program_admin):
    scheduling.assign_shopper(assignment=job, shopper=ann, actor=program_admin)
    scheduling.unassign(assignment=job, actor=program_admin, reason="Wrong <person>")
    page = staff.get(url("shop_detail", org, job.pk))
    assert page.status_code == 200
    events = list(page.context["events"])
    assert [(e.from_status, e.to_status) for e in events] == [
        ("", ""),
        ("open", "assigned"),
        ("assigned", "open"),
    ]
    assert b"Wrong &lt;person&gt;" in page.content
    assert b"Assign to a shopper" in page.content and b"Take it back" not in page.content


def test_staff_assign_take_back_and_cancel_a_shop(org, staff, job, ann):
    done = staff.post(
        url("shop_assign", org, job.pk),
        {"assign-seen": "open", "assign-shopper": ann.pk, "once": new_token()},
        follow=True,
    )
    assert any("given to" in m for m in messages_of(done))
    job.refresh_from_db()
    assert (job.status, job.shopper) == (S.ASSIGNED, ann)
    assert b"Take it back" in done.content

    missing = staff.post(url("shop_unassign", org, job.pk), {"unassign-seen": "assigned"})
    assert missing.status_code == 200
    assert "reason" in missing.context["unassign_form"].errors
    staff.post(
        url("shop_unassign", org, job.pk),
        {"unassign-seen": "assigned", "unassign-reason": "Ill"},
    )
    job.refresh_from_db()
    assert (job.status, job.shopper) == (S.OPEN, None)

    blank = staff.post(
        url("shop_cancel", org, job.pk), {"cancel-seen": "open", "cancel-reason": " "}
    )
    assert "reason" in blank.context["cancel_form"].errors
    staff.post(url("shop_cancel", org, job.pk), {"cancel-seen": "open", "cancel-reason": "Closed"})
    job.refresh_from_db()
    assert job.status == S.CANCELLED
    last = AssignmentEvent.objects.filter(assignment=job).last()
    assert (last.from_status, last.to_status, last.reason) == ("open", "cancelled", "Closed")


def test_assigning_an_ineligible_shopper_names_the_field(org, staff, job, ann, location):
    ShopperProfile.objects.get(user=ann).excluded_locations.add(location)
    page = staff.post(
        url("shop_assign", org, job.pk), {"assign-seen": "open", "assign-shopper": ann.pk}
    )
    assert page.status_code == 200
    assert "may not shop this location" in page.context["assign_form"].errors["shopper"][0]
    assert Assignment.objects.get(pk=job.pk).status == S.OPEN


def test_an_action_on_a_shop_changed_meanwhile_is_reported_not_a_server_error(
    org, staff, job, ann, bob, program_admin
):
    # The page showed the shop open; another member of staff gave it to Bob meanwhile.
    scheduling.assign_shopper(assignment=job, shopper=bob, actor=program_admin)
    for name, data in [
        ("shop_assign", {"assign-seen": "open", "assign-shopper": ann.pk}),
        ("shop_cancel", {"cancel-seen": "open", "cancel-reason": "x"}),
        ("shop_offer", {"offer-seen": "open", "offer-shoppers": [ann.pk]}),
    ]:
        page = staff.post(url(name, org, job.pk), data, follow=True)
        assert page.status_code == 200
        assert any("changed by someone else meanwhile" in m for m in messages_of(page)), name
    job.refresh_from_db()
    assert (job.status, job.shopper) == (S.ASSIGNED, bob)


def test_a_refusal_of_the_status_machine_is_shown_as_a_message(
    org, staff, scenario, location, wave, ann
):
    shop = make_shop(S.SUBMITTED, scenario=scenario, location=location, wave=wave, shopper=ann)
    page = staff.post(
        url("shop_cancel", org, shop.pk),
        {"cancel-seen": "submitted", "cancel-reason": "x"},
        follow=True,
    )
    assert page.status_code == 200
    assert "A shop that is submitted cannot be cancelled." in messages_of(page)


def test_staff_offer_a_job_by_email_through_the_outbox(org, staff, job, ann, bob, location):
    ShopperProfile.objects.get(user=bob).excluded_locations.add(location)
    page = staff.post(
        url("shop_offer", org, job.pk),
        {"offer-seen": "open", "offer-shoppers": [ann.pk, bob.pk], "once": new_token()},
        follow=True,
    )
    shown = messages_of(page)
    assert "Offered to 1 shopper by email." in shown
    assert any(m.startswith("Not offered to bob") for m in shown)
    assert [to for *_, to in queued(emails.OFFERED)] == [ann.email]
    # Offered again: nobody new, and no second email.
    again = staff.post(
        url("shop_offer", org, job.pk), {"offer-seen": "open", "offer-shoppers": [ann.pk]}
    )
    assert "The job was offered to nobody." in again.context["offer_form"].errors["shoppers"]
    assert len(queued(emails.OFFERED)) == 1
    empty = staff.post(url("shop_offer", org, job.pk), {"offer-seen": "open"})
    assert "shoppers" in empty.context["offer_form"].errors


def test_staff_accept_or_decline_a_shoppers_request(org, staff, job, ann, bob):
    asked = scheduling.request_job(assignment=job, shopper=ann, note="I go <Tuesdays>")
    other = scheduling.request_job(assignment=job, shopper=bob)
    page = staff.get(url("shop_detail", org, job.pk))
    assert b"I go &lt;Tuesdays&gt;" in page.content
    staff.post(url("request_decline", org, job.pk, other.pk), {"seen": "open"})
    assert JobRequest.objects.get(pk=other.pk).status == JobRequest.Status.DECLINED
    done = staff.post(url("request_accept", org, job.pk, asked.pk), {"seen": "open"}, follow=True)
    assert any("given to" in m for m in messages_of(done))
    job.refresh_from_db()
    assert (job.status, job.shopper) == (S.ASSIGNED, ann)
    # The same click again: the shop is no longer open, so nothing happens.
    again = staff.post(url("request_accept", org, job.pk, asked.pk), {"seen": "open"}, follow=True)
    assert any("meanwhile" in m for m in messages_of(again))


def test_a_request_of_another_shop_is_not_found(org, staff, job, ann, scenario, location, wave):
    asked = scheduling.request_job(assignment=job, shopper=ann)
    elsewhere = make_shop(S.OPEN, scenario=scenario, location=location, wave=wave)
    page = staff.post(url("request_accept", org, elsewhere.pk, asked.pk), {"seen": "open"})
    assert page.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_staff_assigning_one_shop_at_once_one_wins_the_other_is_told(
    org, job, ann, bob, program_admin
):
    from cxaudit.accounts.models import Membership, Role
    from tests.conftest import make_user
    from tests.shoppers.shops import race

    colleague = make_user("colleague@acme.test")
    Membership.objects.create(user=colleague, organization=org, role=Role.PROGRAM_ADMIN)

    def assign(user, shopper):
        def call():
            page = client_of(user).post(
                url("shop_assign", org, job.pk),
                {"assign-seen": "open", "assign-shopper": shopper.pk},
                follow=True,
            )
            # The page's text, not its context: the test client collects the context of the
            # templates rendered in any thread.
            return page.status_code, page.content.decode()

        return call

    results = race(assign(program_admin, ann), assign(colleague, bob))
    assert all(not isinstance(r, Exception) for r in results), results
    assert [status for status, _ in results] == [200, 200]
    said = [html for _, html in results]
    assert sum("is given to" in s for s in said) == 1
    assert sum("changed by someone else meanwhile" in s for s in said) == 1
    job.refresh_from_db()
    assert job.status == S.ASSIGNED and job.shopper in (ann, bob)
    assert AssignmentEvent.objects.filter(assignment=job, to_status=S.ASSIGNED).count() == 1
