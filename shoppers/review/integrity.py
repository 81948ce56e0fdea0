"""Visit integrity: what a reviewer should look at twice before approving a shop.

Each check gives a flag with the evidence in words and a weight; the shop's integrity score is
100 minus the weights of its flags (never below 0). Flags never block anything on their own:
the reviewer decides. Assessed at each submission (shoppers.visits.services.submit_visit) and
stored on the assignment.

    visit_outside_window  the visit time given is outside the visit window            25
    photo_time            a photo was taken far from the visit time (EXIF)            20
    photo_far             a photo was taken far from the location (GPS)               30
    duplicate_photo       the same photo (SHA-256 of the file) is in another shop     40
    copied_narrative      a long text matches another shop's nearly word for word     30
    too_fast              the form went from start to sending implausibly fast        20

The pure checks take plain values; `assess` reads what they need in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils import timezone

from surveys.models import Answer, Evidence, Source

from ..models import Assignment, ShopperProgramme

WEIGHTS = {
    "visit_outside_window": 25,
    "photo_time": 20,
    "photo_far": 30,
    "duplicate_photo": 40,
    "copied_narrative": 30,
    "too_fast": 20,
}
LABELS = {
    "visit_outside_window": "Visit outside its window",
    "photo_time": "Photo time far from the visit",
    "photo_far": "Photo taken far from the location",
    "duplicate_photo": "Same photo as another shop",
    "copied_narrative": "Narrative copied from another shop",
    "too_fast": "Form filled implausibly fast",
}
NARRATIVE_MIN_CHARS = 40
NARRATIVE_SIMILARITY = 0.9
NARRATIVES_COMPARED = 300  # the latest other shops' long texts each narrative is compared with


@dataclass(frozen=True, slots=True)
class Flag:
    code: str
    detail: str

    @property
    def label(self) -> str:
        return LABELS[self.code]

    @property
    def weight(self) -> int:
        return WEIGHTS[self.code]

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "label": self.label,
            "detail": self.detail,
            "weight": self.weight,
        }


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    flags: tuple[Flag, ...]

    @property
    def score(self) -> int:
        return max(0, 100 - sum(f.weight for f in self.flags))

    def flags_json(self) -> list[dict]:
        return [f.to_json() for f in self.flags]


def _when(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%d %b %Y %H:%M}"


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine, mean Earth radius 6,371 km)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def check_window(
    visited_at: dt.datetime | None, start: dt.datetime, end: dt.datetime
) -> Flag | None:
    if visited_at is None or start <= visited_at <= end:
        return None
    return Flag(
        "visit_outside_window",
        f"visit given as {_when(visited_at)}; the window was {_when(start)} to {_when(end)}",
    )


def check_photo_times(
    visited_at: dt.datetime | None, taken: list[tuple[str, dt.datetime]], tolerance_minutes: int
) -> Flag | None:
    if visited_at is None:
        return None
    limit = dt.timedelta(minutes=tolerance_minutes)
    far = [(name, when) for name, when in taken if abs(when - visited_at) > limit]
    if not far:
        return None
    name, when = max(far, key=lambda item: abs(item[1] - visited_at))
    hours = abs(when - visited_at).total_seconds() / 3600
    return Flag(
        "photo_time",
        f"“{name}” was taken {_when(when)}, {hours:.1f} h from the visit time "
        f"({len(far)} photo(s) beyond {tolerance_minutes} min)",
    )


def check_photo_places(
    location: tuple[float, float] | None,
    positions: list[tuple[str, float, float]],
    tolerance_m: int,
) -> Flag | None:
    if location is None or not positions:
        return None
    far = [(name, distance_m(location[0], location[1], lat, lon)) for name, lat, lon in positions]
    far = [(name, d) for name, d in far if d > tolerance_m]
    if not far:
        return None
    name, d = max(far, key=lambda item: item[1])
    shown = f"{d / 1000:.1f} km" if d >= 1000 else f"{d:.0f} m"
    return Flag(
        "photo_far", f"“{name}” was taken {shown} from the location (limit {tolerance_m} m)"
    )


def normalise_text(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


def check_narratives(
    mine: list[str], others: list[tuple[str, str]], *, threshold: float = NARRATIVE_SIMILARITY
) -> Flag | None:
    """`others`: (which shop, text). Near-identical long texts (after folding case, spaces and
    punctuation) are flagged."""
    for text in mine:
        a = normalise_text(text)
        if len(a) < NARRATIVE_MIN_CHARS:
            continue
        for where, other in others:
            b = normalise_text(other)
            if len(b) < NARRATIVE_MIN_CHARS:
                continue
            if a == b:
                ratio = 1.0
            else:
                matcher = SequenceMatcher(None, a, b, autojunk=False)
                if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                    continue
                ratio = matcher.ratio()
            if ratio >= threshold:
                return Flag(
                    "copied_narrative", f"a long answer is {ratio:.0%} the same as in {where}"
                )
    return None


def check_speed(
    started: dt.datetime | None, sent: dt.datetime | None, answers: int, min_seconds: int
) -> Flag | None:
    if started is None or sent is None or answers == 0 or min_seconds == 0:
        return None
    took = (sent - started).total_seconds()
    needed = answers * min_seconds
    if took >= needed:
        return None
    return Flag(
        "too_fast",
        f"{answers} answers in {took:.0f} s from the visit's start to sending "
        f"(under {min_seconds} s per answer)",
    )


def _shop_name(response_id: int, assignments: dict[int, Assignment]) -> str:
    other = assignments.get(response_id)
    if other is None:
        return "another mystery shop"
    return f"shop #{other.pk} ({other.location.name}, {other.shopper or 'no shopper'})"


def assess(assignment: Assignment, *, at: dt.datetime | None = None) -> IntegrityReport:
    """The integrity flags of a submitted shop (its response submitted): seven queries."""
    programme = ShopperProgramme.of(assignment.organization)
    response = assignment.response
    flags: list[Flag] = []
    window = check_window(assignment.visited_at, assignment.window_start, assignment.window_end)
    if window:
        flags.append(window)
    evidence = list(Evidence.objects.filter(response=response))
    images = [e for e in evidence if e.is_image]
    timed = check_photo_times(
        assignment.visited_at,
        [(e.original_name or "a photo", e.taken_at) for e in images if e.taken_at],
        programme.photo_time_tolerance_minutes,
    )
    if timed:
        flags.append(timed)
    loc = assignment.location
    placed = check_photo_places(
        (loc.latitude, loc.longitude) if loc.latitude is not None else None,
        [
            (e.original_name or "a photo", e.gps_lat, e.gps_lon)
            for e in images
            if e.gps_lat is not None and e.gps_lon is not None
        ],
        programme.gps_tolerance_m,
    )
    if placed:
        flags.append(placed)
    hashes = {e.content_hash for e in evidence if e.content_hash}
    twins = list(
        Evidence.objects.filter(
            organization_id=assignment.organization_id,
            content_hash__in=hashes,
            response__source=Source.SHOPPER,
        )
        .exclude(response=response)
        .values_list("response_id", flat=True)[:5]
    )
    texts = list(
        Answer.objects.filter(response=response, question__type="long_text")
        .exclude(value__isnull=True)
        .values_list("value", flat=True)
    )
    texts = [t for t in texts if isinstance(t, str)]
    others: list[tuple[int, str]] = []
    if any(len(normalise_text(t)) >= NARRATIVE_MIN_CHARS for t in texts):
        others = [
            (rid, v)
            for rid, v in Answer.objects.filter(
                organization_id=assignment.organization_id,
                source=Source.SHOPPER,
                question__type="long_text",
            )
            .exclude(response=response)
            .order_by("-submitted_at")
            .values_list("response_id", "value")[:NARRATIVES_COMPARED]
            if isinstance(v, str)
        ]
    names = {
        a.response_id: a
        for a in Assignment.objects.filter(
            response_id__in={*twins, *(rid for rid, _ in others)}
        ).select_related("location", "shopper")
    }
    if twins:
        flags.append(
            Flag(
                "duplicate_photo",
                "the same file was uploaded to " + _shop_name(twins[0], names),
            )
        )
    copied = check_narratives(texts, [(_shop_name(rid, names), v) for rid, v in others])
    if copied:
        flags.append(copied)
    if assignment.returns == 0:
        fast = check_speed(
            response.started_at,
            response.submitted_at or at,
            response.answers.count(),
            programme.min_seconds_per_answer,
        )
        if fast:
            flags.append(fast)
    return IntegrityReport(flags=tuple(flags))
