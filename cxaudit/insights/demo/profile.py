"""How the demo's respondents answer: the means behind the classic picture (see __init__).

Likert answers are drawn around a mean (1-7) with a spread, rounded and clipped to the scale.
"""

from __future__ import annotations

import random

from .definitions import CHANNELS, code_of

DIMENSION_OF = {
    "RESP": "responsiveness",
    "EMP": "empathy",
    "REL": "reliability",
    "ASSU": "assurance",
    "TANG": "tangibles",
}

# Passengers: how it was (perceived) and how it should be (expected), by dimension.
PERCEIVED = {
    "responsiveness": 3.4,
    "empathy": 3.7,
    "reliability": 4.9,
    "assurance": 5.0,
    "tangibles": 5.4,
}
EXPECTED = {
    "responsiveness": 6.4,
    "empathy": 6.1,
    "reliability": 6.3,
    "assurance": 5.9,
    "tangibles": 5.3,
}
# Managers: how well they think they do, and what they think passengers expect (they
# underestimate responsiveness and empathy: the knowledge gap).
SELF = {
    "responsiveness": 6.2,
    "empathy": 6.3,
    "reliability": 5.6,
    "assurance": 5.5,
    "tangibles": 5.5,
}
SELF_EXPECTED = {
    "responsiveness": 5.0,
    "empathy": 4.9,
    "reliability": 5.8,
    "assurance": 5.6,
    "tangibles": 5.3,
}
# Empathy on the phone at the contact centre, before and after the call-handling training.
EMP_PHONE = {"2026 Q2": 3.0, "2026 Q3": 4.6}
COMMENTS = [
    "The queue at the ticket desk was far too long.",
    "Nobody picked up the phone for ages.",
    "Friendly staff, but the fare boards are confusing.",
    "Quick and helpful, thank you.",
    "I had to explain my problem three times.",
    "The chat answered quickly but the answer was wrong.",
    "Clean station, easy to find my platform.",
    "Please answer the phone faster on Monday mornings.",
]


def likert(rng: random.Random, mean: float, sd: float = 1.2) -> int:
    return max(1, min(7, round(rng.gauss(mean, sd))))


def dimension(standard: str) -> str:
    return DIMENSION_OF[standard.split("-", 1)[0]]


def _items(channel: str | None):
    for ch, _, items in CHANNELS:
        if channel is None or ch == channel:
            yield from (item[0] for item in items)


def customer_answers(rng: random.Random, channel: str, location: str, wave: str) -> dict:
    lift = 0.15 if wave == "2026 Q3" else 0.0
    answers: dict[str, object] = {"channel": channel}
    for standard in _items(channel):
        dim = dimension(standard)
        mean = PERCEIVED[dim] + lift
        if location == "HBS" and dim == "responsiveness":
            mean -= 0.4
        if standard == "EMP-PHONE-01":
            mean = EMP_PHONE[wave]
        answers[code_of(standard, "perception")] = likert(rng, mean)
        answers[code_of(standard, "expectation")] = likert(rng, EXPECTED[dim], 0.8)
    answers["nps"] = max(0, min(10, round(rng.gauss(6.2 + 2 * lift, 2.3))))
    answers["csat"] = max(1, min(5, round(rng.gauss(3.3 + lift, 1.0))))
    answers["ces"] = likert(rng, 4.2 + lift, 1.4)
    if rng.random() < 0.25:
        answers["comment"] = rng.choice(COMMENTS)
    return answers


def self_answers(rng: random.Random, channel: str | None, wave: str) -> dict:
    """A manager's self-assessment: the channel they run (None: every channel)."""
    answers: dict[str, object] = {}
    for standard in _items(channel):
        dim = dimension(standard)
        answers[code_of(standard, "perception")] = likert(rng, SELF[dim], 0.6)
        answers[code_of(standard, "expectation")] = likert(rng, SELF_EXPECTED[dim], 0.7)
    return answers
