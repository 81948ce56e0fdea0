"""The customer's pages: no account, no login.

- `/i/<token>/` exchanges a personal token for the session (the invitation's id is kept in the
  customer's session cookie, signed; see `Held`) and redirects to `/r/<invitation key>/`, a URL
  without the token that works only in a session holding that invitation. Every attempt counts
  against the client address first (the shared cache), then costs one lookup by the token's
  hash — the same for every token — and an unusable token always gets the same status; only a
  holder of a real token learns why (expired, already answered) from the page's words.
- `/r/<key>/…` is the form engine (a small FormEngineMixin subclass) on the public layout, in the
  invitation's language: autosave, submit (the invitation is completed in the submission's
  transaction), uploads and the thank-you page.
- `/q/<anonymous key>/` starts one anonymous answer per browser session while the campaign's
  cap allows.
- `/u/<signed value>/` unsubscribes: a GET shows a button (link scanners never unsubscribe
  anyone), a POST — the button, or a mail client's RFC 8058 one-click — takes effect at once.

Every page sends `Cache-Control: no-store` and noindex, and `Referrer-Policy: no-referrer` where
its address carries a secret (the token link, the unsubscribe link) or answers for one (the link
pages). The form pages at `/r/<key>/` carry none and keep the site's `same-origin`: under
`no-referrer` browsers send `Origin: null` with every POST, which Django's CSRF check refuses.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from cxaudit import throttle
from cxaudit.accounts.security import client_ip

from ..responses.models import Evidence, Response
from ..responses.shells import ShellCache
from ..responses.views import FormEngineMixin, serve_evidence
from . import emails, i18n, services
from .models import Campaign, Invitation

# The customer's session: a signed cookie (Django's signing, salted for this use, HttpOnly,
# SameSite=Lax, Secure like the session cookie, as long-lived as a session) holding the ids of
# the invitations this browser may answer and of its anonymous answers per campaign. It needs
# no session row per customer (a campaign to 100,000 contacts would otherwise write up to
# 100,000) and no lookup on every page; the invitation key in the address is still needed too.
RESPONDENT_COOKIE = "cxaudit_respondent"
RESPONDENT_SALT = "surveys.outreach.respondent"
SESSION_KEEP = 20  # invitations (and anonymous answers) remembered per browser, the newest
ENDPOINTS = ("respond", "autosave", "submit", "receipt", "upload")

# The blank survey page of each (survey version, language, organisation), rendered once per
# process with markers for the invitation's key, the draft's client id and the CSRF token
# (surveys/responses/shells.py): a customer's later views of an empty form are served from it.
shells = ShellCache()


def _public(response, *, referrer: str = "no-referrer"):
    response["Referrer-Policy"] = referrer
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response


def _allowed(request, scope: str) -> bool:
    """Count one attempt from this client address; False when over the limit."""
    return throttle.hit(
        f"outreach.{scope}",
        client_ip(request),
        limit=settings.CXAUDIT_OUTREACH_LINK_ATTEMPTS,
        window=settings.CXAUDIT_OUTREACH_LINK_WINDOW,
    )


def link_page(request, reason: str, *, language: str, status: int = 404, **extra):
    """The page of a link that cannot be answered (or a session that holds none)."""
    with translation.override(language):
        response = render(
            request, "surveys/outreach/link.html", {"reason": reason, **extra}, status=status
        )
    return _public(response)


@dataclass(frozen=True)
class Held:
    """What the customer's session cookie holds."""

    invitations: tuple[int, ...] = ()  # ids, oldest first
    anonymous: tuple[tuple[int, int], ...] = ()  # (campaign id, invitation id), oldest first

    @classmethod
    def of(cls, request) -> Held:
        """The request's cookie, its signature checked once per request."""
        held = getattr(request, "_outreach_held", None)
        if held is None:
            held = request._outreach_held = cls._read(request.COOKIES.get(RESPONDENT_COOKIE))
        return held

    @classmethod
    def _read(cls, value: str | None) -> Held:
        if not value:
            return cls()
        try:
            data = signing.loads(value, salt=RESPONDENT_SALT, max_age=settings.SESSION_COOKIE_AGE)
            invitations = tuple(int(pk) for pk in data.get("i", ()))
            anonymous = tuple((int(c), int(i)) for c, i in data.get("a", ()))
        except (signing.BadSignature, ValueError, TypeError, AttributeError):
            return cls()  # tampered with, too old, or of a format before this one
        return cls(invitations[-SESSION_KEEP:], anonymous[-SESSION_KEEP:])

    def anonymous_answer(self, campaign_id: int) -> int | None:
        return dict(self.anonymous).get(campaign_id)

    def remember(self, invitation: Invitation, *, anonymous: bool = False) -> Held:
        invitations = (*(pk for pk in self.invitations if pk != invitation.pk), invitation.pk)
        answers = self.anonymous
        if anonymous:
            campaign = invitation.campaign_id
            answers = (*(a for a in answers if a[0] != campaign), (campaign, invitation.pk))
        return Held(invitations[-SESSION_KEEP:], answers[-SESSION_KEEP:])

    def keep(self, response) -> None:
        response.set_cookie(
            RESPONDENT_COOKIE,
            signing.dumps({"i": self.invitations, "a": self.anonymous}, salt=RESPONDENT_SALT),
            max_age=settings.SESSION_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


def to_the_form(held: Held, invitation: Invitation):
    """Redirect to the invitation's token-less address, the cookie holding the invitation."""
    response = HttpResponseRedirect(reverse("surveys:outreach_respond", args=[invitation.key]))
    held.keep(response)
    return _public(response)


@require_GET
def link(request, token: str):
    """Exchange a personal token for the session, then leave the token out of the address."""
    if not _allowed(request, "link"):
        return link_page(request, "busy", language=i18n.browser_language(request), status=429)
    outcome = services.check_link(token)
    invitation = outcome.invitation
    if outcome.reason:
        language = invitation.language if invitation else i18n.browser_language(request)
        return link_page(request, outcome.reason, language=language)
    return to_the_form(Held.of(request).remember(invitation), invitation)


@require_GET
def anonymous(request, key: str):
    """The campaign's anonymous link: one answer per browser session, up to the cap."""
    if not _allowed(request, "anonymous"):
        return link_page(request, "busy", language=i18n.browser_language(request), status=429)
    campaign = Campaign.objects.filter(anonymous_key=key).first()
    if campaign is None:
        return link_page(request, "unknown", language=i18n.browser_language(request))
    language = i18n.language_of(campaign.language)
    held = Held.of(request)
    invitation = Invitation.objects.filter(
        pk=held.anonymous_answer(campaign.pk), campaign=campaign
    ).first()
    if invitation is None:
        start = services.start_anonymous(campaign=campaign)
        if start.invitation is None:
            return link_page(request, start.reason, language=language)
        invitation = start.invitation
    return to_the_form(held.remember(invitation, anonymous=True), invitation)


class InvitationDraftMixin(FormEngineMixin):
    """The respondent is whoever holds the invitation in this session."""

    invitation: Invitation

    def dispatch(self, request, *args, **kwargs):
        held = Held.of(request).invitations
        # One query, without ORDER BY (the key is unique); the wave is loaded only by
        # open_invitation, when a draft is started. This runs on every page of the survey.
        found = (
            list(
                Invitation.objects.select_related(
                    "campaign__survey", "campaign__organization", "response__survey"
                )
                .filter(key=kwargs["key"], pk__in=held)
                .order_by()[:1]
            )
            if held
            else []
        )
        invitation = found[0] if found else None
        if invitation is None:
            return link_page(request, "session", language=i18n.browser_language(request))
        self.invitation = invitation
        with translation.override(i18n.language_of(invitation.language)):
            state = services.invitation_state(invitation)
            # An answered invitation still shows its thank-you page to its session (the form
            # engine redirects there); an expired or unsubscribed one shows why it cannot be
            # answered.
            if state.reason and state.reason != "answered":
                return link_page(request, state.reason, language=invitation.language)
            self.org = invitation.campaign.organization
            response = super().dispatch(request, *args, **kwargs)
        return _form_page(response, invitation.language)

    def get_draft(self) -> Response:
        if self.invitation.response is not None:
            return self.invitation.response
        return services.open_invitation(invitation=self.invitation)

    def base_template(self) -> str:
        return "surveys/outreach/base_respondent.html"

    def endpoint_urls(self, response: Response) -> dict[str, str]:
        return endpoint_urls(self.invitation.key)

    def engine_messages(self) -> dict[str, str]:
        return i18n.engine_messages()

    def evidence_url(self, evidence: Evidence) -> str:
        return reverse("surveys:outreach_evidence", args=[self.invitation.key, evidence.key])

    def render_form(self, request, *, errors=None, status=200, **kwargs):
        context = self.form_page_context(errors=i18n.messages(errors or []), **kwargs)
        response = context["response"]
        if context["sections_html"] and response is not None and status == 200:
            # The blank form: from this process's shell, rendering the shell the first time.
            survey = kwargs["survey"]
            org = self.org
            key = shell_key(
                survey.pk, survey.published_at, self.invitation.language, org.pk, org.name
            )
            markers = {"key": str(uuid.uuid4()), "client": str(uuid.uuid4())}
            markers["csrf"] = secrets.token_hex(32)
            urls = endpoint_urls(markers["key"])
            engine = {**context["engine"], "urls": urls, "clientId": markers["client"]}
            shell = shells.get_or_render(
                key,
                markers,
                lambda: render_to_string(  # no request: nothing of the viewer's is in it
                    self.template_name,
                    {
                        **context,
                        "urls": urls,
                        "engine": engine,
                        "csrf_token": markers["csrf"],
                    },
                ),
            )
            page = shell.fill(
                {
                    "key": str(self.invitation.key),
                    "client": str(response.client_id),
                    "csrf": get_token(request),
                }
            )
            if page is not None:
                return HttpResponse(page)
        return render(request, self.template_name, context, status=status)


def endpoint_urls(key) -> dict[str, str]:
    """The form engine's addresses for the invitation `key`."""
    return {name: reverse(f"surveys:outreach_{name}", args=[key]) for name in ENDPOINTS} | {
        "csrf": reverse("surveys:csrf_token"),
        "login": reverse("surveys:outreach_respond", args=[key]),
    }


def shell_key(
    survey_id: int, published_at, language: str, organization_id: int, organization_name: str
) -> tuple:
    """What the blank page shows besides the per-request values: the survey version (frozen
    while published; `published_at` changes when it is published again), the language and
    the organisation's name."""
    return (survey_id, published_at, i18n.language_of(language), organization_id, organization_name)


def page_from_shell(request, key):
    """The blank survey page of an invitation this session holds, when this process has its
    shell: the session cookie's signature checked, one narrow query, no template. None
    otherwise (the full path then renders the page, and the shell with it)."""
    held = Held.of(request).invitations
    if not held:
        return None
    page = services.blank_page(key=key, held=list(held))
    if page is None:
        return None
    shell = shells.get(
        shell_key(
            page.survey_id,
            page.published_at,
            page.language,
            page.organization_id,
            page.organization_name,
        )
    )
    html = (
        shell.fill({"key": str(key), "client": page.client_id, "csrf": get_token(request)})
        if shell is not None
        else None
    )
    return _form_page(HttpResponse(html), page.language) if html is not None else None


def _form_page(response, language: str):
    """The headers of every page under /r/<key>/ (the full path's and the shell's)."""
    response["Content-Language"] = i18n.language_of(language)
    # No secret is in these addresses, and the form posts to itself: with no-referrer
    # browsers send "Origin: null" on every POST, which the CSRF check must refuse.
    return _public(response, referrer="same-origin")


class RespondView(InvitationDraftMixin, View):
    http_method_names = ["get"]

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET":
            page = page_from_shell(request, kwargs["key"])
            if page is not None:
                return page
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, **kwargs):
        if self.invitation.status == Invitation.Status.INVITED:
            self.invitation.mark_opened(at=timezone.now())
        return self.show_form(request, self.get_draft())


