"""Demo data of the shopper programme: Northline Rail's panel of twelve shoppers (one excluded
from the station where she works, two not yet certified for station visits, one more waiting
for approval), scenarios for the station desk, the contact centre's phone line and the web
chat, two past waves of approved shops, and the open wave as a visitor of `make run` finds it:

* open jobs on the job board, one offered by email to two shoppers;
* Sam Shopper (the demo shopper login) holding a chat shop to start;
* three shops waiting for review — one of them with integrity flags (a photo taken far from the
  station days before the visit, the same photo as another shop, a copied narrative);
* one shop returned to its shopper for edits;
* the 2026 Q2 fees paid in one payout batch, the 2026 Q3 ones still owed.

Past shops are written in bulk (surveys.responses.services.record_many: exactly what
submission stores) with their assignments, already approved; the open wave's shops go through
the programme's own services, so their emails, audit trails and integrity flags are real.
Fixed client ids and keys: a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import uuid
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from cxaudit.accounts.demo import DEMO_PASSWORD
from cxaudit.accounts.models import Location, Membership, Organization, Role, User
from cxaudit.journeys.models import Touchpoint, Wave
from surveys.models import Response, Source
from surveys.questionnaire.services import ensure_published
from surveys.questionnaire.structure import load_structure
from surveys.responses.services import attach_evidence, record_many

from ..models import (
    Assignment,
    AssignmentEvent,
    Certification,
    PayoutBatch,
    Scenario,
    ShopperProfile,
    ShopperProgramme,
)
from ..payouts import services as payouts
from ..review import services as review
from ..scheduling import services as scheduling
from ..visits import services as visits
from . import definitions, profile

NAMESPACE = uuid.UUID("3e0f8b52-7c1d-4a96-b2e4-8d5a1f6c9e07")
PAST_WAVES = ("2026 Q2", "2026 Q3")
OPEN_WAVE = "2026 Q4"
DEMO_SHOPPER = "shopper@northline.example"
REVIEWER = "reviewer@northline.example"
ADMIN = "admin@northline.example"

# email, name, home region, languages, age band, gender
SHOPPERS = [
    (DEMO_SHOPPER, "Sam Shopper", "North", ["en"], "25-34", ""),
    ("amira.haddad@shoppers.example", "Amira Haddad", "North", ["en", "ar"], "35-49", "woman"),
    ("ben.carter@shoppers.example", "Ben Carter", "Coast", ["en"], "50-64", "man"),
    ("chloe.martin@shoppers.example", "Chloé Martin", "Coast", ["en", "fr"], "25-34", "woman"),
    ("dev.patel@shoppers.example", "Dev Patel", "Midlands", ["en", "gu"], "18-24", "man"),
    ("ewa.nowak@shoppers.example", "Ewa Nowak", "Midlands", ["en", "pl"], "35-49", "woman"),
    ("finn.oconnor@shoppers.example", "Finn O'Connor", "North", ["en", "ga"], "65+", "man"),
    ("grace.adeyemi@shoppers.example", "Grace Adeyemi", "Coast", ["en", "yo"], "25-34", "woman"),
    ("hugo.silva@shoppers.example", "Hugo Silva", "Midlands", ["en", "pt"], "50-64", "man"),
    ("isla.murray@shoppers.example", "Isla Murray", "North", ["en"], "18-24", "woman"),
    ("jamal.reid@shoppers.example", "Jamal Reid", "Coast", ["en"], "35-49", "man"),
    ("priya.nair@shoppers.example", "Priya Nair", "North", ["en", "ml"], "25-34", "woman"),
]
NOT_CERTIFIED = {"isla.murray@shoppers.example", "jamal.reid@shoppers.example"}
WORKS_AT = {"priya.nair@shoppers.example": "KGX"}
APPLICANT = ("leo.fischer@shoppers.example", "Leo Fischer", "Midlands", ["en", "de"])

STATIONS = ("KGX", "HBS", "MFP")
SHOPS_PER_STATION = 4
PHONE_SHOPS = 3
CHAT_SHOPS = 3


def demo_uuid(*parts) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts))


def _when(rng: random.Random, wave: Wave) -> dt.datetime:
    days = (wave.ends_on - wave.starts_on).days
    day = wave.starts_on + dt.timedelta(days=rng.randint(0, days - 3))
    moment = dt.datetime.combine(day, dt.time(rng.randint(8, 19), rng.randint(0, 59)))
    return timezone.make_aware(moment)


def _panel(org: Organization) -> dict[str, User]:
    """The twelve shoppers (and one applicant), their profiles and exclusions."""
    locations = {loc.code: loc for loc in Location.objects.for_org(org)}
    users: dict[str, User] = {}
    for email, name, region, languages, age_band, gender in [*SHOPPERS, (*APPLICANT, "", "")]:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=name)
        Membership.objects.get_or_create(
            user=user, organization=org, defaults={"role": Role.SHOPPER}
        )
        applicant = email == APPLICANT[0]
        profile_row, created = ShopperProfile.objects.get_or_create(
            organization=org,
            user=user,
            defaults={
                "status": ShopperProfile.Status.PENDING
                if applicant
                else ShopperProfile.Status.ACTIVE,
                "home_region": region,
                "languages": languages,
                "age_band": age_band,
                "gender": gender,
                "phone": "",
                "terms_accepted_at": timezone.now(),
            },
        )
        if created and email in WORKS_AT:
            profile_row.excluded_locations.set([locations[WORKS_AT[email]]])
            profile_row.staff_notes = "Works at Kingsbridge Central: never send her there."
            profile_row.save(update_fields=["staff_notes"])
        if not applicant:
            users[email] = user
    return users


def _touchpoint(org: Organization, name: str) -> Touchpoint:
    return Touchpoint.objects.get(stage__journey__organization=org, name=name)


def _scenarios(org: Organization) -> dict[str, Scenario]:
    station = ensure_published(organization=org, document=definitions.station_visit_form())
    phone = ensure_published(organization=org, document=definitions.phone_call_form())
    chat = ensure_published(organization=org, document=definitions.chat_visit_form())
    quiz = ensure_published(organization=org, document=definitions.desk_quiz())
    specs = {
        "station": dict(
            touchpoint=_touchpoint(org, "Ticket office desk"),
            title="Station visit: phone first, then buy a ticket at the desk",
            brief=(
                "1. Call the station and ask whether the ticket desk is open on Sunday; time "
                "the wait from the end of the menu to a person speaking.\n"
                "2. At the ticket desk, ask for the cheapest ticket to Harbour Street for "
                "tomorrow, travelling after 9:30. Buy it.\n"
                "3. On the concourse, ask a member of staff which platform it leaves from.\n"
                "Observe whether you are greeted, whether the cheapest valid fare is offered "
                "unprompted and whether the restrictions are explained."
            ),
            survey=station,
            fee=Decimal("35.00"),
            expense_cap=Decimal("20.00"),
            required_evidence="A photo of the ticket receipt",
            receipt_question="receipt",
            certification_survey=quiz,
            pass_percent=100,
        ),
        "phone": dict(
            touchpoint=_touchpoint(org, "Phone contact centre"),
            title="Phone the contact centre about a Delay Repay claim",
            brief=(
                "Call 0300 123 4567 and ask how to claim Delay Repay for a cancelled evening "
                "train. Time the wait to a person; note whether the agent uses your name and "
                "confirms what happens next."
            ),
            survey=phone,
            fee=Decimal("15.00"),
        ),
        "chat": dict(
            touchpoint=_touchpoint(org, "Web chat"),
            title="Web chat: which ticket for a journey with a change",
            brief=(
                "Open the web chat on northline.example and ask for the cheapest ticket from "
                "Millford Parkway to Harbour Street with a change at Kingsbridge Central. "
                "Note the minutes until the first reply and whether you are offered the "
                "transcript."
            ),
            survey=chat,
            fee=Decimal("12.00"),
            languages=["en"],
        ),
    }
    out = {}
    for key, fields in specs.items():
        out[key], _ = Scenario.objects.get_or_create(
            organization=org, title=fields.pop("title"), defaults=fields
        )
    return out


def _certify(org: Organization, scenario: Scenario, shoppers: list[User]) -> None:
    """Passed station certifications (the quiz answered right, never counted)."""
    quiz = load_structure(scenario.current_certification())
    right = {"identity": "deny", "timing": "menu", "receipt": "receipt"}
    made = record_many(
        (
            (
                demo_uuid("quiz", user.email),
                {
                    "raw_answers": right,
                    "respondent": user,
                    "submitted_at": timezone.make_aware(dt.datetime(2026, 3, 20, 18, 0)),
                },
            )
            for user in shoppers
        ),
        quiz,
        source=Source.SHOPPER,
        counted=False,
    )
    Certification.objects.bulk_create(
        Certification(
            organization=org,
            scenario=scenario,
            shopper=r.respondent,
            response=r,
            score_percent=r.score_percent,
            passed=True,
            taken_at=r.submitted_at,
        )
        for r in made
    )


def _past_shops(
    org: Organization,
    scenarios: dict[str, Scenario],
    shoppers: dict[str, User],
    waves: dict[str, Wave],
) -> None:
    """Two waves of approved shops, spread over the panel (nobody twice at one location in a
    wave, nobody where they work, station shops only for certified shoppers)."""
    locations = {loc.code: loc for loc in Location.objects.for_org(org)}
    reviewer = User.objects.filter(email__iexact=REVIEWER).first()
    panel = list(shoppers.values())
    certified = [u for u in panel if u.email not in NOT_CERTIFIED]
    plan = []  # (scenario key, location code, n, answers function)
    for wave_name in PAST_WAVES:
        for code in STATIONS:
            plan += [(wave_name, "station", code, i) for i in range(SHOPS_PER_STATION)]
        plan += [(wave_name, "phone", "CC-LDS", i) for i in range(PHONE_SHOPS)]
        plan += [(wave_name, "chat", "WEB-CHAT", i) for i in range(CHAT_SHOPS)]
    turn = 0
    by_scenario: dict[str, list] = {}
    for wave_name, key, code, i in plan:
        pool = certified if key == "station" else panel
        while True:
            user = pool[turn % len(pool)]
            turn += 1
            if WORKS_AT.get(user.email) != code:
                break
        rng = random.Random(f"shop:{wave_name}:{code}:{i}")
        if key == "station":
            answers = profile.station_answers(rng, code, wave_name)
            answers["notes"] = profile.station_note(random.Random(f"note:{wave_name}:{code}:{i}"))
        elif key == "phone":
            answers = profile.phone_answers(rng, wave_name)
        else:
            answers = profile.chat_answers(rng, wave_name)
        submitted = _when(rng, waves[wave_name])
        by_scenario.setdefault(key, []).append(
            (
                demo_uuid("shop", wave_name, code, i),
                {
                    "raw_answers": answers,
                    "location": locations[code],
                    "wave": waves[wave_name],
                    "respondent": user,
                    "submitted_at": submitted,
                },
            )
        )
    for key, items in by_scenario.items():
        scenario = scenarios[key]
        structure = load_structure(scenario.current_survey())
        made = record_many(items, structure, source=Source.SHOPPER)
        rows = []
        for r in made:
            wave = r.wave
            start = timezone.make_aware(dt.datetime.combine(wave.starts_on, dt.time(0, 0)))
            end = timezone.make_aware(dt.datetime.combine(wave.ends_on, dt.time(23, 59)))
            claimed = Decimal("8.50") if scenario.expense_cap else None
            rows.append(
                Assignment(
                    organization=org,
                    scenario=scenario,
                    location=r.location,
                    wave=wave,
                    window_start=start,
                    window_end=end,
                    deadline=end + dt.timedelta(hours=24),
                    status=Assignment.Status.APPROVED,
                    shopper=r.respondent,
                    response=r,
                    fee=scenario.fee,
                    expense_cap=scenario.expense_cap,
                    bulk_key=f"demo:{r.client_id}",
                    assigned_at=r.submitted_at - dt.timedelta(days=5),
                    started_at=r.submitted_at - dt.timedelta(minutes=75),
                    first_submitted_at=r.submitted_at,
                    submitted_at=r.submitted_at,
                    visited_at=r.submitted_at - dt.timedelta(minutes=60),
                    visit_minutes=20 + r.pk % 25,
                    expense_claimed=claimed,
                    expense_approved=claimed,
                    decided_at=r.submitted_at + dt.timedelta(days=2),
                    reviewer=reviewer,
                    integrity_score=100,
                    outcome_points=5,
                )
            )
        Assignment.objects.bulk_create(rows)
        AssignmentEvent.objects.bulk_create(
            AssignmentEvent(
                assignment=a,
                organization=org,
                actor=actor,
                kind=AssignmentEvent.Kind.TRANSITION,
                from_status=frm,
                to_status=to,
                at=at,
            )
            for a in rows
            for actor, frm, to, at in (
                (a.shopper, "open", "assigned", a.assigned_at),
                (a.shopper, "assigned", "in_progress", a.started_at),
                (a.shopper, "in_progress", "submitted", a.submitted_at),
                (reviewer, "submitted", "approved", a.decided_at),
            )
        )
    for user in panel:
        scheduling.update_rating(organization=org, shopper=user)


def _pay_first_wave(org: Organization, waves: dict[str, Wave]) -> None:
    admin = User.objects.filter(email__iexact=ADMIN).first()
    q2 = Assignment.objects.for_org(org).payable().filter(wave=waves[PAST_WAVES[0]])
    if not q2.exists():
        return
    batch = PayoutBatch.objects.create(
        organization=org,
        reference="PAY-20260715-01",
        currency=ShopperProgramme.of(org).currency,
        total=Decimal("0"),
        shops=0,
        created_by=admin,
    )
    q2.update(payout_batch=batch)
    lines = list(Assignment.objects.filter(payout_batch=batch))
    batch.total = sum((a.payable_amount for a in lines), Decimal("0"))
    batch.shops = len(lines)
    batch.save(update_fields=["total", "shops"])
    payouts.mark_paid(batch=batch, actor=admin, payment_reference="BACS run 2026-07-15")


def _photo(*, colour: str, taken: dt.datetime, position: tuple[float, float]) -> bytes:
    """A small JPEG "receipt" with the EXIF time and GPS position a phone would write."""

    def dms(value: float):
        value = abs(value)
        d = int(value)
        m = int((value - d) * 60)
        s = round(((value - d) * 60 - m) * 60, 2)
        return (float(d), float(m), float(s))

    image = Image.new("RGB", (64, 96), colour)
    exif = Image.Exif()
    exif[0x8769] = {0x9003: timezone.localtime(taken).strftime("%Y:%m:%d %H:%M:%S")}
    lat, lon = position
    exif[0x8825] = {
        1: "N" if lat >= 0 else "S",
        2: dms(lat),
        3: "E" if lon >= 0 else "W",
        4: dms(lon),
    }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _visit(
    job: Assignment,
    user: User,
    answers: dict,
    *,
    hours_ago: float,
    photo: bytes | None = None,
) -> Assignment:
    """A shop taken, visited and sent through the programme's services."""
    now = timezone.now()
    visit = now - dt.timedelta(hours=hours_ago)
    job = scheduling.assign_shopper(
        assignment=job, shopper=user, actor=User.objects.get(email__iexact=ADMIN)
    )
    job = visits.start_visit(assignment=job, shopper=user, at=visit - dt.timedelta(minutes=20))
    Response.objects.filter(pk=job.response_id).update(started_at=visit - dt.timedelta(minutes=20))
    job.response.refresh_from_db()
    visits.record_visit(
        assignment=job,
        shopper=user,
        visited_at=visit,
        visit_minutes=25,
        expense_claimed=Decimal("8.50") if job.expense_cap else None,
    )
    raw = dict(answers)
    question = job.response.survey.questions.filter(code="receipt").first()
    if photo is not None and question is not None:  # a demo seeded before the receipt: none
        evidence = attach_evidence(
            response=job.response,
            question=question,
            upload=SimpleUploadedFile("receipt.jpg", photo, content_type="image/jpeg"),
        )
        raw["receipt"] = str(evidence.key)
    job = visits.submit_visit(
        assignment=job, shopper=user, raw_answers=raw, at=visit + dt.timedelta(minutes=30)
    )
    _in_order(
        job, started=visit - dt.timedelta(minutes=20), recorded=visit + dt.timedelta(minutes=26)
    )
    return job


