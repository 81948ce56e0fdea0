"""Benchmark: PDF report cards (cxaudit/reportpdfs) on the demo organisation (Northline Rail:
6 locations, two waves of approved shops with photos).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cxaudit_bench_pdfs \\
        .venv/bin/python bench/pdfs.py

Measured in one process, as a worker would run them:

* the first location report card of the process (its stylesheets parsed, fonts loaded);
* one location report card afterwards (median of --runs), with its size and pages;
* one shop report card (median of --runs);
* a batch through the real service (`build_batch`: claim, render, zip, store) of every demo
  location, and --batch (default 20) report cards rendered and zipped the same way, cycling
  through the demo's locations (the demo has 6). Baseline: the HTML of the same location card
  rendered by Django alone (its queries and template), to show what WeasyPrint adds.

Flags: --runs N, --batch N. Seeds the demo when it is missing.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cxaudit_bench_pdfs")

import gap_report  # noqa: E402 - the sibling benchmark's database setup (create if missing, migrate)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median_of(fn, runs: int) -> float:
    return statistics.median(timed(fn)[0] for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="accepted for make bench; unused")
    args = parser.parse_args()
    gap_report.setup()

    from django.core.management import call_command
    from django.template.loader import render_to_string
    from pypdf import PdfReader

    from cxaudit.accounts.models import Location, Organization
    from cxaudit.journeys.models import Wave
    from cxaudit.reportpdfs import services
    from cxaudit.reportpdfs.rendering import (
        LOCATION_TEMPLATE,
        location_context,
        location_filename,
        location_pdf,
    )
    from shoppers.models import Assignment

    org = Organization.objects.filter(slug="northline-rail").first()
    if org is None:
        call_command("seed_demo", verbosity=0)
        org = Organization.objects.get(slug="northline-rail")
    waves = list(Wave.objects.for_org(org))
    shops = Assignment.objects.for_org(org).filter(status=Assignment.Status.APPROVED)
    wave = max(waves, key=lambda w: (shops.filter(wave=w).count(), w.starts_on))
    locations = list(Location.objects.for_org(org).order_by("code"))
    busiest = max(locations, key=lambda loc: shops.filter(wave=wave, location=loc).count())

    def one(location=busiest):
        return location_pdf(organization=org, location=location, wave=wave, waves=waves)

    cold, pdf = timed(one)
    warm = median_of(one, args.runs)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)

    def html_only():
        context = location_context(organization=org, location=busiest, wave=wave, waves=waves)
        return render_to_string(LOCATION_TEMPLATE, {**context, "pdf": True})

    html = median_of(html_only, args.runs)

    shop = shops.filter(wave=wave).select_related("response").first()
    shop_time = None
    if shop is not None:
        from django.test import RequestFactory

        from cxaudit.accounts.permissions import resolve_org
        from cxaudit.accounts.roles import Role
        from cxaudit.reportpdfs.rendering import shop_pdf
        from shoppers.reports.views import card_context, visible_shop

        admin = (
            org.memberships.filter(role=Role.PROGRAM_ADMIN, is_active=True)
            .select_related("user")
            .first()
        )
        request = RequestFactory().get("/")
        request.user = admin.user
        request.org_ctx = resolve_org(request, org.slug)
        request.org = org
        shop_time = median_of(
            lambda: shop_pdf(card_context(request, visible_shop(request, shop.pk))), args.runs
        )

    batch = services.request_batch(
        organization=org, wave=wave, requested_by=None, locations=locations
    )
    service_time, built = timed(lambda: services.build_batch(batch_id=batch.pk))
    assert built is not None and built.state == "ready", built and built.error
    service_size = built.size
    built.file.delete(save=False)
    built.delete()

    def many():
        with tempfile.TemporaryFile() as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
                for i in range(args.batch):
                    location = locations[i % len(locations)]
                    zf.writestr(f"{i:03d}-{location_filename(location, wave)}", one(location))
            return tmp.tell()

    many_time, many_size = timed(many)

    rows = [
        ("first location card of the process", cold, f"{len(pdf) / 1024:.0f} KB, {pages} pages"),
        (f"one location card (median of {args.runs})", warm, busiest.code),
        ("  baseline: its HTML by Django alone", html, "queries + template"),
        (f"one shop card (median of {args.runs})", shop_time or float("nan"), "program admin"),
        (
            f"batch of the demo's {len(locations)} locations (build_batch)",
            service_time,
            f"{service_size / 1024:.0f} KB zip",
        ),
        (f"batch of {args.batch} location cards", many_time, f"{many_size / 1024:.0f} KB zip"),
    ]
    print(f"{'what':<52} {'seconds':>8}  note")
    for what, seconds, note in rows:
        print(f"{what:<52} {seconds:>8.2f}  {note}")
    print(
        json.dumps(
            {
                "bench": "pdfs",
                "wave": wave.name,
                "first_location_pdf_s": round(cold, 3),
                "location_pdf_s": round(warm, 3),
                "location_html_s": round(html, 3),
                "shop_pdf_s": round(shop_time, 3) if shop_time else None,
                "demo_batch_locations": len(locations),
                "demo_batch_s": round(service_time, 3),
                "batch_locations": args.batch,
                "batch_s": round(many_time, 3),
                "per_location_s": round(many_time / args.batch, 3),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()
