"""A customer answers an emailed invitation on a phone and on a desktop, in Chromium; axe-core
(from the npm registry, injected by Playwright) finds no serious or critical violation on the
survey page, a link page and the thank-you page, at 390 px and 1280 px."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from surveys.models import Invitation, Response
from surveys.outreach import emails, launch, services
from tests.conftest import ROOT, skip_or_fail
from tests.outreach.helpers import campaign, contacts

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": 390, "desktop": 1280}


@pytest.fixture
def personal_link(org, program_admin, location):
    (person,) = contacts(org, 1, location=location)
    person.language = "fr"
    person.save()
    c = campaign(org, actor=program_admin, name="Passengers", location=location)
    services.launch_campaign(campaign=c, actor=program_admin)
    launch.write_invitations(campaign_id=c.pk)
    invitation = Invitation.objects.get()
    return urlsplit(emails.new_link(invitation)).path


@pytest.fixture
def screen(browser, live_server, request):
    if not AXE.exists():
        skip_or_fail(f"{AXE} is missing: run `make assets` (npm ci)")
    pages = []

    def open_at(width: int):
        # The app's Content-Security-Policy forbids inline scripts; axe is the test's own.
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}, bypass_csp=True
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        pages.append(context)
        return page

    yield open_at
    for context in pages:
        context.close()


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.id} (${v.impact}): ` +
                 v.nodes.map(n => n.target.join(" ")).join(", "))"""
    )
    return violations


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("size", WIDTHS)
def test_a_customer_answers_with_no_serious_accessibility_problem(screen, personal_link, size):
    page = screen(WIDTHS[size])
    page.goto(personal_link)
    assert "/r/" in page.url and personal_link not in page.url
    assert page.locator("html").get_attribute("lang") == "fr"
    assert serious_violations(page) == []
    assert no_sideways_scroll(page)
    # Keyboard only: the first scale option, then submit.
    page.get_by_role("radio", name="4").first.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Envoyer").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/thanks/")
    assert page.get_by_role("heading", name="Merci").is_visible()
    assert serious_violations(page) == []
    assert no_sideways_scroll(page)
    assert Response.objects.submitted().count() == 1
    assert Invitation.objects.get().status == "completed"
    # The link once more: the holder is told it was answered.
    page.goto(personal_link)
    assert page.get_by_role("heading", name="Vous avez déjà répondu à cette enquête").is_visible()
    assert serious_violations(page) == []
    assert no_sideways_scroll(page)


@pytest.mark.parametrize("size", WIDTHS)
def test_the_link_pages_have_no_serious_accessibility_problem(screen, size):
    page = screen(WIDTHS[size])
    page.goto("/i/" + "Z" * 43 + "/")
    assert page.get_by_role("heading", name="This link is not valid").is_visible()
    assert serious_violations(page) == []
    page.goto("/r/00000000-0000-0000-0000-000000000000/")
    assert serious_violations(page) == []
    assert no_sideways_scroll(page)


def test_errors_are_tied_to_their_fields_in_the_customers_language(screen, personal_link):
    page = screen(390)
    page.goto(personal_link)
    # Without JavaScript's checks: a server round trip with a missing required answer.
    page.evaluate("document.getElementById('survey-form').noValidate = true")
    page.evaluate("HTMLFormElement.prototype.submit.call(document.getElementById('survey-form'))")
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert "1 réponse demande votre attention" in summary.inner_text()
    field = page.locator("fieldset[aria-invalid=true]")
    assert field.count() == 1
    assert (
        "Une réponse est nécessaire."
        in page.locator(f"#{field.get_attribute('aria-describedby').split()[-1]}").inner_text()
    )
    assert serious_violations(page) == []
