"""The other exports: answers (long format), shops, payouts, contacts, campaign results, and
the action plan and gap report built by insights."""

from __future__ import annotations

from collections.abc import Iterator

from cxaudit.errors import DomainError
from shoppers.models import Assignment, AssignmentStatus
from surveys.models import Answer, Contact, Invitation, Response, Survey

from .base import (
    Request,
    Row,
    Table,
    counter,
    labelled,
    located,
    moment_fields,
    stem_for,
    stream_rows,
)
from .responses import answer_text

# --- answers: one row per answer ---------------------------------------------------------------

ANSWER_COLUMNS = [
    "response_id",
    "survey",
    "version",
    "source",
    "location",
    "wave",
    "submitted_at",
    "section",
    "question",
    "type",
    "standard",
    "aspect",
    "value",
    "value_100",
    "counted",
]


def build_answers(req: Request) -> Table:
    qs = Answer.objects.for_org(req.org).filter(response__status=Response.Status.SUBMITTED)
    if req.survey_code:
        if not Survey.objects.for_org(req.org).filter(code=req.survey_code).exists():
            raise DomainError(f"No survey with code {req.survey_code!r}.", field="survey")
        qs = qs.filter(question__survey__code=req.survey_code)
    qs = located(req, qs)
    fields = (
        "response_id",
        "question__survey__code",
        "question__survey__version",
        "source",
        "location__code",
        "wave__name",
        "submitted_at",
        "question__section__title",
        "question__code",
        "question__type",
        "standard__code",
        "aspect",
        "value",
        "value_100",
        "counted",
    )

    rows = stream_rows(
        qs.order_by("response_id", "pk"),
        fields,
        {**moment_fields(req, "submitted_at"), "value": answer_text},
        chunk=5000,
    )

    return Table(
        stem=stem_for(req, "answers", req.survey_code),
        sheet="Answers",
        header=ANSWER_COLUMNS,
        count=counter(qs),
        rows=rows,
    )


# --- mystery shops with scores and review state ------------------------------------------------

SHOP_COLUMNS = [
    "shop",
    "scenario",
    "location",
    "location_name",
    "wave",
    "status",
    "shopper",
    "visited_at",
    "submitted_at",
    "decided_at",
    "returns",
    "score_percent",
    "knocked_out",
    "integrity_score",
    "fee",
]


def build_shops(req: Request) -> Table:
    qs = located(req, Assignment.objects.for_org(req.org))
    fields = (
        "pk",
        "scenario__title",
        "location__code",
        "location__name",
        "wave__name",
        "status",
        "shopper__email",
        "visited_at",
        "submitted_at",
        "decided_at",
        "returns",
        "response__score_percent",
        "response__knocked_out",
        "integrity_score",
        "fee",
    )

    convert = {"status": labelled(AssignmentStatus.choices)}
    convert.update(moment_fields(req, "visited_at", "submitted_at", "decided_at"))
    rows = stream_rows(qs.order_by("pk"), fields, convert)

    return Table(stem_for(req, "shops"), "Shops", SHOP_COLUMNS, counter(qs), rows)


# --- payouts: approved shops, paid or owed ----------------------------------------------------

PAYOUT_COLUMNS = [
    "shop",
    "shopper",
    "email",
    "scenario",
    "location",
    "wave",
    "approved_at",
    "fee",
    "expense",
    "amount",
    "batch",
    "batch_status",
    "paid_at",
]


def build_payouts(req: Request) -> Table:
    qs = located(req, Assignment.objects.for_org(req.org).filter(status=AssignmentStatus.APPROVED))
    fields = (
        "pk",
        "shopper__full_name",
        "shopper__email",
        "scenario__title",
        "location__code",
        "wave__name",
        "decided_at",
        "fee",
        "expense_approved",
        "payout_batch__reference",
        "payout_batch__status",
        "payout_batch__paid_at",
    )

    def rows() -> Iterator[Row]:
        ordered = qs.order_by("shopper__email", "decided_at", "pk").values_list(*fields)
        for a in ordered.iterator(chunk_size=2000):
            fee, expense = a[7], a[8] or 0
            yield [
                *a[:6],
                req.when(a[6]),
                fee,
                expense,
                fee + expense,
                a[9] or "",
                a[10] or "owed",
                req.when(a[11]),
            ]

    return Table(stem_for(req, "payouts"), "Payouts", PAYOUT_COLUMNS, counter(qs), rows)


