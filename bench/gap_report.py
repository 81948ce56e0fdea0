"""Benchmark: the full gap report against the raw GROUP BY floor over the same answers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cxaudit_bench_gaps \
        .venv/bin/python bench/gap_report.py --answers 1000000

Creates the database if needed, migrates, and (re)generates a realistic organisation when the
stored one has a different number of answers: 40 standards over 4 stages, 6 locations, 3 waves,
shoppers (40 yes/no items), customers (40 perception + 40 expectation items on 1-5, NPS, CSAT,
CES) and self-assessments (40 + 40 items on 1-5). Rows are generated in SQL (generate_series),
not through the ORM. Then it times, best of 3 after a warm-up:

* floor: SELECT standard_id, source, COUNT(*), AVG(value_100) ... GROUP BY standard_id, source
* report: build_gap_report(organization=...) (every query, the statistics and the roll-ups)

and prints a table and a final JSON line with the ratio report / floor (target <= 2).

Measured 2026-11-23, session 3 (PostgreSQL 15, 2 cores, machine otherwise quiet; best of 3):
1,000,000 answers: floor 0.270-0.277 s, report 0.503-0.520 s (1.84-1.88x); 10,000,000 answers:
floor 2.537-2.569 s, report 3.792-3.868 s (1.48-1.52x); 6 queries at both sizes. The one pass
over the answers (4 keys, 7 aggregates including the gap-5 pairs stored on the answers) costs
about 1.45x the floor; the rest is fixed (the small queries and ~0.1 s of statistics and
roll-ups in Python), which is why the ratio falls as the data grows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cxaudit_bench_gaps"
SLUG = "bench-gaps"
STANDARDS = 40
LOCATIONS = 6
WAVES = 3
# Shares of answers per source, and answers per response of each.
SHARE = {"shopper": 0.4, "customer": 0.5, "self": 0.1}
PER_RESPONSE = {"shopper": STANDARDS, "customer": 2 * STANDARDS + 3, "self": 2 * STANDARDS}


def _ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup() -> None:
    """Point Django at the benchmark database (created when missing) and migrate it."""
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxaudit.settings")
    _ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _structure():
    """The organisation, journey, standards and surveys (a few hundred ORM rows)."""
    from cxaudit.accounts.models import Location, Organization
    from cxaudit.journeys.models import Dimension, Journey, Stage, Standard, Touchpoint, Wave
    from surveys.models import Question, Section, Survey

    org = Organization.objects.create(slug=SLUG, name="Bench Gaps")
    for i in range(LOCATIONS):
        Location.objects.create(organization=org, code=f"L{i}", name=f"Location {i}")
    for i in range(WAVES):
        start = dt.date(2026, 1 + 3 * i, 1)
        Wave.objects.create(
            organization=org,
            name=f"2026 Q{i + 1}",
            starts_on=start,
            ends_on=start + dt.timedelta(days=80),
        )
    journey = Journey.objects.create(organization=org, name="Bench journey")
    dims = Dimension.values
    standards = []
    for st in range(4):
        stage = Stage.objects.create(journey=journey, name=f"Stage {st}", position=st)
        for t in range(2):
            tp = Touchpoint.objects.create(
                stage=stage,
                name=f"Touchpoint {st}.{t}",
                channel="phone",
                position=t,
                is_moment_that_matters=t == 0,
            )
            for s in range(STANDARDS // 8):
                n = len(standards)
                standards.append(
                    Standard.objects.create(
                        organization=org,
                        touchpoint=tp,
                        code=f"S{n:02d}",
                        name=f"Standard {n}",
                        dimension=dims[n % len(dims)],
                        promise="We promise." if n % 4 == 0 else "",
                        position=s,
                    )
                )
    surveys = {}
    for kind, source in (
        (Survey.Kind.MYSTERY_SHOP, "shopper"),
        (Survey.Kind.CUSTOMER, "customer"),
        (Survey.Kind.SELF_ASSESSMENT, "self"),
    ):
        survey = Survey.objects.create(
            organization=org, code=source, title=source, kind=kind, status="published"
        )
        section = Section.objects.create(survey=survey, title="All")
        aspects = ["perception"] if source == "shopper" else ["perception", "expectation"]
        pos = 0
        for std in standards:
            for aspect in aspects:
                qtype, config = ("yes_no", {}) if source == "shopper" else ("rating", {})
                if qtype == "rating":
                    config = {"scale_min": 1, "scale_max": 5}
                Question.objects.create(
                    survey=survey,
                    section=section,
                    code=f"{std.code}_{aspect[0]}",
                    type=qtype,
                    text="?",
                    standard=std,
                    aspect=aspect,
                    config=config,
                    position=pos,
                )
                pos += 1
        if source == "customer":
            for qtype in ("nps", "csat", "ces"):
                Question.objects.create(
                    survey=survey, section=section, code=qtype, type=qtype, text="?", position=pos
                )
                pos += 1
        surveys[source] = survey
    return org


def tables() -> dict[str, str]:
    """The quoted table names the SQL below is written with, from the models (after setup)."""
    from django.db import connection

    from cxaudit.accounts.models import Location, Organization
    from cxaudit.journeys.models import Journey, Stage, Standard, Touchpoint, Wave
    from surveys.models import Answer, Question, Response, Section, Survey

    models = {
        "answer": Answer,
        "response": Response,
        "question": Question,
        "section": Section,
        "survey": Survey,
        "standard": Standard,
        "touchpoint": Touchpoint,
        "stage": Stage,
        "journey": Journey,
        "wave": Wave,
        "location": Location,
        "organization": Organization,
    }
    return {name: connection.ops.quote_name(m._meta.db_table) for name, m in models.items()}


# SQL templates: {name} is a table of tables(); literal braces are doubled.
RESPONSES_SQL = """
INSERT INTO {response} (organization_id, survey_id, source, status, client_id,
    respondent_ref, draft, started_at, updated_at, submitted_at, knocked_out,
    location_id, wave_id)
