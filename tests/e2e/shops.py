"""What the mystery-shop browser tests share: a desk-visit scenario with its form, a wave open
now, a location, a receipt photo, and the phone-fit check."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from PIL import Image

from cxaudit.accounts.models import Location
from shoppers.models import Scenario
from tests.factories import make_standard, make_survey, make_wave

BRIEF = "Ask for a refund of a <b>day return</b>.\nNote the time you waited."


def desk_visit(org, *, receipt: bool = True, brief: str = BRIEF) -> dict:
    """The GREET standard, the "Desk visit" form (greet yes/no for 1 point, a receipt photo when
    `receipt`, the shopper's story), its scenario, the Kingsbridge location and a wave "Now"
    running from ten days ago to thirty days on."""
    std = make_standard(org, "GREET", name="Greeted within 30 seconds")
    questions = [
        {
            "code": "greet",
            "type": "yes_no",
            "standard": std,
            "points": 1,
            "required": True,
            "text": "Were you greeted within 30 seconds?",
        },
        *(
            [{"code": "receipt", "type": "file", "points": 0, "text": "Photo of the receipt"}]
            if receipt
            else []
        ),
        {"code": "story", "type": "long_text", "points": 0, "text": "What happened, in your words"},
    ]
    form = make_survey(
        org, [{"title": "At the desk", "questions": questions}], code="visit", title="Desk visit"
    )
    scenario = Scenario.objects.create(
        organization=org,
        touchpoint=std.touchpoint,
        title="Ask for a refund at the desk",
        brief=brief,
        survey=form,
        fee=Decimal("25.00"),
        **(
            {
                "expense_cap": Decimal("10.00"),
                "receipt_question": "receipt",
                "required_evidence": "A photo of the receipt",
            }
            if receipt
            else {}
        ),
    )
    location = Location.objects.create(
        organization=org, code="KGX", name="Kingsbridge", region="North"
    )
    wave = make_wave(org, "Now")
    today = timezone.localdate()
    wave.starts_on, wave.ends_on = today - dt.timedelta(days=10), today + dt.timedelta(days=30)
    wave.save()
    return {"std": std, "form": form, "scenario": scenario, "location": location, "wave": wave}


def receipt_photo(tmp_path) -> Path:
    path = tmp_path / "receipt.jpg"
    data = io.BytesIO()
    Image.new("RGB", (640, 480), "orange").save(data, "JPEG")
    path.write_bytes(data.getvalue())
    return path


def fits(page) -> bool:
    """No sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