# --- contacts ------------------------------------------------------------------------------------

PERSON_COLUMNS = ["email", "first_name", "last_name", "location", "language"]
CONTACT_COLUMNS = [
    *PERSON_COLUMNS,
    "unsubscribed_at",
    "suppressed_at",
    "suppressed_reason",
    "last_invited_at",
    "created_at",
]


def build_contacts(req: Request) -> Table:
    qs = req.scope.filter(Contact.objects.for_org(req.org))
    if req.location_id is not None:
        qs = qs.filter(location_id=req.location_id)
    fields = (
        "email",
        "first_name",
        "last_name",
        "location__code",
        "language",
        "unsubscribed_at",
        "suppressed_at",
        "suppressed_reason",
        "last_invited_at",
        "created_at",
    )

    moments = ("unsubscribed_at", "suppressed_at", "last_invited_at", "created_at")
    rows = stream_rows(qs.order_by("email", "pk"), fields, moment_fields(req, *moments), chunk=5000)

    return Table(stem_for(req, "contacts"), "Contacts", CONTACT_COLUMNS, counter(qs), rows)


# --- a campaign's results: one row per invitation -------------------------------------------------

CAMPAIGN_COLUMNS = [
    *PERSON_COLUMNS,
    "delivery",
    "status",
    "reminders",
    "opened_at",
    "completed_at",
    "response_id",
    "score_percent",
]


def build_campaign(req: Request) -> Table:
    if req.campaign is None:
        raise DomainError("Choose a campaign.", field="campaign")
    qs = req.scope.filter(Invitation.objects.filter(campaign=req.campaign))
    if req.location_id is not None:
        qs = qs.filter(location_id=req.location_id)
    fields = (
        "contact__email",
        "contact__first_name",
        "contact__last_name",
        "location__code",
        "language",
        "message__state",
        "status",
        "reminders_sent",
        "opened_at",
        "completed_at",
        "response_id",
        "response__score_percent",
    )

    convert = {"status": labelled(Invitation.Status.choices)}
    convert.update(moment_fields(req, "opened_at", "completed_at"))
    rows = stream_rows(qs.order_by("pk"), fields, convert, chunk=5000)

    stem = stem_for(req, "campaign", str(req.campaign.pk), req.campaign.name)
    return Table(stem, "Campaign", CAMPAIGN_COLUMNS, counter(qs), rows)


# --- action plans and gap reports (built by insights) ---------------------------------------------


def build_actions(req: Request) -> Table:
    from cxaudit.insights.actions.models import ActionItem
    from cxaudit.insights.actions.views import EXPORT_HEADER, export_rows

    qs = req.scope.filter(ActionItem.objects.for_org(req.org), org_wide=True)
    if req.location_id is not None:
        qs = qs.filter(location_id=req.location_id)
    if req.wave is not None:
        qs = qs.filter(wave=req.wave)
    qs = qs.select_related(
        "standard__touchpoint", "touchpoint", "location", "wave", "owner", "evaluated_wave"
    ).order_by("pk")
    return Table(
        stem_for(req, "actions"),
        "Actions",
        list(EXPORT_HEADER),
        counter(qs),
        lambda: export_rows(qs.iterator(chunk_size=500)),
    )


def build_gaps(req: Request) -> Table:
    from cxaudit.insights.gaps.analysis import analyse_gaps
    from cxaudit.insights.gaps.report import CSV_COLUMNS, gap_csv_rows

    location = None
    if req.location_id is not None:
        location = req.scope.locations().filter(pk=req.location_id).first()

    def rows() -> Iterator[Row]:
        analysis = analyse_gaps(
            organization=req.org,
            wave=req.wave,
            location=location,
            only_locations=req.scope.only_locations,
        )
        for row in gap_csv_rows(analysis):
            yield [row.get(c) for c in CSV_COLUMNS]

    return Table(
        stem_for(req, "gap-report", location.code if location else ""),
        "Gap report",
        list(CSV_COLUMNS),
        lambda limit=None: 0,
        rows,
        small=True,
    )