SELECT %(org)s, %(survey)s, %(source)s, 'submitted', gen_random_uuid(), '', '{{}}'::jsonb,
       now(), now(), now(), false,
       (SELECT id FROM {location} WHERE organization_id = %(org)s
        ORDER BY id OFFSET (g %% %(locations)s) LIMIT 1),
       (SELECT id FROM {wave} WHERE organization_id = %(org)s
        ORDER BY id OFFSET (g %% %(waves)s) LIMIT 1)
FROM generate_series(1, %(count)s) AS g
"""

# One answer per (response, question) of the response's survey, with random values shaped
# like what record_response stores (value_num native, value_100 on 0-100, agrees top box).
ANSWERS_SQL = """
INSERT INTO {answer} (response_id, question_id, organization_id, standard_id, aspect,
    source, wave_id, location_id, submitted_at, value, is_na, value_num, value_100, agrees)
SELECT r.id, q.id, r.organization_id, q.standard_id, q.aspect, r.source, r.wave_id,
       r.location_id, r.submitted_at, to_jsonb(v.num), false, v.num,
       (v.num - v.lo) * 100.0 / (v.hi - v.lo), v.num >= v.agree_from
FROM {response} r
JOIN {question} q ON q.survey_id = r.survey_id
CROSS JOIN LATERAL (
    SELECT CASE q.type
             WHEN 'yes_no' THEN (random() < 0.8)::int
             WHEN 'nps' THEN floor(random() * 11)::int
             WHEN 'ces' THEN 1 + floor(random() * 7)::int
             ELSE 1 + floor(random() * 5)::int
           END AS num,
           CASE q.type WHEN 'yes_no' THEN 0 WHEN 'nps' THEN 0 ELSE 1 END AS lo,
           CASE q.type WHEN 'yes_no' THEN 1 WHEN 'nps' THEN 10 WHEN 'ces' THEN 7 ELSE 5 END
             AS hi,
           CASE q.type WHEN 'yes_no' THEN 1 WHEN 'nps' THEN 9 WHEN 'ces' THEN 5 ELSE 4 END
             AS agree_from
    WHERE q.id IS NOT NULL AND r.id IS NOT NULL
) v
WHERE r.organization_id = %(org)s
"""


def generate(answers: int) -> int:
    """(Re)create the bench organisation with about `answers` answers; returns its id."""
    from django.db import connection, transaction

    from cxaudit.accounts.models import Organization
    from surveys.models import Answer

    org = Organization.objects.filter(slug=SLUG).first()
    if org is not None:
        have = Answer.objects.filter(organization=org).count()
        if abs(have - answers) <= answers * 0.01:
            return org.pk
    t = tables()
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(t.values())} CASCADE")
    t0 = time.perf_counter()
    with transaction.atomic():
        org = _structure()
        from surveys.models import Survey

        with connection.cursor() as cur:
            # The generated rows are consistent by construction; skipping the deferred
            # foreign-key triggers (superuser only) saves tens of millions of checks at COMMIT.
            cur.execute("SET LOCAL session_replication_role = replica")
            for source, share in SHARE.items():
                survey = Survey.objects.get(organization=org, code=source)
                count = max(1, round(answers * share / PER_RESPONSE[source]))
                cur.execute(
                    RESPONSES_SQL.format(**t),
                    {
                        "org": org.pk,
                        "survey": survey.pk,
                        "source": source,
                        "count": count,
                        "locations": LOCATIONS,
                        "waves": WAVES,
                    },
                )
            cur.execute(ANSWERS_SQL.format(**t), {"org": org.pk})
            # The customers' perception - expectation pairs, as record_response stores them
            # (the SQL the migration that introduced them fills them in with).
            cur.execute(import_module("surveys.migrations.0008_answer_pair_diff").BACKFILL)
    with connection.cursor() as cur:
        # Rewritten compactly: answers are written once, the pair backfill updated some.
        cur.execute(f"VACUUM (FULL, ANALYZE) {t['answer']}")
        cur.execute(f"VACUUM ANALYZE {t['response']}")
    print(
        f"generated {Answer.objects.filter(organization=org).count():,} answers "
        f"in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    return org.pk


FLOOR_SQL = """
SELECT standard_id, source, COUNT(*), AVG(value_100)
FROM {answer} WHERE organization_id = %s AND counted
GROUP BY standard_id, source
"""


def best_of(fn, runs: int = 3) -> float:
    fn()  # warm-up: caches, plans
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup()
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from cxaudit.accounts.models import Organization
    from cxaudit.insights.gaps.report import build_gap_report
    from surveys.models import Answer

    org_id = generate(args.answers)
    floor_sql = FLOOR_SQL.format(**tables())
    org = Organization.objects.get(pk=org_id)
    n = Answer.objects.filter(organization=org).count()

    def floor():
        with connection.cursor() as cur:
            cur.execute(floor_sql, [org_id])
            cur.fetchall()

    def report():
        build_gap_report(organization=org)

    floor_s = best_of(floor, args.runs)
    report_s = best_of(report, args.runs)
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        data = build_gap_report(organization=org)
    ratio = report_s / floor_s
    print(f"{'answers':>12} {'floor s':>9} {'report s':>9} {'ratio':>6} {'queries':>8}")
    print(f"{n:>12,} {floor_s:>9.3f} {report_s:>9.3f} {ratio:>6.2f} {len(ctx.captured_queries):>8}")
    print(
        json.dumps(
            {
                "bench": "gap_report",
                "answers": n,
                "floor_s": round(floor_s, 4),
                "report_s": round(report_s, 4),
                "ratio": round(ratio, 3),
                "target_ratio": 2.0,
                "queries": len(ctx.captured_queries),
                "standards": len(data["standards"]),
            }
        )
    )


if __name__ == "__main__":
    main()
