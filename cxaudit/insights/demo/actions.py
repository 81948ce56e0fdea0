"""Demo action plan and operational KPIs: actions found in 2026 Q2 and evaluated by the 2026 Q3
figures (one verified, one reopened, chosen from the demo's own data by the same rule the app
applies), one still open and overdue; contact-centre KPIs for every wave."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from cxaudit.accounts.models import Location, Organization, User
from cxaudit.journeys.models import Standard, Wave

from ..actions import services as actions
from ..actions.models import ActionItem
from ..actions.verification import Figure, evaluate
from ..gaps import analyse_gaps
from ..kpis.models import Direction, Kpi, KpiValue

CANDIDATE_GAPS = ("perceived_vs_expected", "self_vs_perceived")
# code, name, unit, direction, target, linked standards, values for Q2, Q3, Q4 at CC-LDS
KPIS = (
    (
        "ANSWER-SECS",
        "Time to answer",
        "s",
        Direction.LOWER,
        "60",
        ("RESP-PHONE-01",),
        ("95", "70", "58"),
    ),
    (
        "FCR",
        "First-contact resolution",
        "%",
        Direction.HIGHER,
        "75",
        ("REL-PHONE-01",),
        ("64", "69", "73"),
    ),
    (
        "AHT",
        "Average handling time",
        "s",
        Direction.LOWER,
        "360",
        ("REL-PHONE-01", "ASSU-PHONE-01"),
        ("410", "380", "365"),
    ),
    (
        "ABANDON",
        "Abandoned calls",
        "%",
        Direction.LOWER,
        "5",
        ("RESP-PHONE-01",),
        ("9.5", "7", "4.8"),
    ),
)


def seed_kpis(org: Organization) -> None:
    waves = {w.name: w for w in Wave.objects.for_org(org)}
    centres = list(Location.objects.for_org(org).filter(kind=Location.Kind.CONTACT_CENTRE))
    standards = {s.code: s for s in Standard.objects.for_org(org)}
    for code, name, unit, direction, target, linked, values in KPIS:
        kpi, _ = Kpi.objects.get_or_create(
            organization=org,
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "direction": direction,
                "target": Decimal(target),
            },
        )
        kpi.standards.set([standards[c] for c in linked if c in standards])
        for wave_name, value in zip(("2026 Q2", "2026 Q3", "2026 Q4"), values, strict=True):
            if wave_name not in waves:
                continue
            for centre in centres:
                KpiValue.objects.update_or_create(
                    kpi=kpi,
                    location=centre,
                    wave=waves[wave_name],
                    defaults={"value": Decimal(value)},
                )


def _candidates(org, before: Wave, after: Wave):
    """(verdict, standard, location, gap, figure before) for every standard and location with
    answers in both waves, in a stable order."""
    standards = {s.code: s for s in Standard.objects.for_org(org).select_related("touchpoint")}
    for location in Location.objects.for_org(org).order_by("code"):
        first = analyse_gaps(organization=org, wave=before, location=location).rows("standard")
        second = {
            r.key["standard"]: r
            for r in analyse_gaps(organization=org, wave=after, location=location).rows("standard")
        }
        for row in first:
            later = second.get(row.key["standard"])
            if later is None:
                continue
            for gap in CANDIDATE_GAPS:
                a, b = row.gaps[gap].to_dict(), later.gaps[gap].to_dict()
                verdict = evaluate(Figure.from_gap(a), Figure.from_gap(b)).verdict
                yield verdict, standards[row.key["standard"]], location, gap, a


def seed_actions(org: Organization) -> None:
    if ActionItem.objects.for_org(org).exists():
        return
    waves = {w.name: w for w in Wave.objects.for_org(org)}
    before, after = waves.get("2026 Q2"), waves.get("2026 Q3")
    manager = User.objects.filter(email__iexact="manager@northline.example").first()
    centre_manager = (
        User.objects.filter(email__iexact="colm.reilly@northline.example").first() or manager
    )
    admin = User.objects.filter(email__iexact="admin@northline.example").first()
    if before is None or after is None or manager is None or after.status != Wave.Status.CLOSED:
        return
    found: dict[str, tuple] = {}
    for verdict, standard, location, gap, figure in _candidates(org, before, after):
        key = (
            "verified"
            if verdict.value == "narrowed"
            else "reopened"
            if verdict.value == "not_narrowed"
            else None
        )
        if key and key not in found and abs(figure.get("diff_100") or 0) >= 10:
            found[key] = (standard, location, gap)
        if len(found) == 2:
            break
    today = timezone.localdate()
    plans = {
        "verified": (
            "Coaching for “{name}”",
            "expertise",
            centre_manager,
            "Weekly call reviews; agents open with the caller's name and the problem in their "
            "own words.",
        ),
        "reopened": (
            "Bring “{name}” up to what passengers expect",
            "process",
            manager,
            "Agreed with the team leaders; first changes in place.",
        ),
    }
    for key, (standard, location, gap) in found.items():
        title, cause, owner, description = plans[key]
        title = title.format(name=standard.name)
        item = actions.create_action(
            scope=actions.GapScope(
                organization=org, wave=before, gap=gap, standard=standard, location=location
            ),
            actor=admin,
            title=title,
            description=description,
            root_cause=cause,
            owner=owner,
            due_date=today + dt.timedelta(days=1),
        )
        ActionItem.objects.filter(pk=item.pk).update(
            due_date=after.starts_on + dt.timedelta(days=20)
        )
        item.refresh_from_db()
        actions.change_status(item=item, actor=owner, to="in_progress")
        actions.change_status(item=item, actor=owner, to="done", note="Done before the wave.")
    actions.evaluate_actions(wave=after)
    # The owner of a reopened item has set a new date since.
    for item in ActionItem.objects.for_org(org).filter(status="reopened"):
        actions.update_action(item=item, actor=item.owner, due_date=today + dt.timedelta(days=21))
    # Still open, and overdue: the slow answers on the phone at Harbour Street.
    hbs = Location.objects.for_org(org).filter(code="HBS").first()
    phone = Standard.objects.for_org(org).filter(code="RESP-PHONE-01").first()
    if phone is not None:
        item = actions.create_action(
            scope=actions.GapScope(
                organization=org, wave=after, gap="delivery", standard=phone, location=hbs
            ),
            actor=admin,
            title="Staff the Monday-morning phone peak",
            description="Roster two more agents from 8 to 11 on Mondays; shorten the menu.",
            root_cause="process",
            owner=manager,
            due_date=today + dt.timedelta(days=1),
        )
        ActionItem.objects.filter(pk=item.pk).update(due_date=today - dt.timedelta(days=9))
        actions.add_comment(item=item, author=manager, text="Waiting for the rota approval.")


def seed(org: Organization) -> None:
    seed_kpis(org)
    seed_actions(org)
