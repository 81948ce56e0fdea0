"""A shopper on a phone (Chromium at 390 px): takes a job from the job board, starts the visit,
fills the form with a photo, records the visit and sends it; every page fits the screen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from cxaudit.accounts.models import Location
from shoppers.models import Assignment, Certification, Scenario
from shoppers.payouts import services as payouts
from shoppers.review import services as review
from shoppers.scheduling import services as scheduling
from shoppers.visits import services as visits
from surveys.models import Evidence, Response
from surveys.responses.services import start_response
from tests.conftest import login, wait_for
from tests.e2e.shops import desk_visit, fits, receipt_photo
from tests.factories import make_survey
from tests.shoppers.conftest import add_shopper

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path("test-artifacts")


@pytest.fixture
def job(org, program_admin):
    d = desk_visit(org)
    scenario, location, wave = d["scenario"], d["location"], d["wave"]
    now = timezone.now()
    return scheduling.create_assignment(
        organization=org,
        scenario=scenario,
        location=location,
        wave=wave,
        window_start=now - dt.timedelta(days=1),
        window_end=now + dt.timedelta(days=5),
        actor=program_admin,
    )


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"shopper-{name}-390.png"), full_page=True)


def test_a_shopper_takes_a_job_and_sends_the_visit_from_a_phone(page, org, job, tmp_path):
    ann = add_shopper(org, "ann@shoppers.test", home_region="North", languages=["en"])
    login(page, ann.email)
    assert page.get_by_role("heading", level=1).inner_text() == "My shops"
    shot(page, "home-empty")
    assert fits(page)

    page.get_by_role("button", name="Toggle navigation").click()
    nav = page.get_by_role("navigation", name="Main")
    page.locator("#mainnav.show").wait_for()  # opened, not still sliding
    assert nav.locator("[aria-current=page]").inner_text() == "My shops"
    shot(page, "nav")
    nav.get_by_role("link", name="Job board").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Job board"
    shot(page, "board")
    assert fits(page)
    page.get_by_role("link", name="Ask for a refund at the desk").click()

    # The brief is shown as text, never as markup.
    assert page.get_by_text("Ask for a refund of a <b>day return</b>.").is_visible()
    shot(page, "job")
    assert fits(page)
    page.get_by_role("button", name="Take this job").click()

    page.get_by_role("button", name="Start the visit").wait_for()
    shot(page, "shop-assigned")
    assert fits(page)
    page.get_by_role("button", name="Start the visit").click()

    page.get_by_role("heading", name="Desk visit").wait_for()
    assert page.get_by_text("Visit details not recorded yet").is_visible()
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Photo of the receipt").set_input_files(str(receipt_photo(tmp_path)))
    page.get_by_text("Attached: receipt.jpg").wait_for()
    page.get_by_label("What happened, in your words").fill("Queue of 4 <people>; greeted at once.")
    page.get_by_label("What happened, in your words").blur()
    shop = Assignment.objects.get(pk=job.pk)
    wait_for(lambda: Response.objects.get(pk=shop.response_id).draft.get("story"))
    shot(page, "form")
    assert fits(page)

    page.get_by_role("link", name="record when and how long").click()
    visited = timezone.localtime(timezone.now() - dt.timedelta(minutes=25))
    page.get_by_label("When did the visit start?").fill(visited.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("How long did it last?").fill("14")
    page.get_by_label("What did you spend? (GBP)").fill("4.80")
    page.get_by_role("button", name="Save visit details").click()
    page.get_by_text("Visit details saved.").wait_for()
    shot(page, "shop-in-progress")
    assert fits(page)

    page.get_by_role("link", name="Fill in the visit form").click()
    assert page.get_by_label("Yes", exact=True).is_checked()
    assert page.get_by_text("Attached: receipt.jpg").is_visible()
    assert "14 min" in page.locator(".form-header").inner_text()
    page.get_by_role("button", name="Submit").click()

    page.get_by_role("heading", name="Sent for review").wait_for()
    shot(page, "receipt")
    assert fits(page)
    shop.refresh_from_db()
    assert shop.status == Assignment.Status.SUBMITTED
    assert shop.visit_minutes == 14 and shop.expense_claimed == Decimal("4.80")
    assert shop.integrity_score is not None
    response = Response.objects.get(pk=shop.response_id)
    assert response.status == Response.Status.SUBMITTED and not response.counted
    evidence = Evidence.objects.get(response=response)
    assert response.answers.get(question__code="receipt").value == str(evidence.key)

    page.get_by_role("link", name="Back to My shops").click()
    page.get_by_role("heading", name="Waiting for review").wait_for()
    shot(page, "home-review")
    assert fits(page)


def test_the_other_shopper_pages_fit_a_phone(page, org, job, program_admin, reviewer):
    quiz = make_survey(
        org,
        [
            {
                "questions": [
                    {
                        "code": "reveal",
                        "type": "yes_no",
                        "points": 1,
                        "required": True,
                        "text": "May you tell staff you are a mystery shopper?",
                    }
                ]
            }
        ],
        code="quiz",
        title="Desk rules quiz",
        kind="certification",
    )
    scenario = job.scenario
    Scenario.objects.filter(pk=scenario.pk).update(certification_survey=quiz)

    # Sign-up, logged out.
    page.goto(f"/join/{org.slug}/")
    shot(page, "join")
    assert fits(page)
    page.get_by_label("Your name").fill("Nia Newcomer")
    page.get_by_label("Email").fill("nia@example.test")
    page.get_by_label("Choose a password").fill("a-long-pass-phrase-42")
    page.get_by_label("The password again").fill("a-long-pass-phrase-42")
    page.get_by_label("Home region").fill("North")
    page.get_by_label("I have read the programme terms above and accept them.").check()
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    shot(page, "join-sent")
    assert fits(page)
    login(page, "nia@example.test", "a-long-pass-phrase-42")
    page.get_by_role("heading", name="Your application is being reviewed").wait_for()
    shot(page, "pending")
    assert fits(page)
    page.context.clear_cookies()

    # An approved, paid shop; a returned one; an offer; a quiz.
    ann = add_shopper(org, "ann@shoppers.test", home_region="North", languages=["en"])
    Certification.objects.create(
        organization=org,
        scenario=scenario,
        shopper=ann,
        response=start_response(survey=quiz, source="shopper", respondent=ann, counted=False),
        passed=True,
        taken_at=timezone.now(),
    )

    def sent(shop, story):
        shop = scheduling.self_assign(assignment=shop, shopper=ann)
        shop = visits.start_visit(assignment=shop, shopper=ann)
        visits.record_visit(
            assignment=shop,
            shopper=ann,
            visited_at=timezone.now() - dt.timedelta(minutes=30),
            visit_minutes=10,
        )
        return visits.submit_visit(
            assignment=shop, shopper=ann, raw_answers={"greet": "yes", "story": story}
        )

    def another(code):
        location = Location.objects.create(organization=org, code=code, name=f"Station {code}")
        return scheduling.create_assignment(
            organization=org,
            scenario=scenario,
            location=location,
            wave=job.wave,
            window_start=job.window_start,
            window_end=job.window_end,
            actor=program_admin,
        )

    paid = review.approve_shop(assignment=sent(job, "Fine"), actor=reviewer)
    payouts.mark_paid(
        batch=payouts.create_batch(organization=org, actor=program_admin), actor=program_admin
    )
    returned = review.return_shop(
        assignment=sent(another("RET"), "Short"),
        actor=reviewer,
        comment="The photo is missing; add the <receipt> please.\nThanks!",
    )
    offered = another("OFF")
    scheduling.offer_job(assignment=offered, shoppers=[ann], actor=program_admin)
    Scenario.objects.filter(pk=scenario.pk).update(certification_survey=None)

    login(page, ann.email)
    shot(page, "home")
    assert fits(page)
    for name, path in [
        ("shop-returned", f"/o/{org.slug}/shop/shops/{returned.pk}/"),
        ("shop-approved", f"/o/{org.slug}/shop/shops/{paid.pk}/"),
        ("offer", f"/o/{org.slug}/shop/jobs/{offered.pk}/"),
        ("earnings", f"/o/{org.slug}/shop/earnings/"),
        ("profile", f"/o/{org.slug}/shop/profile/"),
    ]:
        page.goto(path)
        shot(page, name)
        assert fits(page), name

    # The quiz, from a scenario needing it.
    Scenario.objects.filter(pk=scenario.pk).update(certification_survey=quiz)
    Certification.objects.all().delete()
    page.goto(f"/o/{org.slug}/shop/certifications/{scenario.pk}/")
    shot(page, "quiz-start")
    assert fits(page)
    page.get_by_role("button", name="Start the quiz").click()
    page.get_by_role("heading", name="Desk rules quiz").wait_for()
    shot(page, "quiz")
    assert fits(page)
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("heading", name="Not passed").wait_for()
    shot(page, "quiz-result")
    assert fits(page)
