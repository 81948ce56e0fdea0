"""The shopper's own shops through the views: My shops, a shop's page, starting the visit,
recording it, the visit form in the form engine (autosave, upload, submit through submit_visit
and each refusal), the receipt, evidence and earnings; another shopper's shop is never found."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from PIL import Image

from shoppers.models import Assignment, ShopperProfile
from shoppers.payouts import services as payouts
from shoppers.review import services as review
from shoppers.scheduling import services as scheduling
from shoppers.visits import services as visits
from surveys.models import Evidence, Response
from tests.conftest import PASSWORD
from tests.shoppers.conftest import add_shopper

S = Assignment.Status
pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, org, *args) -> str:
    return reverse(f"shoppers:{name}", args=[org.slug, *args])


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def jpeg(colour="red") -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(data, "JPEG")
    data.seek(0)
    data.name = "receipt.jpg"
    return data


def started(job, shopper) -> Assignment:
    job = scheduling.self_assign(assignment=job, shopper=shopper)
    return visits.start_visit(assignment=job, shopper=shopper)


def recorded(job, shopper) -> Assignment:
    job = started(job, shopper)
    return visits.record_visit(
        assignment=job,
        shopper=shopper,
        visited_at=timezone.now() - dt.timedelta(minutes=30),
        visit_minutes=15,
        expense_claimed=Decimal("3.20"),
    )


def submitted(job, shopper) -> Assignment:
    shop = recorded(job, shopper)
    return visits.submit_visit(
        assignment=shop, shopper=shopper, raw_answers={"greet": "yes", "smile": "no"}
    )


# -- My shops ------------------------------------------------------------------------------------


def test_a_pending_shopper_logging_in_is_told_the_application_is_being_reviewed(org):
    add_shopper(org, "new@shoppers.test", status=ShopperProfile.Status.PENDING)
    client = Client()
    response = client.post(
        reverse("login"), {"username": "New@Shoppers.test", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == url("home", org)
    assert b"Your application is being reviewed" in response.content


def test_a_declined_applicant_and_a_member_without_profile_are_told_so(org, shopper):
    declined = add_shopper(org, "no@shoppers.test", status=ShopperProfile.Status.DECLINED)
    assert b"was not accepted" in client_of(declined).get(url("home", org)).content
    page = client_of(shopper).get(url("home", org))
    assert b"not in the shopper panel" in page.content
    assert reverse("shoppers:join", args=[org.slug]).encode() in page.content


def test_my_shops_lists_what_to_do_under_review_and_past(
    org, job, scenario, location, second_location, wave, program_admin, ann, bob, reviewer
):
    client = client_of(ann)
    empty = client.get(url("home", org))
    assert b"Nothing to do right now" in empty.content and b"Find a job" in empty.content
    todo = scheduling.self_assign(assignment=job, shopper=ann)
    other = scheduling.create_assignment(
        organization=org,
        scenario=scenario,
        location=second_location,
        wave=wave,
        window_start=job.window_start,
        window_end=job.window_end,
        actor=program_admin,
    )
    sent = submitted(other, ann)
    review.approve_shop(assignment=sent, actor=reviewer)
    page = client.get(url("home", org))
    assert [s.pk for s in page.context["todo"]] == [todo.pk]
    assert [s.pk for s in page.context["history"].object_list] == [sent.pk]
    assert b"Approved" in page.content and b"Send by" in page.content
    assert list(client_of(bob).get(url("home", org)).context["todo"]) == []


def test_my_shops_and_earnings_take_a_constant_number_of_queries(
    org, scenario, location, wave, program_admin, ann, reviewer, django_assert_max_num_queries
):
    def past_shop(n):
        shop = Assignment.objects.create(
            organization=org,
            scenario=scenario,
            location=location,
            wave=wave,
            window_start=timezone.now() - dt.timedelta(days=60 + n),
            window_end=timezone.now() - dt.timedelta(days=59 + n),
            deadline=timezone.now() - dt.timedelta(days=58 + n),
            fee=Decimal("25"),
            status=S.OPEN,
        )
        response = Response.objects.create(
            organization=org,
            survey=scenario.survey,
            source="shopper",
            status=Response.Status.SUBMITTED,
            submitted_at=timezone.now(),
        )
        Assignment.objects.filter(pk=shop.pk).update(
            status=S.APPROVED if n % 2 else S.CANCELLED,
            shopper=ann,
            response=response,
            decided_at=timezone.now(),
        )

    client = client_of(ann)
    past_shop(1)
    client.get(url("home", org))
    client.get(url("earnings", org))
    with django_assert_max_num_queries(30) as home_few:
        client.get(url("home", org))
    with django_assert_max_num_queries(30) as earn_few:
        client.get(url("earnings", org))
    for n in range(2, 31):
        past_shop(n)
    with django_assert_max_num_queries(len(home_few.captured_queries)):
        page = client.get(url("home", org))
    assert len(page.context["history"].object_list) == 20
    with django_assert_max_num_queries(len(earn_few.captured_queries)):
        page = client.get(url("earnings", org))
    assert len(page.context["page"].object_list) == 15


# -- a shop's page -------------------------------------------------------------------------------


def test_shop_page_escapes_the_brief_and_shows_the_next_step(org, job, ann):
    shop = scheduling.self_assign(assignment=job, shopper=ann)
    page = client_of(ann).get(url("assignment", org, shop.pk))
    assert page.status_code == 200
    assert b"&lt;b&gt;day return&lt;/b&gt;" in page.content and b"<b>day return" not in page.content
    assert b"Start the visit" in page.content and b"Give the job back" in page.content


def test_another_shoppers_shop_form_and_evidence_are_not_found(org, job, ann, bob):
    shop = started(job, ann)
    upload = client_of(ann).post(
        url("visit_upload", org, shop.pk), {"question": "receipt", "file": jpeg()}
    )
    key = upload.json()["key"]
    stranger = client_of(bob)
    for name in ("assignment", "visit_respond", "visit_receipt"):
        assert stranger.get(url(name, org, shop.pk)).status_code == 404, name
    for name in ("visit_autosave", "visit_submit", "visit_upload", "start", "release"):
        assert stranger.post(url(name, org, shop.pk)).status_code == 404, name
    assert stranger.post(url("record_visit", org, shop.pk)).status_code == 404
    assert stranger.get(url("visit_evidence", org, shop.pk, key)).status_code == 404
    own = client_of(ann).get(url("visit_evidence", org, shop.pk, key))
    assert own.status_code == 200 and own["Content-Type"] == "image/jpeg"
    # Bob's own shop does not open Ann's evidence either.
    assert stranger.get(url("visit_evidence", org, 999999, key)).status_code == 404


def test_the_generic_form_pages_refuse_a_visit_draft(org, job, ann):
    shop = started(job, ann)
    client_id = shop.response.client_id
    client = client_of(ann)
    kwargs = {"org_slug": org.slug, "client_id": client_id}
    assert client.get(reverse("surveys:respond", kwargs=kwargs)).status_code == 404
    response = client.post(reverse("surveys:submit", kwargs=kwargs), {"q-greet": "yes"})
    assert response.status_code == 404
    assert Response.objects.get(pk=shop.response_id).status == Response.Status.DRAFT


def test_starting_before_the_window_opens_is_refused(org, job, ann):
    Assignment.objects.filter(pk=job.pk).update(window_start=timezone.now() + dt.timedelta(days=1))
    shop = scheduling.self_assign(assignment=Assignment.objects.get(pk=job.pk), shopper=ann)
    client = client_of(ann)
    assert b"The visit window opens on" in client.get(url("assignment", org, shop.pk)).content
    response = client.post(url("start", org, shop.pk), follow=True)
    assert "The visit window has not opened yet" in messages_of(response)
    assert Assignment.objects.get(pk=shop.pk).status == S.ASSIGNED


def test_release_before_starting_only(org, job, ann):
    shop = scheduling.self_assign(assignment=job, shopper=ann)
    client = client_of(ann)
    response = client.post(url("release", org, shop.pk), {"reason": "Ill"})
    assert response["Location"] == url("home", org)
    assert Assignment.objects.get(pk=shop.pk).status == S.OPEN
    shop = started(Assignment.objects.get(pk=shop.pk), ann)
    response = client.post(url("release", org, shop.pk), follow=True)
    assert "cannot be released" in messages_of(response)


def test_an_earlier_holders_reasons_are_not_shown(org, job, ann, bob):
    shop = scheduling.self_assign(assignment=job, shopper=bob)
    scheduling.release(assignment=shop, shopper=bob, reason="My sister works there")
    shop = scheduling.self_assign(assignment=Assignment.objects.get(pk=job.pk), shopper=ann)
    page = client_of(ann).get(url("assignment", org, shop.pk))
    assert b"My sister works there" not in page.content
    assert [e.to_status for e in page.context["events"]] == [S.ASSIGNED]


def test_start_record_fill_upload_and_submit(org, job, ann):
    client = client_of(ann)
    shop = scheduling.self_assign(assignment=job, shopper=ann)
    # The form is closed until the visit starts.
    response = client.get(url("visit_respond", org, shop.pk), follow=True)
    assert response.redirect_chain[-1][0] == url("assignment", org, shop.pk)
    assert "Start the visit first" in messages_of(response)

    response = client.post(url("start", org, shop.pk))
    assert response["Location"] == url("visit_respond", org, shop.pk)
    form = client.get(response["Location"])
    assert form.status_code == 200
    assert b"Visit details not recorded yet" in form.content
    engine = form.context["engine"]
    assert engine["urls"]["autosave"] == url("visit_autosave", org, shop.pk)
    assert engine["urls"]["upload"] == url("visit_upload", org, shop.pk)

    saved = client.post(url("visit_autosave", org, shop.pk), {"q-greet": "yes"})
    assert saved.status_code == 200
    assert Response.objects.get(assignment=shop).draft == {"greet": "yes"}
    upload = client.post(url("visit_upload", org, shop.pk), {"question": "receipt", "file": jpeg()})
    assert upload.status_code == 200
    key = upload.json()["key"]
    assert upload.json()["url"] == url("visit_evidence", org, shop.pk, key)

    # Sending before the visit details: refused with the reason, the typing kept.
    answers = {"q-greet": "yes", "q-smile": "no", "q-receipt": key, "q-story": "Queue of 4"}
    response = client.post(url("visit_submit", org, shop.pk), answers)
    assert response.status_code == 200
    assert "Record when the visit took place" in messages_of(response)
    assert b"Queue of 4" in response.content
    assert Response.objects.get(assignment=shop).draft["story"] == "Queue of 4"

    visited = timezone.localtime(timezone.now() - dt.timedelta(minutes=20))
    response = client.post(
        url("record_visit", org, shop.pk),
        {
            "visited_at": visited.strftime("%Y-%m-%dT%H:%M"),
            "visit_minutes": "12",
            "expense_claimed": "4.50",
        },
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.visit_minutes == 12 and shop.expense_claimed == Decimal("4.50")

    response = client.post(url("visit_submit", org, shop.pk), answers)
    assert response["Location"] == url("visit_receipt", org, shop.pk)
    shop.refresh_from_db()
    assert shop.status == S.SUBMITTED and shop.response.status == Response.Status.SUBMITTED
    assert Evidence.objects.get(key=key).response_id == shop.response_id
    receipt = client.get(response["Location"])
    assert b"Sent for review" in receipt.content and b"data-submitted-client-id" in receipt.content

    # Sent twice: the same receipt, nothing changed.
    again = client.post(url("visit_submit", org, shop.pk), {"q-greet": "no", "q-smile": "no"})
    assert again["Location"] == url("visit_receipt", org, shop.pk)
    assert Response.objects.filter(assignment=shop).count() == 1
    assert shop.response.answers.get(question__code="greet").value is True
    # The form is closed now: showing it leads to the receipt, saving is refused.
    assert client.get(url("visit_respond", org, shop.pk))["Location"] == url(
        "visit_receipt", org, shop.pk
    )
    refused = client.post(url("visit_autosave", org, shop.pk), {"q-greet": "no"})
    assert refused.status_code == 409 and refused.json()["redirect"] == url(
        "assignment", org, shop.pk
    )
    assert client.post(url("visit_upload", org, shop.pk)).status_code == 409


def test_invalid_answers_are_tied_to_their_fields(org, job, ann):
    shop = recorded(job, ann)
    response = client_of(ann).post(
        url("visit_submit", org, shop.pk), {"q-greet": "maybe", "q-story": "<script>x</script>"}
    )
    assert response.status_code == 200
    anchors = [e["anchor"] for e in response.context["error_list"]]
    assert anchors == ["q-greet"]
    assert b"<script>x</script>" not in response.content
    assert Assignment.objects.get(pk=shop.pk).status == S.IN_PROGRESS


def test_submitting_after_the_deadline_is_refused_and_keeps_the_typing(org, job, ann):
    shop = recorded(job, ann)
    Assignment.objects.filter(pk=shop.pk).update(
        window_end=timezone.now() - dt.timedelta(hours=2),
        deadline=timezone.now() - dt.timedelta(hours=1),
    )
    client = client_of(ann)
    response = client.post(url("visit_submit", org, shop.pk), {"q-greet": "yes", "q-smile": "yes"})
    assert response.status_code == 200
    assert "deadline of this shop has passed" in messages_of(response)
    assert Response.objects.get(assignment=shop).draft == {"greet": "yes", "smile": "yes"}
    assert Assignment.objects.get(pk=shop.pk).status == S.IN_PROGRESS
    # Once expired, the form is closed with the reason.
    scheduling.expire_overdue()
    response = client.get(url("visit_respond", org, shop.pk), follow=True)
    assert "deadline of this shop has passed" in messages_of(response)


def test_record_visit_errors_name_the_field(org, job, ann):
    shop = started(job, ann)
    client = client_of(ann)
    response = client.post(
        url("record_visit", org, shop.pk), {"visited_at": "yesterday", "visit_minutes": "0"}
    )
    assert response.status_code == 200
    errors = response.context["details_form"].errors
    assert set(errors) == {"visited_at", "visit_minutes"}
    future = timezone.localtime(timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url("record_visit", org, shop.pk), {"visited_at": future, "visit_minutes": "10"}
    )
    assert response.context["details_form"].errors == {
        "visited_at": ["The visit cannot be in the future."]
    }
    assert Assignment.objects.get(pk=shop.pk).visited_at is None


def test_a_returned_shop_shows_the_comment_escaped_and_can_be_sent_again(org, job, ann, reviewer):
    shop = submitted(job, ann)
    review.return_shop(assignment=shop, actor=reviewer, comment="Photo <b>missing</b>\nAdd it")
    client = client_of(ann)
    page = client.get(url("assignment", org, shop.pk))
    assert b"Photo &lt;b&gt;missing&lt;/b&gt;" in page.content
    assert b"Correct the visit form" in page.content
    form = client.get(url("visit_respond", org, shop.pk))
    assert form.status_code == 200 and b"Queue" not in form.content
    greet = form.context["sections"][0].fields[0]
    assert [c.value for c in greet.choices if c.checked] == ["yes"]  # what was sent is kept
    response = client.post(url("visit_submit", org, shop.pk), {"q-greet": "yes", "q-smile": "yes"})
    assert response["Location"] == url("visit_receipt", org, shop.pk)
    assert Assignment.objects.get(pk=shop.pk).status == S.RESUBMITTED


def test_an_approved_shop_shows_the_amount_and_links_the_report_card(org, job, ann, reviewer):
    shop = submitted(job, ann)
    review.approve_shop(assignment=shop, actor=reviewer, expense_approved=Decimal("3.20"))
    page = client_of(ann).get(url("assignment", org, shop.pk))
    assert page.status_code == 200
    assert b"GBP 28.20" in page.content
    try:
        report = url("shop_report", org, shop.pk)
    except NoReverseMatch:  # the report card is built by the staff pages
        assert b"See the report card" not in page.content
    else:
        assert report.encode() in page.content


# -- earnings ------------------------------------------------------------------------------------


def test_earnings_show_own_amounts_and_paid_state_only(
    org, job, scenario, second_location, wave, program_admin, ann, bob, reviewer
):
    first = submitted(job, ann)
    review.approve_shop(assignment=first, actor=reviewer, expense_approved=Decimal("3.20"))
    batch = payouts.create_batch(organization=org, actor=program_admin)
    payouts.mark_paid(batch=batch, actor=program_admin)
    second = scheduling.create_assignment(
        organization=org,
        scenario=scenario,
        location=second_location,
        wave=wave,
        window_start=job.window_start,
        window_end=job.window_end,
        actor=program_admin,
    )
    review.approve_shop(assignment=submitted(second, ann), actor=reviewer)
    page = client_of(ann).get(url("earnings", org))
    assert page.context["totals"] == {
        "paid": Decimal("28.20"),
        "payable": Decimal("25.00"),
        "pending": Decimal("0.00"),
    }
    assert [s.pk for s in page.context["page"].object_list] == [second.pk, first.pk]
    assert b"Paid" in page.content and b"To be paid" in page.content
    theirs = client_of(bob).get(url("earnings", org))
    assert list(theirs.context["page"].object_list) == []
    assert theirs.context["totals"]["paid"] == Decimal("0.00")
    assert b"No approved shops yet" in theirs.content
