"""Benchmark: the gap dashboard page at 1,000,000 answers (target: under 1 s).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cxaudit_bench_dashboard \
        .venv/bin/python bench/dashboard.py --answers 1000000

Reuses bench/gap_report.py's generator (same organisation: 40 standards, 6 locations, 3 waves,
shoppers, customers with NPS/CSAT/CES, self-assessments), then times with the Django test
Client, best of 3 after a warm-up, logged in as a program admin:

* floor: the raw GROUP BY over the same answers (gap_report.FLOOR_SQL)
* report: build_gap_report(organization=...), the gap report without any page
* dashboard: GET /o/<org>/insights/ (default wave: the latest with answers)
* dashboard, all waves: GET /o/<org>/insights/?wave=
* standard detail: GET /o/<org>/insights/standards/<pk>/

and prints a table and a final JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cxaudit_bench_dashboard")

import gap_report  # the sibling benchmark, found through sys.path set above

TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    gap_report.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from cxaudit.accounts.models import Membership, Organization, Role, User
    from cxaudit.insights.gaps.report import build_gap_report
    from cxaudit.journeys.models import Standard
    from surveys.models import Answer

    if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    org_id = gap_report.generate(args.answers)
    org = Organization.objects.get(pk=org_id)
    n = Answer.objects.filter(organization=org).count()
    user = User.objects.filter(email="bench-admin@bench.test").first()
    if user is None:
        user = User.objects.create_user(email="bench-admin@bench.test")  # force_login only
    Membership.objects.get_or_create(
        user=user, organization=org, defaults={"role": Role.PROGRAM_ADMIN}
    )
    client = Client()
    client.force_login(user)
    standard = Standard.objects.filter(organization=org).order_by("code").first()
    pages = {
        "dashboard": reverse("insights:dashboard", args=[org.slug]),
        "dashboard_all_waves": reverse("insights:dashboard", args=[org.slug]) + "?wave=",
        "standard_detail": reverse("insights:standard_detail", args=[org.slug, standard.pk]),
    }

    floor_sql = gap_report.FLOOR_SQL.format(**gap_report.tables())

    def floor():
        with connection.cursor() as cur:
            cur.execute(floor_sql, [org_id])
            cur.fetchall()

    def get(url):
        def run():
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        return run

    times = {
        "floor": gap_report.best_of(floor, args.runs),
        "report": gap_report.best_of(lambda: build_gap_report(organization=org), args.runs),
    }
    queries = {}
    for name, url in pages.items():
        times[name] = gap_report.best_of(get(url), args.runs)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        queries[name] = len(ctx.captured_queries)
    print(f"answers: {n:,}")
    print(f"{'what':>20} {'seconds':>8} {'queries':>8}")
    for name, seconds in times.items():
        print(f"{name:>20} {seconds:>8.3f} {queries.get(name, ''):>8}")
    print(
        json.dumps(
            {
                "bench": "dashboard",
                "answers": n,
                **{f"{k}_s": round(v, 4) for k, v in times.items()},
                "queries": queries,
                "target_s": TARGET_S,
                "within_target": times["dashboard"] < TARGET_S,
            }
        )
    )


if __name__ == "__main__":
    main()
