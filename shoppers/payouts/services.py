"""Fees: an approved shop's fee, plus the expense refunded on approval, is payable until it is
put in a payout batch; staff pay a batch outside cxaudit and mark it paid."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from cxaudit.accounts.models import Organization, User
from cxaudit.errors import DomainError

from ..models import Assignment, PayoutBatch, ShopperProgramme

ZERO = Decimal("0.00")
AMOUNT = F("fee") + Coalesce(F("expense_approved"), Value(ZERO))


@dataclass(frozen=True)
class Owed:
    shopper_id: int
    name: str
    email: str
    shops: int
    fees: Decimal
    expenses: Decimal

    @property
    def total(self) -> Decimal:
        return self.fees + self.expenses


def owed(*, organization: Organization) -> list[Owed]:
    """What is payable per shopper (approved shops in no batch yet): one query."""
    rows = (
        Assignment.objects.for_org(organization)
        .payable()
        .order_by()
        .values("shopper_id", "shopper__full_name", "shopper__email")
        .annotate(
            shops=Count("pk"),
            fees=Sum("fee"),
            expenses=Coalesce(Sum("expense_approved"), Value(ZERO)),
        )
        .order_by("shopper__full_name", "shopper__email")
    )
    return [
        Owed(
            r["shopper_id"],
            r["shopper__full_name"] or r["shopper__email"],
            r["shopper__email"],
            r["shops"],
            r["fees"] or ZERO,
            r["expenses"] or ZERO,
        )
        for r in rows
    ]


@transaction.atomic
def create_batch(
    *, organization: Organization, actor: User, shopper_ids: list[int] | None = None
) -> PayoutBatch:
    """Put every payable shop (of the chosen shoppers; None: of all) into a new batch. Shops
    are claimed by a conditional update, so a shop can be in one batch only, even when two
    people create batches at once."""
    # One batch creation at a time per organisation (the programme row is the lock): the
    # reference numbers today's batches, so two at once would pick the same one; the second
    # waits, then finds the shops taken.
    programme = ShopperProgramme.of(organization)
    ShopperProgramme.objects.select_for_update().filter(pk=programme.pk).first()
    candidates = Assignment.objects.for_org(organization).payable()
    if shopper_ids is not None:  # an empty choice is nobody, not everybody
        candidates = candidates.filter(shopper_id__in=shopper_ids)
    ids = list(candidates.values_list("pk", flat=True))
    if not ids:
        raise DomainError("Nothing is payable.")
    today = timezone.localdate()
    count = PayoutBatch.objects.for_org(organization).filter(created_at__date=today).count()
    batch = PayoutBatch.objects.create(
        organization=organization,
        reference=f"PAY-{today:%Y%m%d}-{count + 1:02d}",
        currency=programme.currency,
        total=ZERO,
        shops=0,
        created_by=actor,
    )
    Assignment.objects.filter(pk__in=ids, payout_batch__isnull=True, status="approved").update(
        payout_batch=batch
    )
    totals = Assignment.objects.filter(payout_batch=batch).aggregate(
        total=Coalesce(Sum(AMOUNT), Value(ZERO)), shops=Count("pk")
    )
    if not totals["shops"]:
        raise DomainError("These shops were put in another batch meanwhile.")
    batch.total, batch.shops = totals["total"], totals["shops"]
    batch.save(update_fields=["total", "shops"])
    return batch


@transaction.atomic
def mark_paid(*, batch: PayoutBatch, actor: User, payment_reference: str = "") -> PayoutBatch:
    now = timezone.now()
    claimed = PayoutBatch.objects.filter(pk=batch.pk, status=PayoutBatch.Status.OPEN).update(
        status=PayoutBatch.Status.PAID,
        paid_at=now,
        paid_by=actor,
        payment_reference=payment_reference.strip()[:200],
    )
    if not claimed:
        raise DomainError("This batch was already marked paid.")
    batch.refresh_from_db()
    return batch


def batch_rows(batch: PayoutBatch):
    """The lines of a batch for its CSV: one per shop (streamed by the export writer)."""
    header = [
        "batch",
        "shopper",
        "email",
        "shop",
        "scenario",
        "location",
        "wave",
        "approved",
        "fee",
        "expense",
        "amount",
        "currency",
    ]
    yield header
    shops = (
        Assignment.objects.filter(payout_batch=batch)
        .select_related("shopper", "scenario", "location", "wave")
        .order_by("shopper__email", "decided_at", "pk")
    )
    for a in shops.iterator(chunk_size=1000):
        expense = a.expense_approved or ZERO
        yield [
            batch.reference,
            a.shopper.get_full_name(),
            a.shopper.email,
            a.pk,
            a.scenario.title,
            a.location.name,
            a.wave.name,
            timezone.localtime(a.decided_at).strftime("%Y-%m-%d %H:%M") if a.decided_at else "",
            f"{a.fee:.2f}",
            f"{expense:.2f}",
            f"{a.fee + expense:.2f}",
            batch.currency,
        ]


def earnings(*, organization: Organization, shopper: User) -> dict[str, Decimal]:
    """A shopper's money in one programme: paid, payable (approved, not yet paid) and pending
    (sent, under review — the fee if approved)."""
    qs = Assignment.objects.for_org(organization).filter(shopper=shopper)
    paid = qs.filter(payout_batch__status=PayoutBatch.Status.PAID).aggregate(
        s=Coalesce(Sum(AMOUNT), Value(ZERO))
    )["s"]
    approved = (
        qs.filter(status="approved")
        .exclude(payout_batch__status=PayoutBatch.Status.PAID)
        .aggregate(s=Coalesce(Sum(AMOUNT), Value(ZERO)))["s"]
    )
    pending = qs.filter(status__in=("submitted", "resubmitted", "returned")).aggregate(
        s=Coalesce(Sum("fee"), Value(ZERO))
    )["s"]
    return {"paid": paid, "payable": approved, "pending": pending}
