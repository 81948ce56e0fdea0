"""The customer's pages: no account, no login.

- `/i/<token>/` exchanges a personal token for the session (the invitation's id is kept in the
  session) and redirects to `/r/<invitation key>/`, a URL without the token that works only in a
  session holding that invitation. Every attempt counts against the client address first (the
  shared cache), then costs one lookup by the token's hash — the same for every token — and an
  unusable token always gets the same status; only a holder of a real token learns why
  (expired, already answered) from the page's words.
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

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from cxaudit import throttle
from cxaudit.accounts.security import client_ip

from ..responses.models import Evidence, Response
from ..responses.views import FormEngineMixin, serve_evidence
from . import emails, i18n, services
from .models import Campaign, Invitation

SESSION_INVITATIONS = "outreach.invitations"  # ids of the invitations this session may answer
SESSION_ANONYMOUS = "outreach.anonymous"  # {campaign id: invitation id}
SESSION_KEEP = 20  # invitations remembered per session (the newest)


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


def remember(request, invitation: Invitation) -> None:
    held = [i for i in request.session.get(SESSION_INVITATIONS, []) if i != invitation.pk]
    request.session[SESSION_INVITATIONS] = [*held, invitation.pk][-SESSION_KEEP:]


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
    remember(request, invitation)
    return _public(HttpResponseRedirect(reverse("surveys:outreach_respond", args=[invitation.key])))


@require_GET
def anonymous(request, key: str):
    """The campaign's anonymous link: one answer per browser session, up to the cap."""
    if not _allowed(request, "anonymous"):
        return link_page(request, "busy", language=i18n.browser_language(request), status=429)
    campaign = Campaign.objects.filter(anonymous_key=key).first()
    if campaign is None:
        return link_page(request, "unknown", language=i18n.browser_language(request))
    language = i18n.language_of(campaign.language)
    started = request.session.get(SESSION_ANONYMOUS, {})
    invitation = Invitation.objects.filter(
        pk=started.get(str(campaign.pk)), campaign=campaign
    ).first()
    if invitation is None:
        start = services.start_anonymous(campaign=campaign)
        if start.invitation is None:
            return link_page(request, start.reason, language=language)
        invitation = start.invitation
        request.session[SESSION_ANONYMOUS] = {**started, str(campaign.pk): invitation.pk}
    remember(request, invitation)
    return _public(HttpResponseRedirect(reverse("surveys:outreach_respond", args=[invitation.key])))


class InvitationDraftMixin(FormEngineMixin):
    """The respondent is whoever holds the invitation in this session."""

    invitation: Invitation

    def dispatch(self, request, *args, **kwargs):
        held = request.session.get(SESSION_INVITATIONS, [])
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
        response["Content-Language"] = i18n.language_of(invitation.language)
        # No secret is in these addresses, and the form posts to itself: with no-referrer
        # browsers send "Origin: null" on every POST, which the CSRF check must refuse.
        return _public(response, referrer="same-origin")

    def get_draft(self) -> Response:
        if self.invitation.response is not None:
            return self.invitation.response
        return services.open_invitation(invitation=self.invitation)

    def base_template(self) -> str:
        return "surveys/outreach/base_respondent.html"

    def endpoint_urls(self, response: Response) -> dict[str, str]:
        key = self.invitation.key
        return {
            name: reverse(f"surveys:outreach_{name}", args=[key])
            for name in ("respond", "autosave", "submit", "receipt", "upload")
        } | {
            "csrf": reverse("surveys:csrf_token"),
            "login": reverse("surveys:outreach_respond", args=[key]),
        }

    def engine_messages(self) -> dict[str, str]:
        return i18n.engine_messages()

    def evidence_url(self, evidence: Evidence) -> str:
        return reverse("surveys:outreach_evidence", args=[self.invitation.key, evidence.key])

    def render_form(self, request, *, errors=None, **kwargs):
        return super().render_form(request, errors=i18n.messages(errors or []), **kwargs)


class RespondView(InvitationDraftMixin, View):
    http_method_names = ["get"]

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
