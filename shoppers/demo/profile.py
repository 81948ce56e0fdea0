"""How the demo's mystery shoppers find things: realistic variation between locations and an
improvement between 2026 Q2 and Q3 where the demo's action plan and KPIs say there was one."""

from __future__ import annotations

import random

NOTES = [
    "Busy concourse; the agent was patient with the passenger in front of me.",
    "The fare board near the desk was partly out of order.",
    "Quick service, clear explanation of the off-peak restrictions.",
    "I had to ask twice for the cheapest fare before it was offered.",
    "Staff on the concourse pointed me to the right platform straight away.",
]

CALL_NOTES = [
    "Asked about Delay Repay for a cancelled evening train; told to claim online.",
    "The agent apologised for the wait and took my booking reference straight away.",
    "Transferred once; the second agent knew the 15-minute compensation rule.",
    "Long hold music; the answer was right but nobody said what happens next.",
]
CHAT_NOTES = [
    "Asked for the cheapest ticket with a change at Kingsbridge Central.",
    "The bot handed over to a person after two questions; the fare was right.",
    "Got an advance single suggested, with the restrictions spelled out.",
    "Had to repeat the journey twice; the final answer missed the railcard discount.",
]


def station_answers(rng: random.Random, station: str, wave: str) -> dict:
    """A mystery shop: slow phone answers at Harbour Street (HBS), mostly fine elsewhere."""
    if station == "HBS":
        seconds = rng.randint(85, 240)
    else:
        seconds = rng.randint(70, 90) if rng.random() < 0.1 else rng.randint(12, 58)

    def yes(p: float) -> str:
        return "yes" if rng.random() < p else "no"

    return {
        "phone_seconds": seconds,
        "phone_name": yes(0.45),
        "phone_next": yes(0.7),
        "queue_minutes": rng.randint(1, 9) if station == "HBS" else rng.randint(1, 6),
        "greeted": yes(0.75),
        "cheapest_fare": yes(0.85),
        "restrictions": yes(0.8),
        "desk_clean": yes(0.9),
        "staff_visible": yes(0.85),
        "platform_info": yes(0.9),
    }


def phone_answers(rng: random.Random, wave: str) -> dict:
    """The contact centre: slow answers in Q2 that improve in Q3 (as its KPI shows)."""
    seconds = rng.randint(70, 150) if wave == "2026 Q2" else rng.randint(25, 75)

    def yes(p: float) -> str:
        return "yes" if rng.random() < p else "no"

    return {
        "answer_seconds": seconds,
        "used_name": yes(0.4 if wave == "2026 Q2" else 0.75),
        "resolved": yes(0.65),
        "next_steps": yes(0.7),
        "call_notes": rng.choice(CALL_NOTES),
    }


def chat_answers(rng: random.Random, wave: str) -> dict:
    """Web chat: first replies often over two minutes; answers mostly right."""
    minutes = rng.randint(2, 6) if wave == "2026 Q2" else rng.randint(1, 4)
    return {
        "first_reply_minutes": minutes,
        "answer_correct": "yes" if rng.random() < 0.8 else "no",
        "transcript": "yes" if rng.random() < 0.5 else "no",
        "chat_notes": rng.choice(CHAT_NOTES),
    }


def station_note(rng: random.Random) -> str:
    return rng.choice(NOTES)
