"""Every page of the demo, for every demo role, at a phone's width (390 px) and a desktop's
(1280 px): the document never scrolls sideways, no button breaks over two lines, the browser
logs no console error, no request fails and no page the role is shown answers 4xx/5xx.

Pages are discovered, not listed: each role's crawl starts at its home page and follows every
link it is shown (one page per URL pattern and role, so that a list of 40 standards costs one
visit). Then every URL pattern the project registers must have been reached by some role, or
be named in UNREACHED with the reason; so a page that another branch adds cannot slip past
this test: it is crawled once it is linked, and fails here until it is.

CXAUDIT_SCREENSHOTS=/some/dir keeps a screenshot of every page at both widths.
"""

from __future__ import annotations

import os
import re
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from cxaudit.accounts.demo import DEMO_PASSWORD
from cxaudit.api.v1 import urls as api_v1_urls
from tests.test_permission_matrix import MATRIX

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("CXAUDIT_SCREENSHOTS")
WIDTHS = (390, 1280)

# Demo logins (cxaudit/accounts/demo.py), one client manager limited to some locations, and a
# visitor who is not logged in (the public pages, from the login page on).
ROLES = {
    "anonymous": None,
    "program_admin": "admin@northline.example",
    "reviewer": "reviewer@northline.example",
    "client_manager": "manager@northline.example",
    "limited_manager": "hana.berg@northline.example",
    "shopper": "shopper@northline.example",
    "other_org_manager": "manager@harbour.example",
}

# Links the crawl does not fetch: PDF report cards, each laid out by WeasyPrint (a second or
# more, and twice per role: the browser's download, then the status check). Their buttons are
# checked in tests/reportpdfs (test_views.py; in Chromium, test_e2e.py).
NOT_FETCHED = {"reportpdfs:shop_pdf", "reportpdfs:location_pdf"}

# URL patterns no crawl reaches through a link, each with the reason. Everything else must be
# reached by at least one role.
UNREACHED = {
    **{name: "a PDF download the crawl does not fetch (NOT_FETCHED)" for name in NOT_FETCHED},
    # Changes state: POST only (the permission matrix checks that GET answers 405).
    **{row.name: "POST only" for row in MATRIX if row.method == "post"},
    "surveys:autosave": "POST only (the form engine's autosave)",
    "surveys:outreach_campaign_export": "linked only from a launched campaign's page; the crawl "
    "opens one campaign per name (tests/outreach/test_views.py downloads it)",
    "surveys:submit": "POST only (the form engine's submit)",
    "surveys:upload": "POST only (evidence upload)",
    "surveys:import_status": "JSON polled by the import page's script",
    "surveys:csrf_token": "JSON fetched by the form engine's script",
    "surveys:receipt": "reached by submitting a form, not by a link",
    "surveys:import_template": "a download reached through the import page's Show columns form",
    "logout": "POST only",
    "healthz": "JSON for load balancers (tests/accounts/test_views.py)",
    "favicon": "a redirect to the icon, which every page loads",
    "password_reset_done": "reached by submitting the reset form",
    "password_reset_confirm": "reached from the reset email",
    "password_reset_complete": "reached by setting a new password",
    "password_change_done": "reached by changing the password",
    "accounts:org_create": "program admins of several organisations reach it from the chooser",
    # Reached by starting a shop or a quiz (POST), or linked from an emailed invitation; each is
    # visited at 390 px by tests/e2e/test_e2e_shopper_visit.py.
    "shoppers:join": "linked from the programme's invitation (test_e2e_shopper_visit.py)",
    "shoppers:certification": "a quiz an applicant is sent to (test_e2e_shopper_visit.py)",
    "shoppers:quiz_respond": "reached by starting a quiz (POST; test_e2e_shopper_visit.py)",
    "shoppers:quiz_receipt": "reached by submitting a quiz (test_e2e_shopper_visit.py)",
    "shoppers:visit_respond": "reached by starting a visit (POST; test_e2e_shopper_visit.py)",
    "shoppers:visit_receipt": "reached by sending a visit (test_e2e_shopper_visit.py)",
    "shoppers:visit_evidence": "a photo of a visit in progress (test_e2e_shopper_visit.py)",
    # Customer pages are reached from an emailed link (the token is exchanged for the session
    # first); tests/e2e/test_outreach.py visits them at 390 and 1280 px with axe-core.
    "surveys:outreach_link": "the personal link in an invitation email (test_outreach.py)",
    "surveys:outreach_anonymous": "a campaign's QR-code link (test_outreach.py)",
    "surveys:outreach_unsubscribe": "the unsubscribe link in an email (test_outreach.py)",
    "surveys:outreach_respond": "reached through the personal link (test_outreach.py)",
    "surveys:outreach_receipt": "reached by submitting the survey (test_outreach.py)",
    "surveys:outreach_evidence": "a photo a customer uploads (tests/outreach/test_public.py)",
    "surveys:outreach_autosave": "POST only (the form engine's autosave)",
    "surveys:outreach_submit": "POST only (the form engine's submit)",
    "surveys:outreach_upload": "POST only (evidence upload)",
    "surveys:outreach_campaign_status": "JSON polled by the campaign page's script",
    "surveys:outreach_campaign_preview_html": "the email preview's frame on the preview page",
    "surveys:outreach_import_status": "JSON polled by the contact import page's script",
    "surveys:outreach_import_detail": "reached by uploading a contact list (POST)",
    "messaging:mailbox": "development only (DEBUG)",
    "messaging:mailbox_message": "development only (DEBUG)",
    "messaging:mailbox_html": "development only (DEBUG)",
    "reportpdfs:batch": "reached by asking for a zip (POST; tests/reportpdfs/test_views.py)",
    "reportpdfs:batch_status": "JSON polled by the zip's progress page",
    "reportpdfs:batch_download": "a finished zip's file (tests/reportpdfs/test_views.py)",
    "downloads:export_status": "JSON polled by the exports page's script",
    "downloads:export_download": "the file of a background export (tests/downloads/test_views.py)",
    **{
        f"api:{p.name}": "the REST API: JSON for programs with a token (tests/api)"
        for p in api_v1_urls.urlpatterns
    },
}
# Links the crawl does not follow: Django's own admin site, the static files every page loads
# anyway, and the API (its docs page is Swagger UI, checked by tests/api/test_docs.py).
SKIP_PREFIXES = ("/admin/", "/static/", "/media/", "/api/v1/")


