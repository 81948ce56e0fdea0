"""A form that creates something creates it once, however often it is posted (a double click,
a resend after a slow answer, the back button).

The page carries a one-time token (``{% load once %}…{% once_field %}`` inside the form); the
view is decorated with `submit_once`:

    @require_http_methods(["GET", "POST"])
    @org_view(Cap.EDIT_JOURNEYS)
    @submit_once
    def journey_create(request): ...

The first post of a token claims it (a FormSubmission row, unique per user and token hash)
before the view runs, in one transaction with everything the view writes; when the view
answers with a redirect (it made something), the claim keeps where it went. A second post of
the same token waits for the first to finish (the unique index) and is then sent to the same
place, with a note, without running the view. When the view answers otherwise (the form had
errors), the claim is dropped, so the corrected form can be sent with the same token. A post
without a token (a client that is not our page) is served as before.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.utils import timezone

from .models import FormSubmission

FIELD = "once"
KEEP = timedelta(days=1)
REPLAYED = "This form was already sent (a second click); here is what it did."


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _replay(request, token_hash: str):
    url = (
        FormSubmission.objects.filter(user=request.user, token_hash=token_hash)
        .values_list("url", flat=True)
        .first()
    )
    if not url:
        return None
    messages.info(request, REPLAYED)
    return HttpResponseRedirect(url)


def submit_once(view):
    """Run a state-changing view at most once per form token (see the module docstring)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        token = request.POST.get(FIELD, "") if request.method == "POST" else ""
        if not token or len(token) > 200 or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        token_hash = _hash(token)
        if (done := _replay(request, token_hash)) is not None:
            return done
        try:
            with transaction.atomic():
                claim = FormSubmission.objects.create(user=request.user, token_hash=token_hash)
                response = view(request, *args, **kwargs)
                if response.status_code in (301, 302, 303) and response.get("Location"):
                    claim.url = response["Location"][:2000]
                    claim.save(update_fields=["url"])
                elif getattr(request, "once_done_url", None):
                    # Made, and shown on this very answer (an API token's secret): a second
                    # post goes to the URL the view named.
                    claim.url = request.once_done_url[:2000]
                    claim.save(update_fields=["url"])
                else:  # nothing was made (the form is shown again): the token stays usable
                    claim.delete()
        except IntegrityError:
            # Another post of this token claimed it first (we waited for it to commit).
            if (done := _replay(request, token_hash)) is not None:
                return done
            raise
        FormSubmission.objects.filter(
            user=request.user, created_at__lt=timezone.now() - KEEP
        ).delete()
        return response

    wrapped.submit_once = True
    return wrapped
