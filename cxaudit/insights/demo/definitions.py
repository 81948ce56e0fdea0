"""Two demo questionnaires of Northline Rail, written in the survey definition format
(docs/formats.md) and imported through it: a customer survey and a managers' self-assessment,
mapped to the journey's standards (cxaudit.journeys.demo). The mystery-shop visit forms are the
shopper programme's (shoppers.demo)."""

from __future__ import annotations

from typing import Any

from surveys.questionnaire.definition.build import document, section
from surveys.questionnaire.definition.build import question as q

CUSTOMER_CODE = "demo-customer"
SELF_CODE = "demo-self-assessment"

LIKERT = {
    "scale_min": 1,
    "scale_max": 7,
    "min_label": "Strongly disagree",
    "max_label": "Strongly agree",
}

# (channel, section title, [(standard, how it was, how it should be, self-assessment)]).
# Expectations are phrased SERVQUAL-style ("an excellent rail company...").
CHANNELS: list[tuple[str, str, list[tuple[str, str, str, str]]]] = [
    (
        "station",
        "At the station",
        [
            (
                "RESP-DESK-01",
                "I was served at the ticket desk without a long wait.",
                "serves you at the ticket desk without a long wait.",
                "We serve passengers at the ticket desk without a long wait.",
            ),
            (
                "EMP-DESK-01",
                "The agent greeted me and gave me their full attention.",
                "greets you and gives you its full attention.",
                "Our agents greet passengers and give them their full attention.",
            ),
            (
                "REL-DESK-01",
                "The agent found me the cheapest valid fare.",
                "always finds you the cheapest valid fare.",
                "Our agents always find passengers the cheapest valid fare.",
            ),
            (
                "ASSU-DESK-02",
                "Staff gave me correct platform and connection information.",
                "gives you correct platform and connection information.",
                "Our staff give correct platform and connection information.",
            ),
            (
                "TANG-DESK-01",
                "The ticket desk area was clean and the fare boards easy to read.",
                "has clean stations with fare boards that are easy to read.",
                "Our ticket desk areas are clean and the fare boards easy to read.",
            ),
            (
                "TANG-DESK-02",
                "Staff were easy to spot on the concourse.",
                "has staff who are easy to spot on the concourse.",
                "Our staff are easy to spot on the concourse.",
            ),
        ],
    ),
    (
        "phone",
        "On the phone",
        [
            (
                "RESP-PHONE-01",
                "My call was answered quickly.",
                "answers your call within a minute.",
                "We answer passengers' calls within a minute.",
            ),
            (
                "EMP-PHONE-01",
                "The agent understood my problem and used my name.",
                "understands your problem and treats you as a person.",
                "Our agents understand the caller's problem and use their name.",
            ),
            (
                "REL-PHONE-01",
                "My request was sorted out on the first call.",
                "sorts out your request on the first call.",
                "We sort out requests on the first call.",
            ),
            (
                "ASSU-PHONE-01",
                "The agent told me what happens next and by when.",
                "tells you what happens next and by when.",
                "Our agents tell callers what happens next and by when.",
            ),
        ],
    ),
    (
        "chat",
        "In the web chat",
        [
            (
                "RESP-CHAT-01",
                "I got a first reply in the chat within two minutes.",
                "replies in the chat within two minutes.",
                "We reply in the chat within two minutes.",
            ),
            (
                "REL-CHAT-01",
                "The answer I got was correct and complete.",
                "gives correct and complete answers in the chat.",
                "Our chat answers are correct and complete.",
            ),
        ],
    ),
]


def code_of(standard: str, aspect: str) -> str:
    """Question code of a standard's item: `resp_desk_01_p` (perception) or `..._e`."""
    return f"{standard.lower().replace('-', '_')}_{aspect[0]}"


def likert_pair(standard: str, perceived: str, expected: str, **fields: Any) -> list[dict]:
    """The SERVQUAL pair of a standard: how it was (perception) and how it should be."""
    return [
        q(
            code_of(standard, aspect),
            "rating",
            text,
            standard=standard,
            aspect=aspect,
            config=LIKERT,
            **fields,
        )
        for aspect, text in (("perception", perceived), ("expectation", expected))
    ]


def customer_survey() -> dict[str, Any]:
    channel_options = [
        {"value": "station", "label": "At a station", "points": 0},
        {"value": "phone", "label": "By phone", "points": 0},
        {"value": "chat", "label": "In the web chat", "points": 0},
    ]
    sections = [
        section(
            "Your contact with Northline",
            [
                q(
                    "channel",
                    "single_choice",
                    "Where were you in touch with Northline Rail?",
                    required=True,
                    points=0,
                    config={"options": channel_options},
                )
            ],
        )
    ]
    for channel, title, items in CHANNELS:
        questions = []
        for standard, perceived, expected, _ in items:
            questions += likert_pair(
                standard, perceived, f"An excellent rail company {expected}", required=True
            )
        sections.append(
            section(
                title,
                questions,
                description="How it was this time, and how it should be.",
                show_if={"question": "channel", "operator": "equals", "value": channel},
            )
        )
    sections.append(
        section(
            "Overall",
            [
                q(
                    "nps",
                    "nps",
                    "How likely are you to recommend Northline Rail to a friend?",
                    required=True,
                    aspect="perception",
                    config={"min_label": "Not at all likely", "max_label": "Extremely likely"},
                ),
                q("csat", "csat", "How satisfied were you overall?", required=True),
                q(
                    "ces",
                    "ces",
                    "Northline Rail made it easy to get what I needed.",
                    required=True,
                    help_text="1 = strongly disagree, 7 = strongly agree.",
                ),
                q("comment", "long_text", "Anything else you would like to tell us?", points=0),
            ],
        )
    )
    return document(
        CUSTOMER_CODE,
        "Passenger experience survey",
        "customer",
        "A few minutes about your last contact with Northline Rail.",
        sections,
    )


def self_assessment_survey() -> dict[str, Any]:
    sections = []
    for _, title, items in CHANNELS:
        questions = []
        for standard, _, _, ours in items:
            questions += likert_pair(
                standard, ours, f"Passengers expect this of us: {ours[0].lower()}{ours[1:]}"
            )
        sections.append(
            section(
                title,
                questions,
                description="Answer for the parts of the service you are responsible for.",
            )
        )
    return document(
        SELF_CODE,
        "Managers' service self-assessment",
        "self_assessment",
        "How well do we deliver our service standards, and what do passengers expect? "
        "Your answers are compared with what passengers and mystery shoppers report.",
        sections,
    )
