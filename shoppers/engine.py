"""The form engine for the programme's own drafts: a shop's visit form (shoppers.visits) and a
certification quiz (shoppers.signup). Each is a small subclass of
surveys.responses.views.FormEngineMixin that finds its draft through the shop or the quiz
attempt of the logged-in shopper (404 for anybody else's), says when the draft may still change
and where to go when it may not, and submits through its own service.

These drafts are claimed (`answered_here`, registered in ShoppersConfig.ready) so that the
generic member pages of the form engine refuse them: their rules cannot be gone round.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from cxaudit.accounts.permissions import Cap, OrgViewMixin
from surveys.models import Response, Source
from surveys.responses.views import JSON_NO_STORE, FormEngineMixin

from .models import Assignment, Certification

ENDPOINTS = ("respond", "autosave", "submit", "upload", "receipt")


def answered_here(response: Response) -> bool:
    """Whether a response is a shop's visit form or a certification quiz attempt."""
    if response.source != Source.SHOPPER:
        return False
    return (
        Assignment.objects.filter(response=response).exists()
        or Certification.objects.filter(response=response).exists()
    )


class ProgrammeDraftMixin(OrgViewMixin, FormEngineMixin):
    """A shopper's own draft of the programme, reached through its owner object's pk."""

    capability = Cap.SHOP
    url_prefix = ""  # "shoppers:visit" -> shoppers:visit_respond, shoppers:visit_autosave, ...
    closed_message = "This form can no longer be changed."

    def is_open(self) -> bool:
        """Whether the draft may still be changed and sent."""
        raise NotImplementedError

    def closed_url(self) -> str:
        """Where the shopper goes when the draft cannot be changed."""
        raise NotImplementedError

    def base_template(self) -> str:
        return "shoppers/form_layout.html"

    def url_args(self) -> list:
        return [self.org.slug, self.kwargs["pk"]]

    def endpoint_urls(self, response: Response) -> dict[str, str]:
        args = self.url_args()
        return {name: reverse(f"{self.url_prefix}_{name}", args=args) for name in ENDPOINTS} | {
            "csrf": reverse("surveys:csrf_token"),
            "login": reverse("login"),
        }

    def closed(self, request):
        messages.info(request, self.closed_message)
        return HttpResponseRedirect(self.closed_url())


@method_decorator(never_cache, name="dispatch")
class ShowDraftView(View):
    http_method_names = ["get"]

    def get(self, request, **kwargs):
        response = self.get_draft()
        if response is not None and response.status == Response.Status.SUBMITTED:
            return HttpResponseRedirect(self.receipt_url(response))
        if response is None or not self.is_open():
            return self.closed(request)
        return self.show_form(request, response)


@method_decorator(never_cache, name="dispatch")
class AutosaveDraftView(View):
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        response = self.get_draft()
        if response is None or not self.is_open():
            return JsonResponse(
                {"error": self.closed_message, "redirect": self.closed_url()},
                status=409,
                headers=JSON_NO_STORE,
            )
        return self.autosave(request, response)


@method_decorator(never_cache, name="dispatch")
class UploadDraftView(View):
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        response = self.get_draft()
        if response is None or not self.is_open():
            return JsonResponse({"error": self.closed_message}, status=409, headers=JSON_NO_STORE)
        return self.upload(request, response)


@method_decorator(never_cache, name="dispatch")
class SubmitDraftView(View):
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        response = self.get_draft()
        if response is None:
            return self.closed(request)
        return self.submit(request, response)
