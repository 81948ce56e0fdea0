#!/usr/bin/env python
"""Benchmark: export 100,000 responses x 100 questions to CSV and to XLSX as the Celery worker
does (cxaudit.downloads.services.run_export), each in a fresh subprocess whose time and peak
memory (ru_maxrss) are measured, next to the floor: PostgreSQL `COPY` of the same rows (the
export's own pivot query: one row per response with its answers) to a file, in the same run.
Also times the request that starts such an export (POST through the Django test client; the
task message is recorded, not sent).

Standalone: needs PostgreSQL (DATABASE_URL, default the cxaudit_bench_exports database,
created when missing), migrates it, generates the data in SQL with bench/rescore.py's
generator, prints a table and a final JSON line. `--keep` reuses data of an earlier run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cxaudit_bench_exports \
        .venv/bin/python bench/exports.py
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cxaudit_bench_exports")
os.environ.setdefault("DEBUG", "true")

import rescore  # noqa: E402 - the sibling benchmark, found through sys.path set above

TARGET_RATIO = 3.0  # CSV export / COPY floor
TARGET_RSS_MB = 300.0
TARGET_START_S = 0.2
ADMIN = "bench-exports@bench.test"


def child(job_id: int, media: str) -> int:
    """Run one export job as a worker would, in this fresh process; print time and peak RSS."""
    os.environ["MEDIA_ROOT"] = media
    rescore.setup_django(os.environ["DATABASE_URL"])
    from cxaudit.downloads import services

    started = time.perf_counter()
    job = services.run_export(job_id=job_id)
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(
        json.dumps(
            {
                "state": job.state if job else None,
                "error": job.error if job else None,
                "seconds": elapsed,
                "peak_mb": peak_kb / 1024,
                "rows": job.rows_done if job else 0,
                "bytes": job.size if job else 0,
            }
        )
    )
    return 0


def floor(survey_code: str, org, path: Path) -> tuple[float, int]:
    """COPY the export's pivot rows (same query, same filter) to a file; seconds and bytes."""
    import psycopg
    from django.db import connection

    from cxaudit.downloads.kinds import PIVOT_SQL
    from surveys.models import Response

    qs = Response.objects.for_org(org).submitted().filter(survey__code=survey_code)
    inner, params = qs.order_by().values("pk").query.sql_with_params()
    sql = PIVOT_SQL % inner
    connection.ensure_connection()
    raw = connection.connection
    started = time.perf_counter()
    with psycopg.ClientCursor(raw) as cursor, path.open("wb") as out:
        # The inner query's parameters are literals here: COPY takes no bind parameters.
        literal = cursor.mogrify(sql, params)
        with cursor.copy(f"COPY ({literal}) TO STDOUT (FORMAT csv, HEADER)") as copy:
            for data in copy:
                out.write(data)
    return time.perf_counter() - started, path.stat().st_size


