"""The mystery-shopper programme's models, one module per sub-domain, re-exported here (as
pretix's base/models does) so that `from shoppers.models import Assignment` works everywhere."""

from .assignment import (
    ACTIVE_STATUSES,
    HELD_STATUSES,
    REVIEWABLE_STATUSES,
    Assignment,
    AssignmentEvent,
    AssignmentStatus,
    JobOffer,
    JobRequest,
)
from .panel import AgeBand, Certification, Gender, Scenario, ShopperProfile, ShopperProgramme
from .payout import PayoutBatch

__all__ = [
    "ACTIVE_STATUSES",
    "HELD_STATUSES",
    "REVIEWABLE_STATUSES",
    "AgeBand",
    "Assignment",
    "AssignmentEvent",
    "AssignmentStatus",
    "Certification",
    "Gender",
    "JobOffer",
    "JobRequest",
    "PayoutBatch",
    "Scenario",
    "ShopperProfile",
    "ShopperProgramme",
]
