"""Demo data of the journeys app: Northline Rail's passenger journey and three waves.

The journey is written in the journey definition format and imported through it, so the demo
also shows what a hand-written definition file looks like. Codes are `<DIMENSION>-<CHANNEL>-<nn>`
and are stable: other apps' demo data (survey questions, shops) refer to them.
"""

from __future__ import annotations

import datetime as dt
import json

from cxaudit.accounts.models import Organization

from . import definition
from .models import Journey, Wave

JOURNEY_NAME = "Rail passenger journey"

WAVES = [
    ("2026 Q2", dt.date(2026, 4, 1), dt.date(2026, 6, 30), Wave.Status.CLOSED),
    ("2026 Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30), Wave.Status.CLOSED),
    ("2026 Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31), Wave.Status.OPEN),
]


def _std(code, name, dimension, importance=3, target=None, promise="", description=""):
    item = {
        "code": code,
        "name": name,
        "dimension": dimension,
        "importance": importance,
        "description": description,
        "promise": promise,
    }
    if target:
        value, unit, comparator = target
        item["target"] = {"value": value, "unit": unit, "comparator": comparator}
    return item


def _tp(name, channel, expectation, standards, *, mtm=False, pain=""):
    return {
        "name": name,
        "channel": channel,
        "moment_that_matters": mtm,
        "customer_expectation": expectation,
        "pain_points": pain,
        "standards": standards,
    }


STAGES = [
    (
        "Discover and plan",
        "The passenger looks for times, fares and station information.",
        [
            _tp(
                "Journey planner on the website",
                "web",
                "I can see every option and the full price before I commit.",
                [
                    _std(
                        "REL-WEB-01",
                        "Fares shown with all fees before checkout",
                        "reliability",
                        4,
                        promise="No hidden booking fees, ever.",
                    ),
                    _std(
                        "RESP-WEB-01",
                        "Journey planner results load quickly",
                        "responsiveness",
                        3,
                        target=(3, "seconds", "lte"),
                    ),
                    _std(
                        "EMP-WEB-01",
                        "Step-free access information shown for every station",
                        "empathy",
                        3,
                    ),
                ],
                pain="Split-ticket fares are hard to compare.",
            ),
            _tp(
                "Live times in the app",
                "app",
                "The times I see are the times the trains actually run.",
                [
                    _std(
                        "REL-APP-01",
                        "Live departure times accurate",
                        "reliability",
                        4,
                        target=(1, "minutes", "lte"),
                        description="Difference between the app and the platform display.",
                    ),
                ],
            ),
        ],
    ),
    (
        "Buy a ticket",
        "The passenger buys a ticket at the station, in the app, and receives it by email.",
        [
            _tp(
                "Ticket office desk",
                "in_store",
                "A short queue and someone who finds me the right, cheapest ticket.",
                [
                    _std(
                        "RESP-DESK-01",
                        "Queue time at the ticket desk",
                        "responsiveness",
                        4,
                        target=(5, "minutes", "lte"),
                        promise="Never more than 5 minutes in the ticket queue.",
                    ),
                    _std(
                        "EMP-DESK-01",
                        "Agent greets the passenger and makes eye contact",
                        "empathy",
                        3,
                    ),
                    _std(
                        "REL-DESK-01",
                        "Agent offers the cheapest valid fare",
                        "reliability",
                        5,
                        promise="We always find you the best fare for your journey.",
                    ),
                    _std(
                        "TANG-DESK-01",
                        "Desk area clean, fare boards legible",
                        "tangibles",
                        2,
                    ),
                    _std(
                        "ASSU-DESK-01",
                        "Agent explains the ticket's restrictions correctly",
                        "assurance",
                        4,
                    ),
                ],
                mtm=True,
                pain="Morning peak queues; off-peak rules are confusing.",
            ),
            _tp(
                "Buying in the app",
                "app",
                "A few taps and the ticket is on my phone.",
                [
                    _std(
                        "TANG-APP-01",
                        "Checkout completed in few steps",
                        "tangibles",
                        3,
                        target=(4, "steps", "lte"),
                    ),
                    _std(
                        "REL-APP-02",
                        "E-ticket available in the app after payment",
                        "reliability",
                        4,
                        target=(2, "minutes", "lte"),
                    ),
                    _std(
                        "ASSU-APP-01",
                        "Payment page shows how card data is protected",
                        "assurance",
                        2,
                    ),
                ],
            ),
            _tp(
                "Booking confirmation email",
                "email",
                "A clear confirmation with everything I need on the day.",
                [
                    _std(
                        "RESP-EMAIL-01",
                        "Confirmation email arrives promptly",
                        "responsiveness",
                        3,
                        target=(10, "minutes", "lte"),
                    ),
                    _std(
                        "REL-EMAIL-01",
                        "Confirmation states times, seat and refund rules",
                        "reliability",
                        3,
                    ),
                    _std(
                        "TANG-EMAIL-01",
                        "Email readable on a phone without zooming",
                        "tangibles",
                        2,
                    ),
                ],
            ),
        ],
    ),
    (
        "Travel day",
        "At the station and on the train.",
        [
            _tp(
                "Station information desk",
                "in_store",
                "Someone who knows, and who helps me if I need assistance.",
                [
                    _std(
                        "TANG-DESK-02",
                        "Staff visible and identifiable on the concourse",
                        "tangibles",
                        3,
                    ),
                    _std(
                        "ASSU-DESK-02",
                        "Staff give correct platform and connection information",
                        "assurance",
                        4,
                    ),
                    _std(
                        "EMP-DESK-02",
                        "Booked passenger assistance is delivered",
                        "empathy",
                        5,
                        promise="Passenger Assist: we will meet you at the train, every time.",
                    ),
                ],
                mtm=True,
                pain="Desk unstaffed after 20:00 at smaller stations.",
            ),
            _tp(
                "Disruption alerts in the app",
                "app",
                "I hear about a delay before I get to the station, with a way round it.",
                [
                    _std(
                        "RESP-APP-01",
                        "Push alert sent after a delay is declared",
                        "responsiveness",
                        5,
                        target=(5, "minutes", "lte"),
                        promise="Know about delays before you reach the station.",
                    ),
                    _std(
                        "EMP-APP-01",
                        "Alert proposes an alternative route",
                        "empathy",
                        3,
                    ),
                ],
                mtm=True,
            ),
        ],
    ),
    (
        "Get support",
        "The passenger contacts Northline with a question or a problem.",
        [
            _tp(
                "Phone contact centre",
                "phone",
                "Someone answers quickly and sorts it out on the first call.",
                [
                    _std(
                        "RESP-PHONE-01",
                        "Call answered within 60 seconds",
                        "responsiveness",
                        5,
                        target=(60, "seconds", "lte"),
                        promise="We answer your call within a minute.",
                        description="From the end of the menu to a person speaking.",
                    ),
                    _std(
                        "REL-PHONE-01",
                        "Request resolved on the first call",
                        "reliability",
                        5,
                    ),
                    _std(
                        "EMP-PHONE-01",
                        "Agent acknowledges the problem and uses the caller's name",
                        "empathy",
                        4,
                    ),
                    _std(
                        "ASSU-PHONE-01",
                        "Agent confirms what happens next and by when",
                        "assurance",
                        4,
                    ),
                ],
                mtm=True,
                pain="Long menus before reaching a person; Monday morning peaks.",
            ),
            _tp(
                "Web chat",
                "chat",
                "A fast, correct answer without having to call.",
                [
                    _std(
                        "RESP-CHAT-01",
                        "First reply in web chat",
                        "responsiveness",
                        4,
                        target=(2, "minutes", "lte"),
                        promise="Chat with us: replies in under 2 minutes.",
                    ),
                    _std(
                        "REL-CHAT-01",
                        "Answer is correct and complete",
                        "reliability",
                        4,
                    ),
                    _std(
                        "TANG-CHAT-01",
                        "Transcript offered by email at the end of the chat",
                        "tangibles",
                        2,
                    ),
                ],
            ),
            _tp(
                "Email enquiry",
                "email",
                "A personal reply, not a template, within a couple of days.",
                [
                    _std(
                        "RESP-EMAIL-02",
                        "Email enquiry answered",
                        "responsiveness",
                        3,
                        target=(2, "working days", "lte"),
                    ),
                    _std(
                        "EMP-EMAIL-01",
                        "Reply in plain language, addressed to the passenger",
                        "empathy",
                        3,
                    ),
                ],
            ),
        ],
    ),
    (
        "Refund or complaint",
        "After a delay or a bad experience, the passenger claims money back or complains.",
        [
            _tp(
                "Delay Repay claim in the app",
                "app",
                "Claiming is quick and the money arrives without chasing.",
                [
                    _std(
                        "RESP-APP-02",
                        "Claim can be submitted quickly",
                        "responsiveness",
                        3,
                        target=(5, "minutes", "lte"),
                    ),
                    _std(
                        "REL-APP-03",
                        "Refund paid",
                        "reliability",
                        5,
                        target=(14, "days", "lte"),
                        promise="Delay Repay refunds paid within 14 days.",
                    ),
                ],
                mtm=True,
                pain="Claims need ticket photos; passengers give up.",
            ),
            _tp(
                "Complaint by email",
                "email",
                "Someone takes it seriously, tells me what happens, and fixes it.",
                [
                    _std(
                        "RESP-EMAIL-03",
                        "Complaint acknowledged",
                        "responsiveness",
                        4,
                        target=(1, "working days", "lte"),
                    ),
                    _std(
                        "REL-EMAIL-02",
                        "Final response sent",
                        "reliability",
                        4,
                        target=(20, "working days", "lte"),
                        promise="Every complaint answered in full within 20 working days.",
                    ),
                    _std(
                        "EMP-EMAIL-02",
                        "Response apologises and explains what will change",
                        "empathy",
                        4,
                    ),
                    _std(
                        "ASSU-EMAIL-01",
                        "Response states the passenger's rights correctly",
                        "assurance",
                        4,
                    ),
                ],
            ),
        ],
    ),
]


def document() -> dict:
    """The demo journey as a journey definition document."""
    return {
        "format": definition.FORMAT,
        "version": definition.VERSION,
        "journey": {
            "name": JOURNEY_NAME,
            "description": "From planning a trip to a refund: what Northline Rail passengers "
            "go through, and what good service means at each step.",
            "stages": [
                {
                    "position": s_pos,
                    "name": name,
                    "description": description,
                    "touchpoints": [
                        {
                            "position": t_pos,
                            **tp,
                            "standards": [
                                {"position": k_pos, **std}
                                for k_pos, std in enumerate(tp["standards"], start=1)
                            ],
                        }
                        for t_pos, tp in enumerate(touchpoints, start=1)
                    ],
                }
                for s_pos, (name, description, touchpoints) in enumerate(STAGES, start=1)
            ],
        },
    }


def seed_demo(org: Organization) -> None:
    """Create the demo journey and waves once; a second run changes nothing."""
    if not Journey.objects.for_org(org).filter(name=JOURNEY_NAME).exists():
        definition.import_journeys(organization=org, data=json.dumps(document()))
    for name, starts_on, ends_on, status in WAVES:
        Wave.objects.get_or_create(
            organization=org,
            name=name,
            defaults={"starts_on": starts_on, "ends_on": ends_on, "status": status},
        )
