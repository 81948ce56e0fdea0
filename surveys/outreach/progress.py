"""A campaign's live figures, computed in the database (a handful of GROUP BYs whatever the
number of invitations): delivery from the invitations' outbox messages, then what customers did,
by location and by day."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.db.models.functions import TruncDate

from cxaudit.messaging.models import State

from .models import Campaign, Invitation

QUEUED_STATES = (State.QUEUED, State.SENDING, State.RETRY)
ENGAGED = {
    "opened": (Invitation.Status.OPENED, Invitation.Status.STARTED, Invitation.Status.COMPLETED),
    "started": (Invitation.Status.STARTED, Invitation.Status.COMPLETED),
    "completed": (Invitation.Status.COMPLETED,),
}


# A campaign's figures that took t seconds to compute are reused for REUSE × t seconds (whole
# seconds, at most REUSE_CAP) by every page polling them: at 100,000 invitations the passes take
# about 0.2–0.5 s, and a page open while a campaign sends polls every 2 s; a small campaign's
# figures (milliseconds) are never reused.
REUSE = 10
REUSE_CAP = 30
_clock = time.monotonic


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Progress:
    invitations: int = 0
    anonymous: int = 0
    queued: int = 0
    sent: int = 0
    failed: int = 0
    not_sent: int = 0
    opened: int = 0
    started: int = 0
    completed: int = 0
    unsubscribed: int = 0
    expired: int = 0
    by_location: list[dict] = field(default_factory=list)
    by_day: list[dict] = field(default_factory=list)
    period: str = "day"  # or "week" for a campaign spread over more than a month

    @property
    def response_rate(self) -> float | None:
        """Completed personal invitations per invitation delivered."""
        return rate(self.completed - self.anonymous_completed, self.sent)

    anonymous_completed: int = 0

    def as_dict(self) -> dict:
        return {
            "invitations": self.invitations,
            "anonymous": self.anonymous,
            "queued": self.queued,
            "sent": self.sent,
            "failed": self.failed,
            "not_sent": self.not_sent,
            "opened": self.opened,
            "started": self.started,
            "completed": self.completed,
            "unsubscribed": self.unsubscribed,
            "expired": self.expired,
            "response_rate": self.response_rate,
            "by_location": self.by_location,
            "by_day": [{**d, "day": d["day"].isoformat()} for d in self.by_day],
            "period": self.period,
        }


def campaign_progress(
    campaign: Campaign, *, location_ids: Collection[int] | None = None
) -> Progress:
    """The campaign's figures; `location_ids` limits them to some locations (a client manager
    limited to some locations sees theirs only)."""
    invitations = Invitation.objects.filter(campaign=campaign)
    if location_ids is not None:
        invitations = invitations.filter(location_id__in=list(location_ids))
    progress = Progress()
    # One pass over the invitations and their messages for every figure but the answers by
    # day: by status, delivery state, location and day sent (a few hundred groups at most).
    rows = (
        invitations.annotate(
            anonymous=ExpressionWrapper(Q(contact__isnull=True), BooleanField()),
            day=TruncDate("message__sent_at"),
        )
        .values("status", "message__state", "anonymous", "location_id", "location__name", "day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    locations: dict[int | None, dict] = {}
    sent_by_day: dict[date, int] = {}
    for row in rows:
        n, status, state = row["n"], row["status"], row["message__state"]
        place = locations.setdefault(
            row["location_id"],
            {"name": row["location__name"] or "", "invited": 0, "sent": 0, "completed": 0},
        )
        if not row["anonymous"]:
            place["invited"] += n
        if state == State.SENT:
            place["sent"] += n
            if row["day"] is not None:
                sent_by_day[row["day"]] = sent_by_day.get(row["day"], 0) + n
        if status == Invitation.Status.COMPLETED:
            place["completed"] += n
        progress.invitations += n
        if row["anonymous"]:
            progress.anonymous += n
            if status == Invitation.Status.COMPLETED:
                progress.anonymous_completed += n
        elif state in QUEUED_STATES:
            progress.queued += n
        elif state == State.SENT:
            progress.sent += n
        elif state == State.FAILED:
            progress.failed += n
        elif state == State.CANCELLED:
            progress.not_sent += n
        for name, statuses in ENGAGED.items():
            if status in statuses:
                setattr(progress, name, getattr(progress, name) + n)
        if status == Invitation.Status.UNSUBSCRIBED:
            progress.unsubscribed += n
        elif status == Invitation.Status.EXPIRED:
            progress.expired += n
    progress.by_location = [
        {
            "location": place["name"] or "—",
            "invited": place["invited"],
            "sent": place["sent"],
            "completed": place["completed"],
            "rate": rate(place["completed"], place["sent"]) if place["sent"] else None,
        }
        # By name, the invitations without a location last.
        for place in sorted(
            locations.values(), key=lambda p: (p["name"] == "", p["name"].casefold(), p["name"])
        )
    ]
    done_by_day = dict(
        invitations.filter(status=Invitation.Status.COMPLETED)
        .annotate(day=TruncDate("completed_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "n")
    )
    days: list[date] = sorted({d for d in (*sent_by_day, *done_by_day) if d is not None})
    # A long campaign is shown by week (starting Monday), so the table stays short.
    weekly = bool(days) and (days[-1] - days[0]).days > 31
    progress.period = "week" if weekly else "day"
    buckets: dict[date, dict] = {}
    for d in days:
        key = d - timedelta(days=d.weekday()) if weekly else d
        row = buckets.setdefault(key, {"day": key, "sent": 0, "completed": 0})
        row["sent"] += sent_by_day.get(d, 0)
        row["completed"] += done_by_day.get(d, 0)
    progress.by_day = list(buckets.values())[-60:]
    return progress


def live_progress(campaign: Campaign, *, location_ids: Collection[int] | None = None) -> dict:
    """`campaign_progress(...).as_dict()`, shared for a moment through the cache when computing
    it is costly (REUSE above), for the campaign page's polling."""
    scope = "all" if location_ids is None else ",".join(map(str, sorted(location_ids)))
    key = f"outreach.progress.{campaign.pk}.{hashlib.sha256(scope.encode()).hexdigest()[:20]}"
    data = cache.get(key)
    if data is None:
        started = _clock()
        data = campaign_progress(campaign, location_ids=location_ids).as_dict()
        reuse = min(REUSE_CAP, int(REUSE * (_clock() - started)))
        if reuse >= 1:
            cache.set(key, data, reuse)
    return data
