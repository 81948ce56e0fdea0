"""The form engine: renders a draft response of any survey, autosaves it, submits it once, and
takes evidence uploads; plus the staff preview.

Every way a survey is answered reuses these classes. `FormEngineMixin` knows nothing about who
the respondent is: a subclass says how the draft is found (`get_draft`), which layout frames the
form (`base_template`) and where the endpoints are (`endpoint_urls`). Here the respondent is a
logged-in member who owns the draft (`MemberDraftMixin`); an emailed invitation will be a small
subclass that finds the draft by its token and uses the public layout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cxaudit.accounts.permissions import Cap, OrgViewMixin, get_for_org
from cxaudit.accounts.scope import location_scope
from cxaudit.errors import DomainError, ValidationFailed

from ..questionnaire.models import Survey
from ..questionnaire.structure import load_structure
from . import services
from .evidence import ALLOWED, EvidenceRejected, max_bytes, too_large_message
from .forms import (
    FILE_PREFIX,
    build_sections,
    engine_config,
    error_map,
    raw_from_post,
)
from .models import Evidence, Response

JSON_NO_STORE = {"Cache-Control": "no-store"}

# Drafts that another app answers through pages of its own (a mystery shop's visit form, a
# certification quiz) are claimed here by that app (in its AppConfig.ready), so that the
# generic member pages below cannot be used to go round its rules (deadline, visit details).
# Each claimant says whether a response is one of its drafts.
_draft_claimants: list[Callable[[Response], bool]] = []


def claim_drafts(claimant: Callable[[Response], bool]) -> None:
    if claimant not in _draft_claimants:
        _draft_claimants.append(claimant)


def claimed_elsewhere(response: Response) -> bool:
    return any(claimant(response) for claimant in _draft_claimants)


@dataclass(frozen=True)
class BlankForm:
    html: str  # the sections, rendered with no answer and no error
    config: dict[str, Any]  # engine_config of the structure
    section_count: int


@lru_cache(maxsize=128)
def blank_form(survey_pk: int, published_at, language: str, mode: str) -> BlankForm:
    """The empty form of a published survey version, rendered once per process and language.
    Safe because a published version never changes (it returns to draft, and is published
    again with a new published_at, only while nobody has answered it); `published_at` is in
    the key for that reason."""
    survey = Survey.objects.get(pk=survey_pk)
    structure = load_structure(survey)
    sections = build_sections(structure, {}, {}, {})
    html = render_to_string(  # a SafeString: escaped by the template engine
        "surveys/respond/_sections.html",
        {"sections": sections, "mode": mode, "max_upload": max_bytes()},
    )
    return BlankForm(html=html, config=engine_config(structure), section_count=len(sections))


class FormEngineMixin:
    """Render, autosave, submit and upload for one draft response (see the module docstring)."""

    template_name = "surveys/respond/form.html"
    receipt_template_name = "surveys/respond/receipt.html"
    mode = "respond"

    # -- what a subclass provides ------------------------------------------------------------

    def get_draft(self) -> Response:
        raise NotImplementedError

    def base_template(self) -> str:
        return "base_public.html"

    def endpoint_urls(self, response: Response) -> dict[str, str]:
        raise NotImplementedError

    def form_context(self, response: Response | None) -> dict[str, Any]:
        """Extra context for the layout around the form (e.g. the shop being reported)."""
        return {}

    def engine_messages(self) -> dict[str, str]:
        """Words for survey-form.js in the page's language (it falls back to English)."""
        return {}

    # -- shared behaviour -------------------------------------------------------------------

    def evidence_by_key(self, response: Response | None) -> dict[str, Evidence]:
        if response is None:
            return {}
        return {str(e.key): e for e in Evidence.objects.filter(response=response)}

    def render_form(
        self,
        request,
        *,
        survey: Survey,
        response: Response | None,
        raw: dict[str, Any],
        errors: list[tuple[str, str]] | None = None,
        status: int = 200,
    ):
        context = self.form_page_context(survey=survey, response=response, raw=raw, errors=errors)
        return render(request, self.template_name, context, status=status)

    def form_page_context(
        self,
        *,
        survey: Survey,
        response: Response | None,
        raw: dict[str, Any],
        errors: list[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:
        """The form page's context; `sections_html` is set when the form is the blank one."""
        blank = None
        if (
            not raw
            and not errors
            and survey.status == Survey.Status.PUBLISHED
            and survey.published_at
        ):
            blank = blank_form(survey.pk, survey.published_at, get_language(), self.mode)
        if blank is not None:
            # A published version is frozen: its empty form is rendered once per process.
            sections, sections_html, config, error_list = [], blank.html, blank.config, []
            section_count, field_errors = blank.section_count, {}
        else:
            structure = load_structure(survey)
            field_errors = error_map(errors or [])
            sections = build_sections(structure, raw, field_errors, self.evidence_by_key(response))
            texts = {code: q.text for code, q in structure.questions.items()}
            error_list = [
                {
                    "anchor": f"q-{code}" if code in structure.questions else "error-summary",
                    "label": texts.get(code, code),
                    "message": message,
                }
                for code, message in (errors or [])
            ]
            sections_html, config, section_count = "", engine_config(structure), len(sections)
        urls = self.endpoint_urls(response) if response is not None else {}
        context = {
            "base_template": self.base_template(),
            "mode": self.mode,
            "survey": survey,
            "response": response,
            "sections": sections,
            "sections_html": sections_html,
            "section_count": section_count,
            "errors": field_errors,
            "error_list": error_list,
            "urls": urls,
            "engine": {
                **config,
                "mode": self.mode,
                "clientId": str(response.client_id) if response is not None else "",
                "serverSavedAt": int(response.updated_at.timestamp() * 1000)
                if response is not None and response.draft
                else 0,
                "urls": urls,
                "maxUploadBytes": max_bytes(),
                "messages": self.engine_messages(),
            },
            "max_upload": max_bytes(),
            "org": getattr(self, "org", None),
            **self.form_context(response),
        }
        return context

    def receipt_url(self, response: Response) -> str:
        return self.endpoint_urls(response)["receipt"]

    def show_form(self, request, response: Response):
        if response.status == Response.Status.SUBMITTED:
            return HttpResponseRedirect(self.receipt_url(response))
        return self.render_form(
            request, survey=response.survey, response=response, raw=dict(response.draft or {})
        )

    def autosave(self, request, response: Response):
        structure = load_structure(response.survey)
        raw = raw_from_post(request.POST, structure)
        try:
            saved = services.save_form_draft(response=response, raw_answers=raw)
        except DomainError as exc:
            return JsonResponse(
                {"error": exc.message, "redirect": self.receipt_url(response)},
                status=409,
                headers=JSON_NO_STORE,
            )
        # Text no input may hold (a NUL, a control character) is left out of the draft, as
        # every import and form refuses it; the page names the questions.
        refused = services.draft_refusals(structure, raw)
        return JsonResponse(
            {
                "saved_at": saved.updated_at.isoformat(),
                "saved_at_ms": int(saved.updated_at.timestamp() * 1000),
                "refused": [
                    {"question": code, "label": structure.questions[code].text, "reason": why}
                    for code, why in refused
                ],
            },
            headers=JSON_NO_STORE,
        )

    def submit(self, request, response: Response):
        if response.status == Response.Status.SUBMITTED:  # a replay: same receipt
            return HttpResponseRedirect(self.receipt_url(response))
        structure = load_structure(response.survey)
        raw = raw_from_post(request.POST, structure)
        upload_errors = self._attach_posted_files(request, response, structure, raw)
        try:
            if upload_errors:
                services.save_form_draft(response=response, raw_answers=raw)
                raise ValidationFailed("A file could not be accepted.", upload_errors)
            services.submit_form(response=response, raw_answers=raw)
        except ValidationFailed as exc:
            return self.render_form(
                request, survey=response.survey, response=response, raw=raw, errors=exc.errors
            )
        except DomainError as exc:
            return self.render_form(
                request,
                survey=response.survey,
                response=response,
                raw=raw,
                errors=[("", exc.message)],
            )
        return HttpResponseRedirect(self.receipt_url(response))

    def _attach_posted_files(self, request, response, structure, raw) -> list[tuple[str, str]]:
        """Files posted with the form itself (browsers without JavaScript)."""
        errors = []
        for name, upload in request.FILES.items():
            code = name[len(FILE_PREFIX) :] if name.startswith(FILE_PREFIX) else None
            question = structure.questions.get(code or "")
            if question is None or question.type != "file":
                continue
            try:
                evidence = services.attach_evidence(
                    response=response, question=question, upload=upload
                )
            except DomainError as exc:
                errors.append((question.code, exc.message))
            else:
                raw[question.code] = str(evidence.key)
        return errors

    def upload(self, request, response: Response):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_bytes() + 64 * 1024:
            # Refuse before reading the body into temporary files.
            return JsonResponse({"error": too_large_message()}, status=400)
        structure = load_structure(response.survey)
        question = structure.questions.get(request.POST.get("question", ""))
        upload = request.FILES.get("file")
        if question is None or question.type != "file":
            return JsonResponse({"error": "Unknown file question."}, status=400)
        if upload is None:
            return JsonResponse({"error": "Choose a file to upload."}, status=400)
        try:
            evidence = services.attach_evidence(response=response, question=question, upload=upload)
        except EvidenceRejected as exc:
            return JsonResponse({"error": exc.message}, status=400)
        except DomainError as exc:
            return JsonResponse({"error": exc.message}, status=409)
        return JsonResponse(
            {
                "key": str(evidence.key),
                "name": evidence.original_name,
                "size": evidence.size,
                "content_type": evidence.content_type,
                "url": self.evidence_url(evidence),
            },
            headers=JSON_NO_STORE,
        )

    def evidence_url(self, evidence: Evidence) -> str:
        raise NotImplementedError


class MemberDraftMixin(OrgViewMixin, FormEngineMixin):
    """The respondent is a logged-in member of the organisation who owns the draft."""

    capability = Cap.VIEW_ORG

    def get_draft(self) -> Response:
        # The respondent's own draft, and only while its location is within their scope (a
        # manager whose limit no longer covers it answers it no more).
        mine = Response.objects.filter(respondent=self.request.user).select_related("survey")
        response = location_scope(self.request).get(
            mine, org_wide=True, client_id=self.kwargs["client_id"]
        )
        if claimed_elsewhere(response):
            raise Http404("Not found.")
        return response

    def base_template(self) -> str:
        return "base_staff.html" if self.org_ctx.can(Cap.STAFF_AREA) else "base_shopper.html"

    def endpoint_urls(self, response: Response) -> dict[str, str]:
        kwargs = {"org_slug": self.org.slug, "client_id": response.client_id}
        return {
            name: reverse(f"surveys:{name}", kwargs=kwargs)
            for name in ("respond", "autosave", "submit", "receipt", "upload")
        } | {"csrf": reverse("surveys:csrf_token"), "login": reverse("login")}

    def evidence_url(self, evidence: Evidence) -> str:
        return reverse(
            "surveys:evidence_file", kwargs={"org_slug": self.org.slug, "key": evidence.key}
        )


@method_decorator(never_cache, name="dispatch")
class RespondView(MemberDraftMixin, View):
    http_method_names = ["get"]

    def get(self, request, **kwargs):
        return self.show_form(request, self.get_draft())


@method_decorator(never_cache, name="dispatch")
class AutosaveView(MemberDraftMixin, View):
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        return self.autosave(request, self.get_draft())


@method_decorator(never_cache, name="dispatch")
class SubmitView(MemberDraftMixin, View):
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        return self.submit(request, self.get_draft())


@method_decorator(never_cache, name="dispatch")
class UploadView(MemberDraftMixin, View):
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        return self.upload(request, self.get_draft())


@method_decorator(never_cache, name="dispatch")
class ReceiptView(MemberDraftMixin, View):
    http_method_names = ["get"]

    def get(self, request, **kwargs):
        response = self.get_draft()
        if response.status != Response.Status.SUBMITTED:
            return HttpResponseRedirect(self.endpoint_urls(response)["respond"])
        return render(
            request,
            self.receipt_template_name,
            {
                "base_template": self.base_template(),
                "response": response,
                "survey": response.survey,
                "answer_count": response.answers.count(),
                "org": self.org,
            },
        )


@method_decorator(never_cache, name="dispatch")
class PreviewView(OrgViewMixin, FormEngineMixin, View):
    """The form exactly as a respondent sees it; nothing can be saved from here."""

    capability = Cap.VIEW_SURVEYS
    http_method_names = ["get"]
    mode = "preview"

    def base_template(self) -> str:
        return "base_staff.html"

    def get(self, request, **kwargs):
        survey = get_for_org(Survey, self.org, pk=kwargs["pk"])
        return self.render_form(request, survey=survey, response=None, raw={})


class EvidenceFileView(OrgViewMixin, View):
    """Serves one evidence file to its respondent, or to staff who may see its response's
    location (cxaudit.accounts.scope, as the drill-down that links it) once the response counts
    (reviewers before); never as HTML."""

    capability = Cap.VIEW_ORG
    http_method_names = ["get"]

    def get(self, request, **kwargs):
        evidence = get_for_org(
            Evidence.objects.select_related("response"), self.org, key=kwargs["key"]
        )
        response = evidence.response
        scope = location_scope(request)
        own = response.respondent_id == request.user.pk
        if own:
            allowed = scope.allows(response.location_id, org_wide=True)
        else:
            # A mystery shop not yet approved is the reviewers' business alone (the analysis
            # and the report cards show it only once it counts).
            allowed = (
                self.org_ctx.can(Cap.VIEW_SURVEYS)
                and scope.allows(response.location_id)
                and (response.counted or self.org_ctx.can(Cap.REVIEW_SHOPS))
            )
        if not allowed:
            raise Http404("Not found.")
        return serve_evidence(evidence)


def serve_evidence(evidence: Evidence) -> FileResponse:
    """The stored file with its checked type; PDFs as downloads, nothing sniffable."""
    ext = ALLOWED.get(evidence.content_type)
    if ext is None:  # cannot happen (database constraint); never guess a type
        raise Http404("Not found.")
    response = FileResponse(
        evidence.file.open("rb"),
        content_type=evidence.content_type,
        as_attachment=evidence.content_type == "application/pdf",
        filename=f"evidence-{evidence.key}.{ext}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@never_cache
@require_GET
def csrf_token(request):
    """A fresh CSRF token for a form whose token was rotated (login in another tab)."""
    return JsonResponse({"token": get_token(request)}, headers=JSON_NO_STORE)