@dataclass
class Problem:
    role: str
    width: int
    url: str
    what: str

    def __str__(self) -> str:
        return f"{self.role} @{self.width}px {self.url}: {self.what}"


@dataclass
class Crawl:
    problems: list[Problem] = field(default_factory=list)
    reached: set[str] = field(default_factory=set)  # URL pattern names
    pages: int = 0


def url_names() -> set[str]:
    """Every named URL pattern of the project, except Django's admin site."""
    names: set[str] = set()

    def walk(patterns, namespace: str | None):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.app_name == "admin":
                    continue
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name:
                names.add(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns, None)
    return names


def view_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


# A button whose label wraps is taller than one line of its text plus its padding and border.
WRAPPED_BUTTONS = """() => [...document.querySelectorAll('.btn, button')].filter(el => {
  if (!el.offsetParent || el.closest('.dropdown-menu, .collapse:not(.show)')) return false;
  const s = getComputedStyle(el);
  const inner = el.getBoundingClientRect().height - parseFloat(s.paddingTop)
    - parseFloat(s.paddingBottom) - parseFloat(s.borderTopWidth) - parseFloat(s.borderBottomWidth);
  const line = parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.5;
  return inner > line * 1.5;
}).map(el => (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 60))"""

# What sticks out past the right edge of the window (to say why a page scrolls sideways).
WIDEST = """() => {
  const w = window.innerWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 1 && r.width > 0) {
      let inside = false;
      for (let p = el.parentElement; p; p = p.parentElement) {
        const ox = getComputedStyle(p).overflowX;
        if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') { inside = true; break; }
      }
      const cls = typeof el.className === 'string' ? el.className.trim() : '';
      if (!inside) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (cls ? '.' + cls.split(/\\s+/).join('.') : '') + ' right=' + Math.round(r.right));
    }
  }
  return out.slice(0, 3);
}"""


