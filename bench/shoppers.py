"""Benchmark: the mystery-shopper programme at the size of a large panel — 2,000 shoppers, 200
locations, 50,000 assignments (open, held, waiting for review, approved).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cxaudit_bench_shoppers \\
        .venv/bin/python bench/shoppers.py

Measured (best of --runs after a warm-up), each next to a baseline in the same run:

* the job board of one shopper (GET shoppers:jobs through the Django test client: eligibility,
  exclusions and lockouts filtered in SQL) and the review queue of a reviewer (GET
  shoppers:review_queue), with their query counts; baseline: the smallest page of the app
  (`accounts:org_home` of a shopper, which redirects to My shops) through the same client.
  Target: each under 200 ms with a constant number of queries.
* bulk creation of 10,000 assignments (200 locations x 5 scenarios x 10 visits) spread over a
  group of 500 shoppers with every scheduling rule checked (eligibility, exclusions, lockouts
  including the shops given earlier in the batch): plan_bulk + create_bulk, audit rows and
  confirmation emails included; baseline: a bare bulk_create of the same 10,000 rows (no rules,
  no audit, no email). Target: under 10 s.

Flags: --runs N, --keep (reuse the generated programme). Data is generated with bulk inserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cxaudit_bench_shoppers")

import gap_report  # noqa: E402 - the sibling benchmark's database setup (create if missing, migrate)

SLUG = "bench-shoppers"
SHOPPERS = 2_000
LOCATIONS = 200
ASSIGNMENTS = 50_000
REGIONS = [f"Region {i}" for i in range(10)]
MIX = {  # share of the 50,000 assignments by status
    "open": 0.40,
    "assigned": 0.10,
    "submitted": 0.06,
    "approved": 0.44,
}


def _form() -> dict:
    from surveys.questionnaire.definition.build import document, question, section

    return document(
        "bench-visit",
        "Bench visit",
        "mystery_shop",
        "",
        [
            section(
                "Visit",
                [
                    question(f"q{i}", "yes_no", f"Question {i}?", required=True, standard="STD1")
                    for i in range(5)
                ]
                + [question("notes", "long_text", "Notes", points=0)],
            )
        ],
    )


def generate() -> int:
    """(Re)create the bench programme; returns the organisation's id."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from cxaudit.accounts.models import Location, Membership, Organization, Role, User
    from cxaudit.journeys.models import Journey, Stage, Standard, Touchpoint, Wave
    from shoppers.models import Assignment, Scenario, ShopperProfile, ShopperProgramme
    from surveys.models import Source
    from surveys.questionnaire.services import ensure_published
    from surveys.questionnaire.structure import load_structure
    from surveys.responses.services import record_many

    t0 = time.perf_counter()
    Organization.objects.filter(slug=SLUG).delete()
    User.objects.filter(email__endswith="@bench-shoppers.test").delete()
    with transaction.atomic():
        org = Organization.objects.create(slug=SLUG, name="Bench shoppers")
        journey = Journey.objects.create(organization=org, name="Journey")
        stage = Stage.objects.create(journey=journey, name="Stage", position=0)
        touchpoint = Touchpoint.objects.create(stage=stage, name="Desk", channel="in_store")
        Standard.objects.create(
            organization=org, touchpoint=touchpoint, code="STD1", name="Std", dimension="empathy"
        )
        today = timezone.localdate()
        wave = Wave.objects.create(
            organization=org,
            name="Bench wave",
            starts_on=today - dt.timedelta(days=60),
            ends_on=today + dt.timedelta(days=60),
            status=Wave.Status.OPEN,
        )
        survey = ensure_published(organization=org, document=_form())
        ShopperProgramme.objects.create(organization=org, lockout_days=30)
        scenarios = [
            Scenario.objects.create(
                organization=org,
                touchpoint=touchpoint,
                title=f"Scenario {i}",
                brief="Do it.",
                survey=survey,
                fee=Decimal("20"),
                regions=[REGIONS[i]] if i == 4 else [],
                languages=["fr"] if i == 3 else [],
            )
            for i in range(5)
        ]
        locations = Location.objects.bulk_create(
            Location(
                organization=org,
                code=f"L{i:03d}",
                name=f"Location {i}",
                region=REGIONS[i % len(REGIONS)],
            )
            for i in range(LOCATIONS)
        )
        password = make_password(None)
        users = User.objects.bulk_create(
            User(email=f"s{i:04d}@bench-shoppers.test", full_name=f"Shopper {i}", password=password)
            for i in range(SHOPPERS)
        )
        Membership.objects.bulk_create(
            Membership(user=u, organization=org, role=Role.SHOPPER) for u in users
        )
        profiles = ShopperProfile.objects.bulk_create(
            ShopperProfile(
                organization=org,
                user=u,
                status=ShopperProfile.Status.ACTIVE,
                home_region=REGIONS[i % len(REGIONS)],
                languages=["en", "fr"] if i % 3 == 0 else ["en"],
                terms_accepted_at=timezone.now(),
            )
            for i, u in enumerate(users)
        )
        through = ShopperProfile.excluded_locations.through
        through.objects.bulk_create(
            through(shopperprofile_id=p.pk, location_id=locations[i % LOCATIONS].pk)
            for i, p in enumerate(profiles)
        )
        Membership.objects.create(
            user=User.objects.create_user(email="reviewer@bench-shoppers.test"),
            organization=org,
            role=Role.REVIEWER,
        )
        now = timezone.now()
        start, end = now - dt.timedelta(days=5), now + dt.timedelta(days=20)
        counts = {status: int(ASSIGNMENTS * share) for status, share in MIX.items()}
        structure = load_structure(survey)
        with_response = counts["submitted"] + counts["approved"]
        responses = record_many(
            (
                (
                    uuid.uuid4(),
                    {
                        "raw_answers": {f"q{j}": "yes" if (i + j) % 3 else "no" for j in range(5)},
                        "location": locations[i % LOCATIONS],
                        "wave": wave,
                        "respondent": users[i % SHOPPERS],
                        "submitted_at": now - dt.timedelta(minutes=i),
                    },
                )
                for i in range(with_response)
            ),
            structure,
            source=Source.SHOPPER,
        )
        rows = []
        k = 0
        for status, n in counts.items():
            for _ in range(n):
                shopper = None if status == "open" else users[(k * 7) % SHOPPERS]
                response = None
                if status in ("submitted", "approved"):
                    response = responses[k - counts["open"] - counts["assigned"]]
                    shopper = response.respondent
                rows.append(
                    Assignment(
                        organization=org,
                        scenario=scenarios[k % len(scenarios)],
                        location=locations[(k * 13) % LOCATIONS],
                        wave=wave,
                        window_start=start,
                        window_end=end,
                        deadline=end + dt.timedelta(hours=24),
                        status=status,
                        shopper=shopper,
                        response=response,
                        fee=Decimal("20"),
                        assigned_at=now if shopper else None,
                        submitted_at=response.submitted_at if response else None,
                        integrity_score=80 if response else None,
                        integrity_flags=[] if not response or k % 5 else [{"code": "too_fast"}],
                    )
                )
                k += 1
        Assignment.objects.bulk_create(rows, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"generated in {time.perf_counter() - t0:.1f} s", flush=True)
    return org.pk