def _in_order(job: Assignment, *, started: dt.datetime, recorded: dt.datetime) -> None:
    """The services stamped "created", "assigned" and "visit recorded" with the seed's clock;
    the visit itself is in the past. Put them where they belong, so the history reads in order:
    created and given a day before the visit started, the details recorded after the visit."""
    given = started - dt.timedelta(days=1)
    K = AssignmentEvent.Kind
    for event in AssignmentEvent.objects.filter(assignment=job, at__gt=recorded):
        if event.kind == K.CREATED:
            event.at = given
        elif event.kind == K.TRANSITION and event.to_status == Assignment.Status.ASSIGNED:
            event.at = given + dt.timedelta(minutes=5)
        elif event.kind == K.VISIT:
            event.at = recorded
        else:
            continue
        event.save(update_fields=["at"])
    Assignment.objects.filter(pk=job.pk).update(
        created_at=given, assigned_at=given + dt.timedelta(minutes=5)
    )


def _open_wave(
    org: Organization,
    scenarios: dict[str, Scenario],
    shoppers: dict[str, User],
    wave: Wave,
) -> None:
    """The open wave as a visitor finds it (see the module docstring)."""
    if Assignment.objects.for_org(org).filter(wave=wave).exists():
        return  # seeded before
    now = timezone.now()
    wave_start = timezone.make_aware(dt.datetime.combine(wave.starts_on, dt.time(0, 0)))
    wave_end = timezone.make_aware(dt.datetime.combine(wave.ends_on, dt.time(23, 0)))
    start = max(wave_start, now - dt.timedelta(days=3))
    end = min(wave_end, now + dt.timedelta(days=10))
    if end - start < dt.timedelta(days=2):
        return  # the demo's open wave is over: no live shops to show
    admin = User.objects.get(email__iexact=ADMIN)
    reviewer = User.objects.get(email__iexact=REVIEWER)
    locations = {loc.code: loc for loc in Location.objects.for_org(org)}

    def job(key: str, code: str) -> Assignment:
        return scheduling.create_assignment(
            organization=org,
            scenario=scenarios[key],
            location=locations[code],
            wave=wave,
            window_start=start,
            window_end=end,
            actor=admin,
        )

    # Open on the job board (one offered by email to two shoppers).
    for key, code in (("station", "KGX"), ("station", "HBS"), ("station", "MFP")):
        job(key, code)
    for key, code in (("phone", "CC-LDS"), ("phone", "CC-LDS"), ("chat", "WEB-CHAT")):
        job(key, code)
    offered = job("station", "MFP")
    scheduling.offer_job(
        assignment=offered,
        shoppers=[shoppers[DEMO_SHOPPER], shoppers["ewa.nowak@shoppers.example"]],
        actor=admin,
    )
    # Sam holds a chat shop to start.
    scheduling.assign_shopper(
        assignment=job("chat", "WEB-CHAT"), shopper=shoppers[DEMO_SHOPPER], actor=admin
    )
    # Waiting for review: a clean station shop, a flagged one, a phone call.
    mfp = locations["MFP"]
    receipt = _photo(
        colour="#f2efe6",
        taken=now - dt.timedelta(hours=26),
        position=(mfp.latitude, mfp.longitude),
    )
    note = "The agent offered an off-peak return without being asked and explained the 9:30 rule."
    clean = profile.station_answers(random.Random("live:MFP"), "MFP", OPEN_WAVE)
    _visit(
        job("station", "MFP"),
        shoppers["amira.haddad@shoppers.example"],
        {**clean, "notes": note},
        hours_ago=26,
        photo=receipt,
    )
    flagged = profile.station_answers(random.Random("live:HBS"), "HBS", OPEN_WAVE)
    _visit(
        job("station", "HBS"),
        shoppers["ben.carter@shoppers.example"],
        {**flagged, "notes": note + " "},
        hours_ago=3,
        photo=receipt,  # the same file as the Millford shop, taken there a day earlier
    )
    _visit(
        job("phone", "CC-LDS"),
        shoppers["finn.oconnor@shoppers.example"],
        {
            **profile.phone_answers(random.Random("live:CC"), "2026 Q3"),
            "call_notes": "Waited through a long menu; the agent knew the Delay Repay rules "
            "and sent the claim link while we spoke.",
        },
        hours_ago=20,
    )
    # Returned for edits.
    returned = _visit(
        job("chat", "WEB-CHAT"),
        shoppers["grace.adeyemi@shoppers.example"],
        {
            **profile.chat_answers(random.Random("live:CHAT"), "2026 Q3"),
            "chat_notes": "Slow start, then a clear answer: split ticket suggested, cheaper.",
        },
        hours_ago=30,
    )
    review.return_shop(
        assignment=returned,
        actor=reviewer,
        comment="Please give the minutes until the first reply as a number from the chat's "
        "timestamps, and say whether the transcript was offered.",
    )


@transaction.atomic
def seed_demo(org: Organization) -> None:
    """Create the demo panel, scenarios and shops once (see the module docstring)."""
    names = [*PAST_WAVES, OPEN_WAVE]
    waves = {w.name: w for w in Wave.objects.for_org(org).filter(name__in=names)}
    if len(waves) < 3:
        return  # the journeys demo did not run: no journey, waves or standards to attach to
    ShopperProgramme.of(org)
    shoppers = _panel(org)
    scenarios = _scenarios(org)
    if not Certification.objects.filter(scenario=scenarios["station"]).exists():
        _certify(
            org,
            scenarios["station"],
            [u for e, u in shoppers.items() if e not in NOT_CERTIFIED],
        )
    if not Assignment.objects.for_org(org).filter(wave__name__in=PAST_WAVES).exists():
        _past_shops(org, scenarios, shoppers, waves)
        _pay_first_wave(org, waves)
    _open_wave(org, scenarios, shoppers, waves[OPEN_WAVE])
