"""Staff pages of customer outreach (the permission matrix covers every role on every URL):
saving a campaign, the preview and the test email, launch and live progress, a client manager's
view limited to their locations, the export, contacts; and the customer's pages, the same for
every visitor whoever is logged in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cxaudit.accounts.models import Location, Membership
from cxaudit.messaging import services as outbox
from cxaudit.messaging.models import Message
from surveys.models import Campaign, Contact, ContactImport, Invitation
from surveys.outreach import emails, launch, services
from tests.outreach.helpers import answer, campaign, contacts, customer_survey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def url(name, org, **kwargs):
    return reverse(f"surveys:{name}", kwargs={"org_slug": org.slug, **kwargs})


def form_data(org, **extra):
    survey = customer_survey(org)
    data = {
        "name": "Autumn",
        "survey": survey.pk,
        "language": "en",
        "sender_name": "Acme Rail",
        "subject_template": "Hello {{ first_name }}",
        "message_template": "How was {{ location_name }}?",
        "reminder_days": "3, 7",
        "expires_at": (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
        "suppression_days": "30",
    }
    data.update(extra)
    return data


def test_a_campaign_is_saved_and_unknown_placeholders_are_refused_at_the_field(
    org, admin_client_org
):
    bad = admin_client_org.post(
        url("outreach_campaign_new", org), form_data(org, message_template="Hi {{ frist_name }}")
    )
    assert bad.status_code == 200
    assert (
        "Unknown placeholder {{ frist_name }}" in bad.context["form"].errors["message_template"][0]
    )
    bad_days = admin_client_org.post(
        url("outreach_campaign_new", org), form_data(org, reminder_days="3, soon")
    )
    assert "reminder_days" in bad_days.context["form"].errors
    ok = admin_client_org.post(url("outreach_campaign_new", org), form_data(org))
    c = Campaign.objects.get()
    assert ok.status_code == 302 and ok["Location"] == url("outreach_campaign", org, pk=c.pk)
    assert (c.status, c.reminder_days) == ("draft", [3, 7])


def test_the_preview_shows_a_chosen_contact_escaped_and_a_test_goes_to_the_member(
    org, program_admin, admin_client_org, location
):
    Contact.objects.create(
        organization=org, email="amp@example.test", first_name="<b>Bo</b>", location=location
    )
    c = campaign(org, actor=program_admin)
    page = admin_client_org.get(
        url("outreach_campaign_preview", org, pk=c.pk) + "?contact=AMP@example.test"
    )
    assert page.status_code == 200 and page.context["contact"].email == "amp@example.test"
    assert page.context["email"]["subject"] == "<b>Bo</b>, how was your visit?"
    frame = admin_client_org.get(
        url("outreach_campaign_preview_html", org, pk=c.pk) + "?contact=amp@example.test"
    )
    assert b"&lt;b&gt;Bo&lt;/b&gt;" in frame.content and b"Kingsbridge" in frame.content
    assert "sandbox" in frame["Content-Security-Policy"]
    r = admin_client_org.post(
        url("outreach_campaign_test", org, pk=c.pk), {"contact": "amp@example.test"}
    )
    assert r.status_code == 302
    message = Message.objects.get(purpose=emails.TEST)
    assert message.to_email == program_admin.email
    outbox.deliver_due()
    (email,) = mail.outbox
    assert email.subject.startswith("[TEST] <b>Bo</b>")
    assert f"/o/{org.slug}/surveys/{c.survey_id}/preview/" in email.body
    assert "List-Unsubscribe" not in email.extra_headers


def test_launch_and_live_progress_with_constant_queries(
    org, program_admin, admin_client_org, location, django_assert_max_num_queries
):
    contacts(org, 6, location=location)
    c = campaign(org, actor=program_admin)
    r = admin_client_org.post(url("outreach_campaign_launch", org, pk=c.pk), {"send_at": ""})
    assert r.status_code == 302
    launch.write_invitations(campaign_id=c.pk)
    outbox.deliver_due(limit=4)
    answer(Invitation.objects.filter(campaign=c).order_by("pk").first())
    with django_assert_max_num_queries(14):
        page = admin_client_org.get(url("outreach_campaign", org, pk=c.pk))
    p = page.context["progress"]
    assert (p.queued, p.sent, p.completed, p.opened, p.response_rate) == (2, 4, 1, 1, 25.0)
    assert p.by_location == [
        {"location": "Kingsbridge", "invited": 6, "sent": 4, "completed": 1, "rate": 25.0}
    ]
    with django_assert_max_num_queries(12):
        data = admin_client_org.get(url("outreach_campaign_status", org, pk=c.pk)).json()
    assert (data["status"], data["sent"], data["completed"], data["written"]) == ("sent", 4, 1, 6)
    assert data["by_day"][0]["sent"] == 4


def test_a_manager_limited_to_a_location_sees_its_figures_only(org, program_admin, manager, client):
    kgx = Location.objects.create(organization=org, code="K", name="K station")
    hbs = Location.objects.create(organization=org, code="H", name="H station")
    contacts(org, 3, location=kgx, prefix="k")
    contacts(org, 2, location=hbs, prefix="h")
    c = campaign(org, actor=program_admin)
    services.launch_campaign(campaign=c, actor=program_admin)
    launch.write_invitations(campaign_id=c.pk)
    Membership.objects.get(user=manager).locations.set([hbs])
    client.force_login(manager)
    page = client.get(url("outreach_campaign", org, pk=c.pk))
    assert page.context["limited"] and page.context["progress"].invitations == 2
    assert [r["location"] for r in page.context["progress"].by_location] == ["H station"]
    assert b"Launch the campaign" not in page.content and b"Cancel the campaign" not in page.content


def test_cancel_and_resend_from_the_page(org, program_admin, admin_client_org, settings):
    contacts(org, 2)
    c = campaign(org, actor=program_admin)
    services.launch_campaign(campaign=c, actor=program_admin)
    launch.write_invitations(campaign_id=c.pk)
    Message.objects.update(state="failed", last_error="550")
    r = admin_client_org.post(url("outreach_campaign_resend", org, pk=c.pk))
    assert r.status_code == 302 and Message.objects.filter(state="queued").count() == 2
    admin_client_org.post(url("outreach_campaign_cancel", org, pk=c.pk))
    assert Campaign.objects.get().status == "cancelled"
    assert Message.objects.filter(state="cancelled").count() == 2
    again = admin_client_org.post(url("outreach_campaign_cancel", org, pk=c.pk), follow=True)
    assert b"cannot become cancelled" in again.content


def test_the_export_is_formula_safe(org, program_admin, admin_client_org):
    Contact.objects.create(organization=org, email="x@example.test", first_name="=HYPERLINK(1)")
    c = campaign(org, actor=program_admin)
    services.launch_campaign(campaign=c, actor=program_admin)
    launch.write_invitations(campaign_id=c.pk)
    body = b"".join(
        admin_client_org.get(url("outreach_campaign_export", org, pk=c.pk)).streaming_content
    )
    assert b"'=HYPERLINK(1)" in body and b"x@example.test" in body


def test_contacts_upload_page_and_progress(org, admin_client_org, sent_tasks):
    from django.db import transaction

    f = SimpleUploadedFile("c.csv", b"email,first_name\nann@example.test,Ann\n", "text/csv")
    with transaction.atomic():
        r = admin_client_org.post(url("outreach_import_new", org), {"file": f, "list_name": "Desk"})
    imp = ContactImport.objects.get()
    assert r.status_code == 302 and r["Location"] == url("outreach_import_detail", org, pk=imp.pk)
    status = admin_client_org.get(url("outreach_import_status", org, pk=imp.pk)).json()
    assert (status["status"], status["finished"]) == ("pending", False)
    from surveys.outreach.contacts import run_contact_import

    run_contact_import(import_id=imp.pk)
    page = admin_client_org.get(url("outreach_import_detail", org, pk=imp.pk))
    assert b"1 new contact" in page.content
    listing = admin_client_org.get(url("outreach_contacts", org) + "?q=ann")
    assert b"ann@example.test" in listing.content
    contact = Contact.objects.get()
    admin_client_org.post(
        url("outreach_contact_suppress", org, pk=contact.pk), {"reason": "bounced"}
    )
    contact.refresh_from_db()
    assert contact.suppressed_reason == "bounced"


PUBLIC = ["outreach_link", "outreach_anonymous", "outreach_unsubscribe", "outreach_respond"]


@pytest.mark.parametrize("role", ["anonymous", "program_admin", "outsider"])
def test_the_customer_pages_need_no_login_and_give_staff_nothing_more(roles, org, role):
    cl = roles.client(role)
    for path in ("/i/" + "x" * 43 + "/", "/q/nope/", "/u/bad/"):
        r = cl.get(path)
        assert r.status_code == 404 and r["Referrer-Policy"] == "no-referrer"
    r = cl.get("/r/00000000-0000-0000-0000-000000000000/")
    assert r.status_code == 404 and b"Open your link again" in r.content


def test_every_public_url_is_listed_here():
    from django.urls import get_resolver

    names = {
        p.name
        for p in get_resolver().url_patterns
        for p in getattr(p, "url_patterns", [p])
        if getattr(p, "name", "")
        and p.name.startswith("outreach_")
        and "org_slug" not in str(p.pattern)
    }
    assert names == {
        *PUBLIC,
        "outreach_autosave",
        "outreach_submit",
        "outreach_upload",
        "outreach_receipt",
        "outreach_evidence",
    }


def test_a_long_campaign_is_shown_by_week(org, program_admin, admin_client_org):
    from surveys.outreach.progress import campaign_progress

    people = contacts(org, 3)
    c = campaign(org, actor=program_admin)
    services.launch_campaign(campaign=c, actor=program_admin)
    launch.write_invitations(campaign_id=c.pk)
    outbox.deliver_due()
    start = timezone.make_aware(timezone.datetime(2026, 7, 1, 9))  # a Wednesday
    Message.objects.update(sent_at=start)
    for person, days in zip(people, (1, 5, 40), strict=True):
        inv = Invitation.objects.get(contact=person)
        answer(inv)
        Invitation.objects.filter(pk=inv.pk).update(completed_at=start + timedelta(days=days))
    progress = campaign_progress(c)
    assert progress.period == "week"
    assert [(r["day"].isoformat(), r["sent"], r["completed"]) for r in progress.by_day] == [
        ("2026-06-29", 3, 1),
        ("2026-07-06", 0, 1),
        ("2026-08-10", 0, 1),
    ]


def test_progress_counts_by_location_delivery_and_day_in_one_pass(
    org, program_admin, django_assert_num_queries
):
    from surveys.outreach.progress import campaign_progress

    north = Location.objects.create(organization=org, code="N", name="north desk")
    south = Location.objects.create(organization=org, code="S", name="South desk")
    contacts(org, 3, location=north, prefix="n")
    contacts(org, 2, location=south, prefix="s")
    contacts(org, 1, prefix="x")  # no location: the campaign has none either
    c = campaign(org, actor=program_admin)
    services.launch_campaign(campaign=c, actor=program_admin)
    launch.write_invitations(campaign_id=c.pk)
    outbox.deliver_due(limit=4)  # the first four: north's three and one of south's
    answer(Invitation.objects.filter(campaign=c, location=north).order_by("pk").first())
    Message.objects.filter(state="queued").update(state="failed")
    with django_assert_num_queries(2):  # the one pass, and the answers by day
        progress = campaign_progress(c)
    assert (progress.invitations, progress.sent, progress.failed, progress.queued) == (6, 4, 2, 0)
    assert (progress.completed, progress.opened, progress.response_rate) == (1, 1, 25.0)
    assert progress.by_location == [
        {"location": "north desk", "invited": 3, "sent": 3, "completed": 1, "rate": 33.3},
        {"location": "South desk", "invited": 2, "sent": 1, "completed": 0, "rate": 0.0},
        {"location": "—", "invited": 1, "sent": 0, "completed": 0, "rate": None},
    ]
    today = timezone.localdate()
    assert [(r["day"], r["sent"], r["completed"]) for r in progress.by_day] == [(today, 4, 1)]
    assert campaign_progress(c, location_ids=[south.pk]).by_location == [
        {"location": "South desk", "invited": 2, "sent": 1, "completed": 0, "rate": 0.0}
    ]


def test_the_blank_form_of_a_published_version_is_rendered_once_per_process(
    org, program_admin, client, django_assert_max_num_queries
):
    from surveys.questionnaire.services import publish_survey
    from surveys.responses.views import blank_form

    survey = customer_survey(org)
    survey.status = "draft"
    survey.save()
    survey = publish_survey(survey=survey)
    contacts(org, 1)
    c = campaign(org, survey, actor=program_admin)
    services.launch_campaign(campaign=c, actor=program_admin)
    launch.write_invitations(campaign_id=c.pk)
    inv = Invitation.objects.get()
    path = emails.new_link(inv).split("testserver", 1)[-1].split("localhost:8000", 1)[-1]
    page = client.get(client.get(path)["Location"])
    assert b"How satisfied were you?" in page.content
    blank_form.cache_clear()
    client.get(f"/r/{inv.key}/")
    with django_assert_max_num_queries(2):  # the session and the invitation: nothing else
        again = client.get(f"/r/{inv.key}/")
    assert again.content.count(b"survey-question") == page.content.count(b"survey-question")


def test_a_version_returned_to_draft_and_published_again_shows_its_new_form(org, admin_client_org):
    from surveys.models import Question
    from surveys.questionnaire.services import publish_survey, return_to_draft

    survey = customer_survey(org)
    survey.status = "draft"
    survey.save()
    survey = publish_survey(survey=survey)
    preview = url("preview", org, pk=survey.pk)
    assert b"How satisfied were you?" in admin_client_org.get(preview).content
    # Nobody has answered (not even a draft): it may be changed and published again.
    survey = return_to_draft(survey=survey)
    Question.objects.filter(survey=survey, code="sat").update(text="Were you pleased?")
    publish_survey(survey=survey)
    page = admin_client_org.get(preview).content
    assert b"Were you pleased?" in page and b"How satisfied were you?" not in page
