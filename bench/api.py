"""Benchmark: one page of 500 responses with their answers through the REST API, next to the
raw SQL that reads the same rows (the floor).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cxaudit_bench_api \
        .venv/bin/python bench/api.py --answers 300000

Reuses bench/gap_report.py's generator (40 standards, 6 locations, 3 waves; shopper forms of 40
questions, customer forms of 83, self-assessments of 80), then, best of --runs after a warm-up:

* floor: the page's responses (keyset order) and all their answers, two raw SELECTs, fetched
* api: GET /api/v1/o/<org>/responses/?limit=500 with a program admin's token (Django test
  client: authentication, rate limit, JSON rendering included), its query count
* api, last page: the same through the cursor of a page deep into the table

and prints a table and a final JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cxaudit_bench_api")

import gap_report  # the sibling benchmark, found through sys.path set above

PAGE = 500
FLOOR_RESPONSES = """
SELECT r.id, r.client_id, r.survey_id, s.code, r.source, r.location_id, r.wave_id,
       r.respondent_ref, r.submitted_at, r.updated_at, r.counted, r.score_percent,
       r.score_earned, r.score_possible, r.knocked_out
FROM surveys_response r JOIN surveys_survey s ON s.id = r.survey_id
WHERE r.organization_id = %s AND r.status = 'submitted'
ORDER BY r.updated_at, r.id LIMIT %s
"""
FLOOR_ANSWERS = """
SELECT a.response_id, q.code, a.value, a.is_na, a.value_num, a.value_100
FROM surveys_answer a JOIN surveys_question q ON q.id = a.question_id
WHERE a.response_id = ANY(%s)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    gap_report.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from rest_framework.test import APIClient

    from cxaudit.accounts.models import Membership, Organization, Role, User
    from cxaudit.api.services import create_token
    from surveys.models import Answer, Response

    if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.CXAUDIT_API_RATE = 10**9  # the bench measures the page, not the limit
    org_id = gap_report.generate(args.answers)
    org = Organization.objects.get(pk=org_id)
    user = User.objects.filter(email="bench-api@bench.test").first()
    if user is None:
        user = User.objects.create_user(email="bench-api@bench.test")
    Membership.objects.get_or_create(
        user=user, organization=org, defaults={"role": Role.PROGRAM_ADMIN}
    )
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION="Bearer "
        + create_token(organization=org, user=user, name="bench").secret
    )
    url = reverse("api:responses", args=[org.slug]) + f"?limit={PAGE}"
    responses = Response.objects.filter(organization=org).count()
    answers = Answer.objects.filter(organization=org).count()

    def floor():
        with connection.cursor() as cur:
            cur.execute(FLOOR_RESPONSES, [org_id, PAGE])
            ids = [row[0] for row in cur.fetchall()]
            cur.execute(FLOOR_ANSWERS, [ids])
            return len(cur.fetchall())

    def api(target):
        def run():
            cache.clear()
            response = client.get(target)
            assert response.status_code == 200, response.content[:300]
            return response

        return run

    first = api(url)()
    body = first.json()
    page_answers = sum(len(r["answers"]) for r in body["results"])
    assert page_answers == floor(), (page_answers, floor())
    deep = url
    for _ in range(min(5, max(0, responses // PAGE - 1))):
        deep = client.get(deep).json()["next"] or deep
    request_started.disconnect(reset_queries)  # else each request empties the query log
    reset_queries()  # and start from an empty log (it holds at most 9,000)
    with CaptureQueriesContext(connection) as ctx:
        api(url)()
    results = {
        "floor_s": gap_report.best_of(floor, args.runs),
        "api_s": gap_report.best_of(api(url), args.runs),
        "api_deep_page_s": gap_report.best_of(api(deep), args.runs),
    }
    ratio = results["api_s"] / results["floor_s"]
    print(
        f"\n{responses:,} responses, {answers:,} answers; a page: {PAGE} responses, "
        f"{page_answers:,} answers, {len(first.content) / 1e6:.1f} MB of JSON"
    )
    print(f"{'what':<24}{'seconds':>10}")
    for name, value in results.items():
        print(f"{name:<24}{value:>10.3f}")
    print(f"api / floor: {ratio:.1f}x; queries per page: {len(ctx.captured_queries)}")
    print(
        json.dumps(
            {
                "bench": "api",
                "responses": responses,
                "answers": answers,
                "page": PAGE,
                "page_answers": page_answers,
                "queries": len(ctx.captured_queries),
                **{k: round(v, 4) for k, v in results.items()},
                "ratio": round(ratio, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
