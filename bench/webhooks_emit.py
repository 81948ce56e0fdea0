"""Benchmark: what `emit` adds to a business transaction.

The transaction is a customer response of a 10-question survey submitted with
`record_response` (a draft, its scoring, ten answer rows, the submission: what the public
survey page does). It is timed, one transaction at a time, with:

1. no emit at all (the call replaced by a no-op) — the business change alone;
2. emit and no endpoint subscribed (every organisation without webhooks): one indexed query;
3. emit with 1 subscribed endpoint: one delivery row, and a `webhooks.dispatch` wake-up sent to
   the broker after commit (a queue of the benchmark's own, deleted at the end);
4. emit with 5 subscribed endpoints: five rows in one INSERT, one wake-up.

The variants alternate in rounds (so that a machine getting busier affects all alike); the
table gives the median and p95 per transaction and the median added to variant 1.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cxaudit_bench_webhooks \\
        .venv/bin/python bench/webhooks_emit.py --transactions 400

Flags: --transactions N (per variant), --rounds R.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cxaudit_bench_webhooks")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/12")
os.environ.setdefault("CELERY_QUEUE", f"bench-webhooks-{uuid.uuid4().hex[:8]}")

import gap_report  # noqa: E402 - database setup (create if missing, migrate)

SLUG = "bench-webhooks"
QUESTIONS = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=8)
    # make bench passes BENCH_ARGS to every script; this one's data is small and made afresh.
    parser.add_argument("--keep", action="store_true", help="accepted; nothing to keep")
    args = parser.parse_args()
    gap_report.setup()

    from django.db import transaction

    import surveys.responses.services as responses
    from cxaudit.accounts.models import Organization
    from cxaudit.celery import app
    from cxaudit.webhooks.events import EVENTS, RESPONSE_SUBMITTED
    from cxaudit.webhooks.models import Delivery, Endpoint
    from cxaudit.webhooks.services import emit
    from surveys.models import Response, Survey
    from surveys.questionnaire.structure import load_structure
    from tests.factories import make_survey

    org, _ = Organization.objects.get_or_create(slug=SLUG, defaults={"name": "Bench webhooks"})
    Endpoint.objects.filter(organization=org).delete()
    Response.objects.filter(organization=org).delete()
    Survey.objects.filter(organization=org).delete()
    survey = make_survey(
        org,
        [{"questions": [{"code": f"q{i}", "type": "yes_no"} for i in range(QUESTIONS)]}],
        code="bench",
        kind=Survey.Kind.CUSTOMER,
    )
    structure = load_structure(survey)
    raw = {f"q{i}": "yes" for i in range(QUESTIONS)}

    written = 0

    def endpoints(n: int) -> None:
        nonlocal written
        written += Delivery.objects.filter(organization=org).count()
        Endpoint.objects.filter(organization=org).delete()
        for i in range(n):
            Endpoint.objects.create(
                organization=org,
                url=f"https://hooks{i}.example.com/",
                events=list(EVENTS),
                secret="whsec_bench",  # noqa: S106 (a benchmark placeholder)
                is_active=False,  # switched on only while its variant runs
            )

    def no_emit(*a, **k) -> int:
        return 0

    emit_alone: dict[str, list[float]] = {}
    variants = {"no emit": 0, "emit, 0 endpoints": 0, "emit, 1 endpoint": 1, "emit, 5 endpoints": 5}
    times: dict[str, list[float]] = {name: [] for name in variants}
    per_round = max(1, args.transactions // args.rounds)
    for _ in range(args.rounds):
        for name, n in variants.items():
            endpoints(n)
            Endpoint.objects.filter(organization=org).update(is_active=True)
            responses.emit = no_emit if name == "no emit" else emit
            for _ in range(per_round):
                started = time.perf_counter()
                with transaction.atomic():
                    responses.record_response(
                        survey=survey, source="customer", raw_answers=raw, structure=structure
                    )
                times[name].append((time.perf_counter() - started) * 1000)
            if name != "no emit":  # emit alone, in a committed transaction of its own
                for _ in range(per_round):
                    started = time.perf_counter()
                    with transaction.atomic():
                        emit(org, RESPONSE_SUBMITTED, {"response": {"id": 1}})
                    emit_alone.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    responses.emit = emit
    endpoints(0)
    delivered = written
    with app.connection_for_write() as conn:
        conn.default_channel.queue_delete(os.environ["CELERY_QUEUE"])

    base = statistics.median(times["no emit"])
    print(f"{'variant':<20} {'n':>5} {'median ms':>10} {'p95 ms':>8} {'added ms':>9}")
    result = {}
    for name, values in times.items():
        values.sort()
        median = statistics.median(values)
        p95 = values[int(0.95 * (len(values) - 1))]
        print(f"{name:<20} {len(values):>5} {median:>10.2f} {p95:>8.2f} {median - base:>9.2f}")
        result[name] = {"median_ms": round(median, 3), "p95_ms": round(p95, 3)}
    print()
    print(f"{'emit() alone':<20} {'n':>5} {'median ms':>10} {'p95 ms':>8}")
    for name, values in emit_alone.items():
        values.sort()
        median = statistics.median(values)
        p95 = values[int(0.95 * (len(values) - 1))]
        print(f"{name:<20} {len(values):>5} {median:>10.3f} {p95:>8.3f}")
        result[f"{name} (emit alone)"] = {"median_ms": round(median, 3), "p95_ms": round(p95, 3)}
    print(json.dumps({"bench": "webhooks_emit", "deliveries_written": delivered, **result}))


if __name__ == "__main__":
    main()