def best_of(fn, runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def page(client, url: str, runs: int, status: int = 200) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(url)
        assert response.status_code == status, (url, response.status_code)

    seconds = best_of(get, runs)
    with CaptureQueriesContext(connection) as ctx:
        get()
    return seconds, len(ctx.captured_queries)


def bulk(org_id: int) -> dict:
    """Plan and create 10,000 shops over 500 shoppers, next to a bare bulk_create."""
    from django.db import transaction
    from django.utils import timezone

    from cxaudit.accounts.models import Location, Organization, User
    from cxaudit.journeys.models import Wave
    from shoppers.models import Assignment, Scenario
    from shoppers.scheduling import services

    org = Organization.objects.get(pk=org_id)
    wave = Wave.objects.get(organization=org)
    scenarios = list(Scenario.objects.for_org(org).order_by("pk"))
    locations = list(Location.objects.for_org(org).order_by("pk"))
    group = list(User.objects.filter(email__endswith="@bench-shoppers.test").order_by("pk")[:500])
    actor = User.objects.get(email="reviewer@bench-shoppers.test")
    today = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=30), dt.time(8)))
    end = start + dt.timedelta(days=10)

    def floor():
        with transaction.atomic():
            Assignment.objects.bulk_create(
                [
                    Assignment(
                        organization=org,
                        scenario=s,
                        location=loc,
                        wave=wave,
                        window_start=start,
                        window_end=end,
                        deadline=end,
                        fee=s.fee,
                    )
                    for loc in locations
                    for s in scenarios
                    for _ in range(10)
                ]
            )
            transaction.set_rollback(True)

    t0 = time.perf_counter()
    floor()
    floor_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    plan = services.plan_bulk(
        organization=org,
        wave=wave,
        scenarios=scenarios,
        locations=locations,
        visits=10,
        window_start=start,
        window_end=end,
        shoppers=group,
    )
    planned_s = time.perf_counter() - t0
    result = services.create_bulk(plan=plan, actor=actor)
    total_s = time.perf_counter() - t0
    # Undo, so that a rerun with --keep measures the same thing.
    keys = [key for *_, key in plan.jobs]
    from cxaudit.messaging.models import Message

    Message.objects.filter(organization=org, purpose="shoppers.assignment_confirmed").delete()
    for i in range(0, len(keys), 5000):
        Assignment.objects.filter(bulk_key__in=keys[i : i + 5000]).delete()
    return {
        "planned": len(plan.new),
        "created": result.created,
        "assigned": result.assigned,
        "left_open": plan.unassigned,
        "plan_s": round(planned_s, 3),
        "bulk_s": round(total_s, 3),
        "floor_s": round(floor_s, 3),
    }


