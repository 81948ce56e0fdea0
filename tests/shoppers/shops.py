"""Builders for the shopper tests: a shop put straight into any status (rows written as the
services would leave them, without going through them), submitted visit forms, photos with
EXIF, and the outbox rows queued per purpose."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from cxaudit.messaging.models import Message
from shoppers.models import Assignment
from shoppers.scheduling import services as scheduling
from shoppers.visits import services as visits
from surveys.models import Response, Source
from surveys.responses.services import attach_evidence, start_response, submit_response

S = Assignment.Status
WITH_SHOPPER = {
    S.ASSIGNED,
    S.IN_PROGRESS,
    S.SUBMITTED,
    S.RETURNED,
    S.RESUBMITTED,
    S.APPROVED,
    S.REJECTED,
}
WITH_RESPONSE = {S.SUBMITTED, S.RETURNED, S.RESUBMITTED, S.APPROVED, S.REJECTED}


def visit_response(scenario, location, wave, shopper, answers=None, *, submitted=True):
    """A visit form of `scenario` (uncounted), submitted with `answers` unless a draft."""
    response = start_response(
        survey=scenario.survey,
        source=Source.SHOPPER,
        respondent=shopper,
        location=location,
        wave=wave,
        counted=False,
    )
    if submitted:
        response = submit_response(
            response=response, raw_answers=answers or {"greet": "yes", "smile": "no"}
        )
    return response


def make_shop(
    status: str,
    *,
    scenario,
    location,
    wave,
    shopper=None,
    window: tuple[dt.datetime, dt.datetime] | None = None,
    with_response: bool | None = None,
    answers=None,
    **fields,
) -> Assignment:
    """A shop in `status`, as the status machine would have left it: a shopper from assigned
    on, a started time from in progress on, a visit form (submitted, or a draft when returned
    or in progress) and visit details from in progress on."""
    now = timezone.now()
    start, end = window or (now - dt.timedelta(days=1), now + dt.timedelta(days=6))
    holder = shopper if status in WITH_SHOPPER else None
    values = {
        "organization": scenario.organization,
        "scenario": scenario,
        "location": location,
        "wave": wave,
        "window_start": start,
        "window_end": end,
        "deadline": end + dt.timedelta(hours=24),
        "status": status,
        "shopper": holder,
        "fee": scenario.fee,
        "expense_cap": scenario.expense_cap,
    }
    if holder is not None:
        values["assigned_at"] = start
    if status not in (S.OPEN, S.ASSIGNED, S.CANCELLED, S.EXPIRED):
        values["started_at"] = start + dt.timedelta(hours=1)
        values["visited_at"] = start + dt.timedelta(hours=1, minutes=5)
        values["visit_minutes"] = 15
    if with_response is None:
        with_response = status in WITH_RESPONSE or status == S.IN_PROGRESS
    if with_response:
        draft = status in (S.IN_PROGRESS, S.RETURNED)
        response = visit_response(scenario, location, wave, shopper, answers, submitted=not draft)
        if draft and answers:
            Response.objects.filter(pk=response.pk).update(draft=answers)
        values["response"] = response
    if status in WITH_RESPONSE:
        values["submitted_at"] = values["first_submitted_at"] = start + dt.timedelta(hours=2)
    if status == S.RETURNED:
        values["returns"] = 1
    if status in (S.APPROVED, S.REJECTED):
        values["decided_at"] = start + dt.timedelta(hours=3)
        values["outcome_points"] = 5 if status == S.APPROVED else 1
    values.update(fields)
    return Assignment.objects.create(**values)


def row(assignment: Assignment) -> dict:
    """Everything stored about a shop, to show that a refused change left it as it was."""
    return Assignment.objects.filter(pk=assignment.pk).values().get()


def queued(purpose: str | None = None) -> list[tuple[str, str, str]]:
    """The outbox rows (purpose, key, to) in the order queued, of one purpose or all."""
    qs = Message.objects.order_by("pk")
    if purpose:
        qs = qs.filter(purpose=purpose)
    return list(qs.values_list("purpose", "key", "to_email"))


def jpeg(
    *,
    taken: str | None = None,
    gps: tuple[float, float] | None = None,
    colour: str = "green",
    size: tuple[int, int] = (24, 24),
) -> bytes:
    """A small JPEG with EXIF DateTimeOriginal `taken` ("YYYY:MM:DD HH:MM:SS", local time of
    the site) and a GPS position (decimal degrees) when given."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    if taken:
        exif[0x8769] = {0x9003: taken}
    if gps:
        lat, lon = gps

        def dms(value: float) -> tuple[float, float, float]:
            value = abs(value)
            d = int(value)
            m = int((value - d) * 60)
            s = round(((value - d) * 60 - m) * 60, 4)
            return (float(d), float(m), s)

        exif[0x8825] = {
            1: "N" if lat >= 0 else "S",
            2: dms(lat),
            3: "E" if lon >= 0 else "W",
            4: dms(lon),
        }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def exif_time(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%Y:%m:%d %H:%M:%S}"


def upload(response, code: str, content: bytes, name: str = "photo.jpg"):
    """Attach a file to a draft visit form's file question (as the form engine does)."""
    question = response.survey.questions.get(code=code)
    return attach_evidence(
        response=response, question=question, upload=SimpleUploadedFile(name, content)
    )


def take_and_start(job, shopper, *, at=None):
    job = scheduling.self_assign(assignment=job, shopper=shopper)
    return visits.start_visit(assignment=job, shopper=shopper, at=at)


def send(job, shopper, answers=None, *, visited_at=None, minutes=12, expense=None, at=None):
    """Record the visit and submit the started shop's form."""
    visits.record_visit(
        assignment=job,
        shopper=shopper,
        visited_at=visited_at or timezone.now() - dt.timedelta(minutes=30),
        visit_minutes=minutes,
        expense_claimed=expense,
    )
    return visits.submit_visit(
        assignment=job,
        shopper=shopper,
        raw_answers=answers or {"greet": "yes", "smile": "yes"},
        at=at,
    )


def fill(job, shopper, answers=None, **kw):
    """Take, start, record and submit a shop (the shopper's side, end to end)."""
    return send(take_and_start(job, shopper), shopper, answers, **kw)


def race(*calls):
    """Run the calls at the same moment, each in its own thread and database connection;
    returns what each returned or raised (an exception instance), in order. Needs a
    transactional test (django_db(transaction=True)) so that the threads see the data."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def approved(scenario, location, wave, shopper, answers):
    """An approved shop that counts (as approval marks its response and answers)."""
    from surveys.models import Answer

    shop = make_shop(
        Assignment.Status.APPROVED,
        scenario=scenario,
        location=location,
        wave=wave,
        shopper=shopper,
        answers=answers,
    )
    Response.objects.filter(pk=shop.response_id).update(counted=True)
    Answer.objects.filter(response_id=shop.response_id).update(counted=True)
    return shop


def approved_with_photo(job, shopper, reviewer, story: str):
    """A shop taken, sent with a receipt photo, one item failed (50 %) and `story` as its
    narrative, then approved; `evidence_key` is the photo's key."""
    from decimal import Decimal

    from shoppers.review import services as review

    shop = take_and_start(job, shopper)
    evidence = upload(shop.response, "receipt", jpeg())
    shop = send(
        shop,
        shopper,
        {"greet": "yes", "smile": "no", "receipt": str(evidence.key), "story": story},
        expense=Decimal("4.00"),
    )
    shop = review.approve_shop(assignment=shop, actor=reviewer)
    shop.evidence_key = evidence.key
    return shop
