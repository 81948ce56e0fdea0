"""Demo data of the insights: Northline Rail's surveys, two past waves of answers and an open
self-assessment round, made to show the classic picture (docs/self-assessments.md):

* managers rate themselves far above what passengers perceive on responsiveness and empathy
  (the "80 % vs 45 %" self-assessment gap), and underestimate what passengers expect;
* mystery shoppers confirm slow phone answers at Harbour Street station (HBS) — their approved
  shops are the shopper programme's demo (shoppers.demo, which runs before this one);
* empathy on the phone at the Leeds contact centre improved between 2026 Q2 and Q3, so its
  SERVQUAL gap (perception - expectation) narrowed.

Everything goes through the survey definition import and surveys.responses.services
(record_many stores exactly what record_response stores), so scores and answer columns are
exactly what the engine stores. Answers are drawn from a random.Random seeded per response,
with fixed client ids: a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from cxaudit.accounts.demo import DEMO_PASSWORD
from cxaudit.accounts.models import Location, Membership, Organization, Role, User
from cxaudit.journeys.models import Wave
from surveys.models import SelfAssessmentRound, Source
from surveys.outreach import demo as outreach_demo
from surveys.questionnaire.services import ensure_published
from surveys.questionnaire.structure import load_structure
from surveys.responses.services import record_many
from surveys.selfassess import services as selfassess

from . import definitions
from .profile import customer_answers, self_answers

NAMESPACE = uuid.UUID("b5e3f0a4-1c55-4f0e-9d8e-2f6f3c0d7a90")
PAST_WAVES = ("2026 Q2", "2026 Q3")
OPEN_WAVE = "2026 Q4"
CUSTOMERS_PER_LOCATION = {"KGX": 40, "HBS": 40, "MFP": 40, "CC-LDS": 40, "WEB-CHAT": 30}
CHANNEL_OF = {"KGX": "station", "HBS": "station", "MFP": "station", "CC-LDS": "phone"}
CHANNEL_OF["WEB-CHAT"] = "chat"
DEMO_MANAGER = "manager@northline.example"
# Extra managers, each limited to one location (they self-assess that location).
EXTRA_MANAGERS = [
    ("kim.okafor@northline.example", "Kim Okafor", "KGX"),
    ("hana.berg@northline.example", "Hana Berg", "HBS"),
    ("colm.reilly@northline.example", "Colm Reilly", "CC-LDS"),
]


def demo_uuid(*parts: Any) -> uuid.UUID:
    """The fixed client id of a demo response, from what identifies it (so a re-run skips it)."""
    return uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts))


def _when(rng: random.Random, wave: Wave) -> dt.datetime:
    days = (wave.ends_on - wave.starts_on).days
    day = wave.starts_on + dt.timedelta(days=rng.randint(0, days))
    moment = dt.datetime.combine(day, dt.time(rng.randint(7, 20), rng.randint(0, 59)))
    return timezone.make_aware(moment)


def _managers(org: Organization) -> list[tuple[User, Location | None]]:
    """(manager, location assessed) of the demo: the demo manager for the whole organisation,
    the extra managers for their location."""
    locations = {loc.code: loc for loc in Location.objects.for_org(org)}
    out: list[tuple[User, Location | None]] = []
    demo = User.objects.filter(email__iexact=DEMO_MANAGER).first()
    if demo is not None:
        out.append((demo, None))
    for email, name, code in EXTRA_MANAGERS:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=name)
        membership, _ = Membership.objects.get_or_create(
            user=user, organization=org, defaults={"role": Role.CLIENT_MANAGER}
        )
        if not membership.locations.exists():
            membership.locations.set([locations[code]])
        out.append((user, locations[code]))
    return out


@transaction.atomic
def seed_demo(org: Organization) -> None:
    """Create the demo surveys, past answers and the open self-assessment round once."""
    waves = {w.name: w for w in Wave.objects.for_org(org).filter(name__in=[*PAST_WAVES, OPEN_WAVE])}
    if len(waves) < 3:
        return  # the journeys demo did not run: nothing to attach answers to
    locations = {loc.code: loc for loc in Location.objects.for_org(org)}
    customer = load_structure(
        ensure_published(organization=org, document=definitions.customer_survey())
    )
    self_survey = ensure_published(organization=org, document=definitions.self_assessment_survey())
    self_structure = load_structure(self_survey)
    admin = User.objects.filter(email__iexact="admin@northline.example").first()
    managers = _managers(org)

    rounds = {}
    for name in PAST_WAVES:
        rounds[name], _ = SelfAssessmentRound.objects.get_or_create(
            organization=org,
            survey=self_survey,
            wave=waves[name],
            defaults={
                "status": SelfAssessmentRound.Status.CLOSED,
                "launched_by": admin,
                "closes_on": waves[name].ends_on,
            },
        )
    open_wave = waves[OPEN_WAVE]
    if not SelfAssessmentRound.objects.filter(
        survey__code=self_survey.code, wave=open_wave
    ).exists():
        closes_on = open_wave.ends_on if open_wave.ends_on >= timezone.localdate() else None
        selfassess.launch_round(
            survey=self_survey, wave=open_wave, actor=admin, closes_on=closes_on
        )

    def customers():
        for wave_name in PAST_WAVES:
            for code, n in CUSTOMERS_PER_LOCATION.items():
                for i in range(n):
                    key = ("customer", wave_name, code, i)
                    rng = random.Random(":".join(map(str, key)))
                    yield (
                        demo_uuid(*key),
                        {
                            "raw_answers": customer_answers(rng, CHANNEL_OF[code], code, wave_name),
                            "location": locations[code],
                            "wave": waves[wave_name],
                            "respondent_ref": f"demo-passenger-{wave_name[-2:]}-{code}-{i + 1}",
                            "submitted_at": _when(rng, waves[wave_name]),
                        },
                    )

    def self_assessments():
        for wave_name in PAST_WAVES:
            for user, location in managers:
                key = ("self", wave_name, user.email)
                rng = random.Random(":".join(map(str, key)))
                channel = CHANNEL_OF[location.code] if location is not None else None
                client_id = selfassess.self_assessment_client_id(rounds[wave_name], user, location)
                yield (
                    client_id,
                    {
                        "raw_answers": self_answers(rng, channel, wave_name),
                        "location": location,
                        "wave": waves[wave_name],
                        "respondent": user,
                        "submitted_at": _when(rng, waves[wave_name]),
                    },
                )

    record_many(customers(), customer, source=Source.CUSTOMER)
    # The customer answers came through email campaigns: a contact list, a completed campaign
    # per past wave holding these responses, and one sent in the open wave, waiting for answers.
    outreach_demo.seed(
        org,
        survey=customer.survey,
        waves=waves,
        answered={
            wave_name: [
                outreach_demo.Answered(demo_uuid("customer", wave_name, code, i), code, i)
                for code, n in CUSTOMERS_PER_LOCATION.items()
                for i in range(n)
            ]
            for wave_name in PAST_WAVES
        },
        open_wave=OPEN_WAVE,
        per_location=CUSTOMERS_PER_LOCATION,
    )
    record_many(self_assessments(), self_structure, source=Source.SELF)
    from . import actions as demo_actions  # after the answers: actions are chosen from them

    demo_actions.seed(org)
