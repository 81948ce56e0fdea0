"""An email's subject is plain text: names holding &, <, > or quotes arrive as written, never
HTML-escaped ("Smith &amp; Sons"), in every subject template cxaudit has (the welcome email's
was escaped before the outbox rendered subjects without autoescape; this keeps every subject,
and every one to come, that way)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cxaudit.messaging import registry
from cxaudit.messaging.rendering import _plain
from cxaudit.messaging.services import deliver_due

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
HOSTILE = "Smith & Sons <Rail> \"Quoted\" 'n' café"
ESCAPES = ("&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#39;")


MOMENT = dt.datetime(2026, 7, 3, 14, 5, tzinfo=dt.UTC)


class Anything:
    """Any attribute, item or string of it is the hostile name (a moment for the names of
    moments, so that |date has a date to format)."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name.endswith(("_at", "_on", "_end", "_start", "date")):
            return MOMENT
        return self

    def __getitem__(self, key):
        return self.__getattr__(key) if isinstance(key, str) else self

    def __str__(self):
        return HOSTILE

    def __len__(self):
        return 2

    def __iter__(self):
        return iter([self, self])


def subject_templates() -> list[str]:
    return sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*_subject.txt"))


def test_every_purpose_has_a_subject_template_here():
    """So that the test below covers every email the apps send (tests/messaging registers a
    purpose of its own, with its templates under tests/)."""
    names = {
        f"{p.template}_subject.txt"
        for p in registry.all_purposes()
        if not p.template.startswith("emails/tests/")
    }
    assert names and names <= set(subject_templates())


@pytest.mark.parametrize("name", subject_templates())
def test_every_subject_template_renders_names_as_plain_text(name):
    source = (TEMPLATES / name).read_text()
    variables = {part.split(".")[0].split("|")[0].strip() for part in source.split("{{")[1:]}
    context = {v.split("}}")[0].strip(): Anything() for v in variables}
    subject = _plain(name, context)
    for escape in ESCAPES:
        assert escape not in subject, (name, subject)
    if "{{" in source:
        assert HOSTILE in subject or "2" in subject, subject


@pytest.mark.django_db
def test_the_welcome_subject_arrives_as_written(mailoutbox, sent_tasks):
    from cxaudit.accounts import services
    from cxaudit.accounts.models import Organization, Role

    org = Organization.objects.create(slug="smith-sons", name=HOSTILE)
    services.add_member(organization=org, email="new@person.test", role=Role.SHOPPER)
    deliver_due()
    assert mailoutbox[0].subject == f"You have been added to {HOSTILE} on cxaudit"


@pytest.mark.django_db
def test_an_action_subject_arrives_as_written(org, program_admin, manager, mailoutbox, sent_tasks):
    from cxaudit.insights.actions import services
    from tests.factories import make_standard, make_wave

    services.create_action(
        scope=services.GapScope(
            organization=org,
            wave=make_wave(org),
            gap="self_vs_perceived",
            standard=make_standard(org, "SUBJ-1"),
        ),
        actor=program_admin,
        owner=manager,
        title=HOSTILE,
        root_cause="process",
        due_date=dt.date(2030, 1, 1),
    )
    deliver_due()
    (email,) = mailoutbox
    assert email.subject == f"Action for you: {HOSTILE}"
