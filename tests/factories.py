"""Small builders for test data that several apps' tests need."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cxaudit.accounts.models import Organization
from cxaudit.journeys.models import Journey, Stage, Standard, Touchpoint, Wave
from surveys.models import Question, Section, Survey


def make_standard(
    org: Organization,
    code: str = "STD1",
    *,
    dimension: str = "responsiveness",
    channel: str = "phone",
    touchpoint: Touchpoint | None = None,
    **extra: Any,
) -> Standard:
    if touchpoint is None:
        journey, _ = Journey.objects.get_or_create(organization=org, name="Test journey")
        stage, _ = Stage.objects.get_or_create(journey=journey, name="Support", position=0)
        touchpoint, _ = Touchpoint.objects.get_or_create(
            stage=stage, name="Call", defaults={"channel": channel}
        )
    return Standard.objects.create(
        organization=org,
        touchpoint=touchpoint,
        code=code,
        name=extra.pop("name", f"Standard {code}"),
        dimension=dimension,
        **extra,
    )


def make_wave(org: Organization, name: str = "2026 Q3", status: str = "open") -> Wave:
    return Wave.objects.create(
        organization=org,
        name=name,
        starts_on=dt.date(2026, 7, 1),
        ends_on=dt.date(2026, 9, 30),
        status=status,
    )


def make_survey(
    org: Organization,
    sections: list[dict[str, Any]],
    *,
    code: str = "s1",
    kind: str = Survey.Kind.MYSTERY_SHOP,
    status: str = Survey.Status.PUBLISHED,
    **settings: Any,
) -> Survey:
    """sections: [{"title", "weight"?, "show_if"?, "questions": [{"code", "type", ...}]}]."""
    survey = Survey.objects.create(
        organization=org,
        code=code,
        title=settings.pop("title", f"Survey {code}"),
        kind=kind,
        status=status,
        **settings,
    )
    for s_pos, section_data in enumerate(sections):
        section = Section.objects.create(
            survey=survey,
            title=section_data.get("title", f"Section {s_pos + 1}"),
            position=s_pos,
            weight=section_data.get("weight"),
            show_if=section_data.get("show_if"),
        )
        for q_pos, q in enumerate(section_data["questions"]):
            q = dict(q)
            Question.objects.create(
                survey=survey,
                section=section,
                position=q_pos,
                code=q.pop("code"),
                type=q.pop("type"),
                text=q.pop("text", "Question?"),
                **q,
            )
    return survey
