"""Builders shared by the responses CSV import tests."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cxaudit.accounts.models import Location, Organization
from surveys.models import Survey
from tests.factories import make_standard, make_survey, make_wave

HEADER = (
    "source,location,wave,submitted_at,respondent,greet,clean,called,speed,desk,extras,"
    "wait,visit_time,nps,comment"
)

GOOD_ROWS = [
    "shopper,KGX,2026 Q3,2026-07-03T14:05:00+01:00,R-1,yes,NA,yes,4,Helpful,water;maps,"
    "2:30,2026-07-03T13:00,9,Fine",
    "customer,KGX,2026 Q3,2026-07-04 09:00,,no,1,no,,desk_b,,90,,3,",
    'self,MAN,2026 q3,2026-07-05,manager@acme.test,1,0,true,5,desk_a,Maps|water,0,,10,"a, b"',
]


def make_import_survey(org: Organization, code: str = "visit") -> Survey:
    standard = make_standard(org, "GREET-1")
    return make_survey(
        org,
        [
            {
                "title": "Arrival",
                "questions": [
                    {"code": "greet", "type": "yes_no", "required": True, "points": 1},
                    {"code": "clean", "type": "yes_no_na", "points": 1},
                    {"code": "called", "type": "yes_no", "points": 0},
                    {
                        "code": "speed",
                        "type": "rating",
                        "points": 4,
                        "required": True,
                        "config": {"scale_min": 1, "scale_max": 5},
                        "standard": standard,
                        "aspect": "perception",
                        "show_if": {"question": "called", "operator": "equals", "value": True},
                    },
                ],
            },
            {
                "title": "Desk",
                "questions": [
                    {
                        "code": "desk",
                        "type": "single_choice",
                        "points": 2,
                        "config": {
                            "options": [
                                {"value": "desk_a", "label": "Helpful", "points": 2},
                                {"value": "desk_b", "label": "Unhelpful", "points": 0},
                            ]
                        },
                    },
                    {
                        "code": "extras",
                        "type": "multi_choice",
                        "points": 0,
                        "config": {
                            "options": [
                                {"value": "water", "label": "Water", "points": 0},
                                {"value": "maps", "label": "Maps", "points": 0},
                            ]
                        },
                    },
                    {"code": "wait", "type": "duration", "points": 0},
                    {"code": "visit_time", "type": "datetime", "points": 0},
                    {"code": "nps", "type": "nps", "points": 0},
                    {"code": "comment", "type": "short_text", "points": 0},
                ],
            },
        ],
        code=code,
    )


def make_import_context(org: Organization) -> Survey:
    """The survey plus locations KGX and MAN and the wave "2026 Q3"."""
    Location.objects.get_or_create(organization=org, code="KGX", defaults={"name": "Kingsbridge"})
    Location.objects.get_or_create(organization=org, code="MAN", defaults={"name": "Manchester"})
    make_wave(org)
    return make_import_survey(org)


def csv_file(lines: list[str] | str, name: str = "responses.csv", *, bom: bool = False):
    text = lines if isinstance(lines, str) else "\n".join(lines) + "\n"
    data = text.encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def media_root(settings, tmp_path, monkeypatch):
    """Uploaded files go to a temporary directory, for this process and any worker it starts."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    monkeypatch.setenv("MEDIA_ROOT", str(root))
    return root