def fresh_database(url: str) -> None:
    """Start from an empty database (dropping the old programme row by row would trip over
    protected foreign keys and take longer than migrating anew); only a bench database."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to drop {name!r}: without --keep the benchmark needs its own database")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if not args.keep:
        fresh_database(os.environ["DATABASE_URL"])
    gap_report.setup()
    from django.conf import settings
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    from cxaudit.accounts.models import Organization, User
    from shoppers.models import Assignment

    org = Organization.objects.filter(slug=SLUG).first()
    if (
        org is None
        or not args.keep
        or Assignment.objects.filter(organization=org).count() < (ASSIGNMENTS)
    ):
        org = Organization.objects.get(pk=generate())
    from django.db import connection

    with connection.cursor() as cur:
        # Each run leaves dead rows behind (the floor's rolled-back insert, the bulk creation
        # undone): without autovacuum (off on some machines) a --keep run would measure the
        # pages over hundreds of thousands of them.
        cur.execute(
            "VACUUM ANALYZE shoppers_assignment, shoppers_assignmentevent, messaging_message"
        )
    out: dict = {
        "bench": "shoppers",
        "assignments": Assignment.objects.filter(organization=org).count(),
    }

    shopper = User.objects.get(email="s0001@bench-shoppers.test")
    reviewer = User.objects.get(email="reviewer@bench-shoppers.test")
    as_shopper, as_reviewer = Client(), Client()
    as_shopper.force_login(shopper)
    as_reviewer.force_login(reviewer)
    # A shopper's organisation home only sends them on to My shops (302): the smallest page.
    baseline, baseline_q = page(
        as_shopper, reverse("accounts:org_home", args=[SLUG]), args.runs, status=302
    )
    out["baseline_ms"] = round(baseline * 1000, 1)
    out["baseline_queries"] = baseline_q
    for name, client, url_name in (
        ("job_board", as_shopper, "shoppers:jobs"),
        ("review_queue", as_reviewer, "shoppers:review_queue"),
    ):
        try:
            url = reverse(url_name, args=[SLUG])
        except NoReverseMatch:
            print(f"{name}: {url_name} does not exist yet; skipped")
            continue
        seconds, queries = page(client, url, args.runs)
        out[f"{name}_ms"] = round(seconds * 1000, 1)
        out[f"{name}_queries"] = queries
        out[f"{name}_ratio"] = round(seconds / baseline, 2)
    out.update({f"bulk_{k}": v for k, v in bulk(org.pk).items()})
    for key, value in out.items():
        print(f"{key:>24}: {value}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
