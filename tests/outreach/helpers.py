"""Builders for the outreach tests: a published customer survey, contacts and campaigns."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from surveys.models import Campaign, Contact, Survey
from surveys.outreach import services
from tests.factories import make_survey

QUESTIONS = [
    {"code": "sat", "type": "csat", "required": True, "text": "How satisfied were you?"},
    {"code": "nps", "type": "nps", "text": "Would you recommend us?"},
    {"code": "why", "type": "long_text", "text": "Tell us more"},
]


def customer_survey(org, code: str = "cust", questions=None) -> Survey:
    existing = Survey.objects.filter(organization=org, code=code).first()
    if existing is not None:
        return existing
    return make_survey(
        org,
        [{"title": "Your visit", "questions": questions or QUESTIONS}],
        code=code,
        kind=Survey.Kind.CUSTOMER,
        title="Your visit to us",
        published_at=timezone.now(),  # as publish_survey sets it
    )


def contacts(org, n: int, *, location=None, prefix: str = "pat", **extra) -> list[Contact]:
    return Contact.objects.bulk_create(
        [
            Contact(
                organization=org,
                email=f"{prefix}{i}@example.test",
                first_name=f"Pat{i}",
                last_name="Lee",
                location=location,
                **extra,
            )
            for i in range(n)
        ]
    )


def campaign(org, survey=None, *, actor=None, **values) -> Campaign:
    survey = survey or customer_survey(org)
    fields = {
        "name": "Spring survey",
        "survey": survey,
        "sender_name": "Acme Rail",
        "subject_template": "{{ first_name }}, how was your visit?",
        "message_template": "Hello {{ first_name }},\n\nTell us about {{ location_name }}.",
        "expires_at": timezone.now() + timedelta(days=14),
        "language": "en",
        "reminder_days": [3, 7],
        "suppression_days": 30,
    }
    fields.update(values)
    return services.save_campaign(organization=org, actor=actor, values=fields)


LINK = re.compile(r"https?://[^\s\"<>]+/i/([A-Za-z0-9_-]+)/")


def token_in(text: str) -> str:
    return LINK.search(text).group(1)


def answer(invitation, raw=None):
    """Answer an invitation as the public page does: draft, submit, completed, one transaction."""
    from django.db import transaction

    from surveys.models import Invitation
    from surveys.responses.services import submit_form

    response = services.open_invitation(invitation=invitation)
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        response = submit_form(response=response, raw_answers=raw or {"sat": "5"})
        services.complete_invitation(invitation=locked, response=response)
    return response