class AutosaveView(InvitationDraftMixin, View):
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        result = self.autosave(request, self.get_draft())
        if result.status_code == 200:
            services.mark_started(invitation=self.invitation)
        return result


class SubmitView(InvitationDraftMixin, View):
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        return self.submit(request, self.get_draft())

    def submit(self, request, response):
        # One transaction for the submission and the invitation; the invitation row is locked
        # first, so two submissions on one link at once make one response and complete once.
        with transaction.atomic():
            invitation = Invitation.objects.select_for_update().get(pk=self.invitation.pk)
            result = super().submit(request, response)
            response.refresh_from_db(fields=["status", "submitted_at"])
            if (
                response.status == Response.Status.SUBMITTED
                and invitation.status != Invitation.Status.COMPLETED
            ):
                services.complete_invitation(invitation=invitation, response=response)
        return result


class UploadView(InvitationDraftMixin, View):
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        return self.upload(request, self.get_draft())


class ReceiptView(InvitationDraftMixin, View):
    """The thank-you page."""

    http_method_names = ["get"]

    def get(self, request, **kwargs):
        response = self.invitation.response
        if response is None or response.status != Response.Status.SUBMITTED:
            return HttpResponseRedirect(reverse("surveys:outreach_respond", args=[kwargs["key"]]))
        return render(
            request,
            "surveys/outreach/thanks.html",
            {
                "base_template": self.base_template(),
                "response": response,
                "survey": self.invitation.campaign.survey,
                "campaign": self.invitation.campaign,
            },
        )


class EvidenceView(InvitationDraftMixin, View):
    """A file the customer uploaded to this invitation's draft."""

    http_method_names = ["get"]

    def get(self, request, **kwargs):
        response = self.invitation.response
        evidence = (
            Evidence.objects.filter(response=response, key=kwargs["evidence"]).first()
            if response is not None
            else None
        )
        if evidence is None:
            raise Http404("Not found.")
        return serve_evidence(evidence)


@csrf_exempt  # RFC 8058: a mail client's one-click POST carries no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, value: str):
    """GET: a page with a button; POST: unsubscribe from every survey of the organisation."""
    contact = emails.contact_from_unsubscribe(value)
    if contact is None:
        return link_page(request, "unsubscribe_unknown", language=i18n.browser_language(request))
    language = i18n.language_of(contact.language)
    done = False
    if request.method == "POST":
        services.unsubscribe_contact(contact=contact)
        done = True
    with translation.override(language):
        response = render(
            request,
            "surveys/outreach/unsubscribe.html",
            {
                "contact": contact,
                "done": done or contact.unsubscribed_at is not None,
                "organization": contact.organization,
            },
        )
    return _public(response)
