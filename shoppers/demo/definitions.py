"""The shopper programme's demo questionnaires, in the survey definition format: the station
visit form (a phone call to the station, the ticket desk, the concourse), a phone call to the
contact centre, a web chat, and the certification quiz of the station scenario."""

from __future__ import annotations

from typing import Any

from surveys.questionnaire.definition.build import document, section
from surveys.questionnaire.definition.build import question as q

STATION_CODE = "demo-station-visit"
PHONE_CODE = "demo-phone-call"
CHAT_CODE = "demo-chat-visit"
QUIZ_CODE = "demo-desk-certification"


def station_visit_form() -> dict[str, Any]:
    """Call the station, then visit the ticket desk and the concourse (the demo's original
    mystery-shop form; a receipt photo is asked for on the concourse)."""

    def yes_no(code, text, standard, **kw):
        return q(code, "yes_no", text, required=True, standard=standard, aspect="perception", **kw)

    sections = [
        section(
            "Phone call to the station",
            [
                q(
                    "phone_seconds",
                    "number",
                    "How many seconds until a person answered?",
                    help_text="From the end of the menu to a person speaking.",
                    required=True,
                    points=2,
                    standard="RESP-PHONE-01",
                    aspect="perception",
                    config={"unit": "seconds", "target_value": 60, "target_comparator": "<="},
                ),
                yes_no("phone_name", "Did the agent use your name?", "EMP-PHONE-01"),
                yes_no(
                    "phone_next",
                    "Did the agent confirm what happens next and by when?",
                    "ASSU-PHONE-01",
                ),
            ],
        ),
        section(
            "At the ticket desk",
            [
                q(
                    "queue_minutes",
                    "number",
                    "How many minutes did you queue?",
                    required=True,
                    standard="RESP-DESK-01",
                    aspect="perception",
                    config={"unit": "minutes", "target_value": 5, "target_comparator": "<="},
                ),
                yes_no("greeted", "Did the agent greet you and make eye contact?", "EMP-DESK-01"),
                yes_no(
                    "cheapest_fare",
                    "Did the agent offer the cheapest valid fare?",
                    "REL-DESK-01",
                    points=2,
                    critical=True,
                    help_text="Knock-out: a wrong fare zeroes this section.",
                ),
                yes_no(
                    "restrictions",
                    "Did the agent explain the ticket's restrictions correctly?",
                    "ASSU-DESK-01",
                ),
                yes_no(
                    "desk_clean",
                    "Was the desk area clean, the fare boards legible?",
                    "TANG-DESK-01",
                ),
            ],
        ),
        section(
            "On the concourse",
            [
                yes_no("staff_visible", "Were staff visible and identifiable?", "TANG-DESK-02"),
                yes_no(
                    "platform_info", "Was the platform information you got correct?", "ASSU-DESK-02"
                ),
                q("notes", "long_text", "Notes for the reviewer", points=0),
                q(
                    "receipt",
                    "file",
                    "Photo of your ticket receipt",
                    help_text="Needed for the fare to be refunded.",
                    points=0,
                ),
            ],
        ),
    ]
    return document(
        STATION_CODE,
        "Station visit and phone call",
        "mystery_shop",
        "Call the station first, then visit the ticket desk and the concourse.",
        sections,
        keep_photo_location=True,
    )


def phone_call_form() -> dict[str, Any]:
    """A call to the contact centre with a question about a delayed train's refund."""
    return document(
        PHONE_CODE,
        "Phone call to the contact centre",
        "mystery_shop",
        "Call the contact centre about a Delay Repay claim.",
        [
            section(
                "The call",
                [
                    q(
                        "answer_seconds",
                        "number",
                        "How many seconds until a person answered?",
                        help_text="From the end of the menu to a person speaking.",
                        required=True,
                        points=2,
                        standard="RESP-PHONE-01",
                        aspect="perception",
                        config={"unit": "seconds", "target_value": 60, "target_comparator": "<="},
                    ),
                    q(
                        "used_name",
                        "yes_no",
                        "Did the agent acknowledge the problem and use your name?",
                        required=True,
                        standard="EMP-PHONE-01",
                        aspect="perception",
                    ),
                    q(
                        "resolved",
                        "yes_no",
                        "Was your question resolved during the call?",
                        required=True,
                        points=2,
                        standard="REL-PHONE-01",
                        aspect="perception",
                    ),
                    q(
                        "next_steps",
                        "yes_no",
                        "Did the agent confirm what happens next and by when?",
                        required=True,
                        standard="ASSU-PHONE-01",
                        aspect="perception",
                    ),
                    q("call_notes", "long_text", "What happened on the call", points=0),
                ],
            )
        ],
    )


def chat_visit_form() -> dict[str, Any]:
    """A web chat asking which ticket to buy for a journey with a change of trains."""
    return document(
        CHAT_CODE,
        "Web chat",
        "mystery_shop",
        "Ask the web chat which ticket to buy for a journey with a change of trains.",
        [
            section(
                "The chat",
                [
                    q(
                        "first_reply_minutes",
                        "number",
                        "How many minutes until the first reply?",
                        required=True,
                        points=2,
                        standard="RESP-CHAT-01",
                        aspect="perception",
                        config={"unit": "minutes", "target_value": 2, "target_comparator": "<="},
                    ),
                    q(
                        "answer_correct",
                        "yes_no",
                        "Was the answer correct and complete?",
                        required=True,
                        points=2,
                        critical=True,
                        standard="REL-CHAT-01",
                        aspect="perception",
                        help_text="Knock-out: a wrong answer zeroes the chat.",
                    ),
                    q(
                        "transcript",
                        "yes_no",
                        "Were you offered the transcript by email?",
                        required=True,
                        standard="TANG-CHAT-01",
                        aspect="perception",
                    ),
                    q("chat_notes", "long_text", "What happened in the chat", points=0),
                ],
            )
        ],
    )


def desk_quiz() -> dict[str, Any]:
    """The certification quiz of the station scenario: three questions, 80 % to pass."""

    def choice(code, text, options, right):
        return q(
            code,
            "single_choice",
            text,
            required=True,
            points=1,
            config={
                "options": [
                    {"value": v, "label": label, "points": 1 if v == right else 0}
                    for v, label in options
                ]
            },
        )

    return document(
        QUIZ_CODE,
        "Station visit: shopper certification",
        "certification",
        "Three questions on how a station visit is done. You need all three right.",
        [
            section(
                "Before you go",
                [
                    choice(
                        "identity",
                        "The agent asks whether you are a mystery shopper. You…",
                        [
                            ("deny", "stay in role and carry on as a passenger"),
                            ("admit", "say yes and show the brief"),
                            ("leave", "leave without finishing"),
                        ],
                        "deny",
                    ),
                    choice(
                        "timing",
                        "When do you time the phone call?",
                        [
                            ("menu", "from the end of the menu to a person speaking"),
                            ("dial", "from dialling to hanging up"),
                        ],
                        "menu",
                    ),
                    choice(
                        "receipt",
                        "What do you photograph for the refund?",
                        [
                            ("receipt", "the ticket receipt"),
                            ("agent", "the agent"),
                            ("queue", "the queue"),
                        ],
                        "receipt",
                    ),
                ],
            )
        ],
    )