def check_layout(page, crawl: Crawl, role: str, url: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        scroll = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        if scroll > inner:
            widest = page.evaluate(WIDEST)
            crawl.problems.append(
                Problem(role, width, url, f"scrolls sideways ({scroll} > {inner}): {widest}")
            )
        wrapped = page.evaluate(WRAPPED_BUTTONS)
        if wrapped:
            crawl.problems.append(Problem(role, width, url, f"buttons on two lines: {wrapped}"))
        if os.environ.get("CXAUDIT_REPORT_TABLES") and width == WIDTHS[0]:
            wide = page.evaluate(
                "[...document.querySelectorAll('.table-responsive')]"
                ".filter(e => e.scrollWidth > e.clientWidth + 1)"
                ".map(e => (e.querySelector('caption') || e).textContent.trim().slice(0, 50))"
            )
            if wide:
                print(f"TABLE {role} {url}: {wide}")
        if SHOTS:
            name = re.sub(r"[^A-Za-z0-9]+", "-", urlsplit(url).path).strip("-") or "home"
            page.screenshot(path=f"{SHOTS}/{role}-{width}-{name}.png", full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


class RoleCrawl:
    """One role's browser context and what it has seen. `run()` visits the first link to each
    URL pattern it is shown; `more(wanted)` then visits further links to patterns already
    seen, until the pages it finds there link to the `wanted` patterns (e.g. the delete page of
    an archived journey is linked from that journey's page only)."""

    def __init__(self, browser, base_url: str, role: str, email: str | None, crawl: Crawl):
        self.role, self.crawl, self.base = role, crawl, urlsplit(base_url).netloc
        self.context = browser.new_context(
            base_url=base_url, viewport={"width": WIDTHS[0], "height": 900}
        )
        page = self.page = self.context.new_page()
        page.set_default_timeout(30_000)
        self.events: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.events.append(m.text))
        page.on("pageerror", lambda e: self.events.append(f"script error: {e}"))
        # A request cut short by leaving the page (a progress poll) is not a failure.
        page.on(
            "requestfailed",
            lambda r: (
                "ERR_ABORTED" not in (r.failure or "")
                and self.events.append(f"failed: {r.url} {r.failure}")
            ),
        )
        page.on("response", lambda r: r.status >= 400 and self.events.append(f"{r.status} {r.url}"))
        if email is None:  # not logged in: the public pages, from the login page on
            self.queue = deque(["/accounts/login/"])
        else:
            page.goto("/accounts/login/")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_load_state()
            assert "/accounts/login/" not in page.url, f"{role} could not log in"
            self.queue = deque([urlsplit(page.url).path])
        self.seen_paths: set[str] = set(self.queue)
        self.seen_keys: set[tuple] = set()
        self.backlog: deque[tuple[str, str]] = deque()  # (name, url) not visited yet

    def problem(self, width: int, url: str, what: str) -> None:
        self.crawl.problems.append(Problem(self.role, width, url, what))

    def run(self) -> None:
        while self.queue:
            self.visit(self.queue.popleft())

    def more(self, wanted: set[str], budget: int = 25) -> None:
        while budget and self.backlog and wanted - self.crawl.reached:
            _, url = self.backlog.popleft()
            if url in self.seen_paths:
                continue
            self.seen_paths.add(url)
            budget -= 1
            self.queue.append(url)
            self.run()

    def visit(self, url: str) -> None:
        self.events.clear()
        try:
            response = self.page.goto(url)
        except Exception as exc:  # a download (CSV, XLSX, JSON file) is not a page
            if "Download is starting" not in str(exc):
                raise
            answer = self.context.request.get(url)
            if answer.status >= 400:
                self.problem(0, url, f"download answers {answer.status}")
            else:
                self.crawl.reached.add(view_name(urlsplit(url).path))
            return
        self.crawl.pages += 1
        self.page.wait_for_load_state("load")
        status = response.status if response else 0
        if status >= 400 or not status:
            self.problem(0, url, f"answers {status or 'nothing'}")
        else:
            # The pattern asked for, and the one a redirect ended on.
            self.crawl.reached.add(view_name(urlsplit(url).path))
            self.crawl.reached.add(view_name(urlsplit(self.page.url).path))
        html = "text/html" in (response.headers.get("content-type", "") if response else "")
        for event in self.events:
            # A file shown as itself (an evidence photo, linked from the review page and the
            # report card) is sandboxed by its Content-Security-Policy, which also blocks the
            # inline styles of the browser's own image viewer: the viewer's, not a page's, error.
            if not html and "Content Security Policy" in event:
                continue
            self.problem(0, url, event)
        if not html:
            return
        check_layout(self.page, self.crawl, self.role, url)
        for href in self.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            self.found(url, href)

    def found(self, where: str, href: str) -> None:
        parts = urlsplit(href)
        if parts.netloc != self.base or parts.path.startswith(SKIP_PREFIXES):
            return
        name = view_name(parts.path)
        if name is None:
            self.problem(0, where, f"links to {parts.path}, which no URL pattern serves")
            return
        if name in NOT_FETCHED:
            return
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if target in self.seen_paths:
            return
        # One page per URL pattern, organisation and role (a page with a query string counts
        # once more): a superuser sees the demo and the other organisation.
        org = re.match(r"/o/([^/]+)/", parts.path)
        key = (org and org.group(1), name, bool(parts.query))
        if key in self.seen_keys:
            self.backlog.append((name, target))
            return
        self.seen_keys.add(key)
        self.seen_paths.add(target)
        self.queue.append(target)


def add_states_the_demo_lacks() -> None:
    """Pages that only exist in states the demo does not show: an archived journey (its delete
    page), a draft survey version (the builder's edit pages), a started self-assessment (the
    form engine) and a response import (its page). Made through the services, as a user would."""
    from django.core.files.base import ContentFile

    from cxaudit.accounts.models import Location, Membership, Organization, User
    from cxaudit.journeys import services as journeys
    from cxaudit.journeys.models import Journey
    from surveys.imports.services import create_import
    from surveys.models import SelfAssessmentRound, Survey
    from surveys.questionnaire.services import start_new_version
    from surveys.selfassess.services import start_self_assessment

    org = Organization.objects.get(slug="northline-rail")
    copy = journeys.duplicate_journey(journey=Journey.objects.for_org(org).first())
    journeys.archive_journey(journey=copy)
    shop = Survey.objects.for_org(org).get(code="demo-station-visit")
    start_new_version(survey=shop)
    manager = User.objects.get(email=ROLES["client_manager"])
    round_ = SelfAssessmentRound.objects.for_org(org).open().get()
    start_self_assessment(round=round_, user=manager, location=None)
    limited = Membership.objects.get(user__email=ROLES["limited_manager"], organization=org)
    start_self_assessment(round=round_, user=limited.user, location=limited.locations.first())
    location = Location.objects.for_org(org).first()
    create_import(
        organization=org,
        survey_code=shop.code,
        uploaded_by=User.objects.get(email=ROLES["program_admin"]),
        file=ContentFile(f"source,location,wave\nshopper,{location.code},2026 Q3\n".encode(), "a"),
        enqueue=False,
    )


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from cxaudit.accounts.models import User

    # The limited managers of the demo have no password (they never log in); give one a password
    # so that the crawl sees what a manager of some locations sees.
    user = User.objects.get(email=ROLES["limited_manager"])
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    add_states_the_demo_lacks()


# Seven roles × every page × two widths: past the suite's default 300 s on a machine shared with
# other test runs (it grows with each page the project adds).
@pytest.mark.timeout(900)
def test_every_page_fits_a_phone_and_a_desktop_for_every_role(browser, live_server, demo):
    started = time.monotonic()
    crawl = Crawl()
    crawls = [RoleCrawl(browser, live_server.url, r, e, crawl) for r, e in ROLES.items()]
    for c in crawls:
        c.run()
    wanted = url_names() - set(UNREACHED)
    for c in crawls:
        c.more(wanted)
        c.context.close()
    elapsed = time.monotonic() - started
    print(f"crawled {crawl.pages} pages for {len(ROLES)} roles in {elapsed:.0f}s")

    unreached = url_names() - crawl.reached - set(UNREACHED)
    failures = [str(p) for p in crawl.problems]
    if unreached:
        failures.append(
            "no role reached these pages through a link: link them from a page, or add them "
            f"to UNREACHED with the reason: {sorted(unreached)}"
        )
    assert not failures, "\n".join(failures)