def cluster_answers() -> float:
    """Store each response's answers together, as the app does (one insert per response);
    the generator writes them question type by question type, which spreads a response over
    a hundred pages. Done once (CLUSTER is remembered); returns the seconds it took."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisclustered FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = 'answer_unique'"
        )
        if cursor.fetchone()[0]:
            return 0.0
        print("clustering the answers by response (once) ...", flush=True)
        started = time.perf_counter()
        cursor.execute("CLUSTER surveys_answer USING answer_unique")
        cursor.execute("VACUUM ANALYZE surveys_answer")
    return time.perf_counter() - started


def run_child(job_id: int, media: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(job_id), "--media", media],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_request_seconds(org, runs: int, responses: int) -> tuple[float, float, int]:
    """Best and median time of the POST that starts a large export (a job is queued; the
    task message is recorded, not sent), and its query count."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from cxaudit.accounts.models import Membership, Role, User
    from cxaudit.celery import app
    from cxaudit.downloads.models import ExportJob

    if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # A smaller run (--responses) still measures the request that queues a job.
    settings.CXAUDIT_EXPORT_INLINE_ROWS = min(settings.CXAUDIT_EXPORT_INLINE_ROWS, responses - 1)
    app.send_task = lambda *a, **k: None
    user = User.objects.filter(email=ADMIN).first() or User.objects.create_user(email=ADMIN)
    Membership.objects.get_or_create(
        user=user, organization=org, defaults={"role": Role.PROGRAM_ADMIN}
    )
    client = Client()
    client.force_login(user)
    url = reverse("downloads:export_start", args=[org.slug])
    data = {"kind": "responses", "format": "csv", "survey": rescore.SURVEY_CODE}
    times = []
    queries = 0
    for i in range(runs + 1):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.post(url, data)
            elapsed = time.perf_counter() - t0
        assert response.status_code == 302, response.status_code
        if i:  # the first is a warm-up
            times.append(elapsed)
        queries = len(ctx.captured_queries)
    ExportJob.objects.filter(requested_by=user, state=ExportJob.State.QUEUED).delete()
    times.sort()
    return times[0], times[len(times) // 2], queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="reuse data from an earlier run")
    parser.add_argument("--runs", type=int, default=5, help="timed start requests")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--media", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.media)

    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        print("bench/exports.py needs PostgreSQL (DATABASE_URL=postgres://...)", file=sys.stderr)
        return 2
    rescore.ensure_database(url)
    rescore.setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from cxaudit.downloads.models import ExportJob
    from surveys.models import Answer, Response, Survey

    survey = Survey.objects.filter(code=rescore.SURVEY_CODE).first()
    fits = (
        survey is not None
        and Response.objects.filter(survey=survey).count() == args.responses
        and survey.questions.count() == args.questions
    )
    generated = 0.0
    if not (args.keep and fits):
        if survey is not None:
            rescore.drop(survey)
        print(f"generating {args.responses:,} responses x {args.questions} questions ...")
        pk, generated = rescore.generate(args.responses, args.questions)
        survey = Survey.objects.get(pk=pk)
    org = survey.organization
    answers = Answer.objects.filter(response__survey=survey).count()
    clustered = cluster_answers()

    media = tempfile.mkdtemp(prefix="cxaudit-bench-exports-")
    floor_path = Path(media) / "floor.csv"
    floor(rescore.SURVEY_CODE, org, floor_path)  # warm the cache, as the exports will find it
    floor_s, floor_bytes = floor(rescore.SURVEY_CODE, org, floor_path)
    floor_path.unlink()

    result: dict = {
        "benchmark": "exports",
        "responses": args.responses,
        "questions": args.questions,
        "answers": answers,
        "generate_s": round(generated, 2),
        "cluster_s": round(clustered, 2),
        "floor_copy_s": round(floor_s, 2),
        "floor_bytes": floor_bytes,
    }
    rows = [
        ("answers", f"{answers:,}"),
        ("floor: COPY of the pivot rows to a file", f"{floor_s:.2f} s"),
    ]
    for fmt in args.formats.split(","):
        job = ExportJob.objects.create(
            organization=org,
            kind="responses",
            format=fmt,
            filters={"survey": rescore.SURVEY_CODE},
            file_name=f"bench.{fmt}",
        )
        measured = run_child(job.pk, media)
        if measured["state"] != "done":
            print(f"{fmt}: the export did not finish: {measured}", file=sys.stderr)
            return 1
        ratio = measured["seconds"] / floor_s
        result[f"{fmt}_s"] = round(measured["seconds"], 2)
        result[f"{fmt}_ratio_to_floor"] = round(ratio, 2)
        result[f"{fmt}_peak_mb"] = round(measured["peak_mb"], 1)
        result[f"{fmt}_bytes"] = measured["bytes"]
        rows += [
            (f"{fmt.upper()} export (worker, own process)", f"{measured['seconds']:.2f} s"),
            (f"{fmt.upper()} ratio to the floor", f"{ratio:.2f}x"),
            (f"{fmt.upper()} peak memory (ru_maxrss)", f"{measured['peak_mb']:.0f} MB"),
            (f"{fmt.upper()} file", f"{measured['bytes'] / 1e6:,.0f} MB"),
        ]
        job.refresh_from_db()
        if job.file:
            job.file.delete(save=False)
        job.delete()

    best, median, queries = start_request_seconds(org, args.runs, args.responses)
    result.update(
        {
            "start_request_best_s": round(best, 4),
            "start_request_median_s": round(median, 4),
            "start_request_queries": queries,
        }
    )
    rows += [("request starting an export (best / median)", f"{best:.3f} / {median:.3f} s")]
    within = {
        "csv_ratio": result.get("csv_ratio_to_floor", 0) <= TARGET_RATIO,
        "peak_memory": all(
            result.get(f"{f}_peak_mb", 0) < TARGET_RSS_MB for f in args.formats.split(",")
        ),
        "start_request": median < TARGET_START_S,
    }
    result["targets"] = {
        "csv_ratio": TARGET_RATIO,
        "peak_mb": TARGET_RSS_MB,
        "start_request_s": TARGET_START_S,
    }
    result["within_target"] = within
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value:>18}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
