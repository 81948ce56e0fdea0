"""Roles map to capabilities here, and only here. Views name a capability, never a role.

Plain Python over the role names: models (Membership.has) and the request-side checks in
permissions.py both read it, and it imports neither.
"""

from __future__ import annotations

from enum import StrEnum

from .roles import Role


class Cap(StrEnum):
    VIEW_ORG = "org.view"
    MANAGE_ORG = "org.manage"
    CREATE_ORG = "org.create"
    MANAGE_MEMBERS = "members.manage"
    VIEW_LOCATIONS = "locations.view"
    MANAGE_LOCATIONS = "locations.manage"
    VIEW_JOURNEYS = "journeys.view"
    EDIT_JOURNEYS = "journeys.edit"
    MANAGE_WAVES = "waves.manage"
    VIEW_SURVEYS = "surveys.view"
    EDIT_SURVEYS = "surveys.edit"
    IMPORT_RESPONSES = "responses.import"
    REVIEW_SHOPS = "shops.review"
    MANAGE_ASSIGNMENTS = "assignments.manage"
    MANAGE_PAYOUTS = "payouts.manage"
    SHOP = "shops.do"
    FILL_SELF_ASSESSMENT = "self_assessment.fill"
    VIEW_INSIGHTS = "insights.view"
    MANAGE_ACTIONS = "actions.manage"
    MANAGE_OUTBOX = "outbox.manage"
    VIEW_CAMPAIGNS = "campaigns.view"
    MANAGE_CAMPAIGNS = "campaigns.manage"
    STAFF_AREA = "staff.area"
    MANAGE_WEBHOOKS = "webhooks.manage"
    EXPORT_DATA = "data.export"


_STAFF_READ = {Cap.VIEW_ORG, Cap.VIEW_LOCATIONS, Cap.VIEW_JOURNEYS, Cap.VIEW_SURVEYS}

ROLE_CAPABILITIES: dict[str, frozenset[Cap]] = {
    Role.PROGRAM_ADMIN: frozenset(Cap),
    Role.REVIEWER: frozenset(
        _STAFF_READ
        | {Cap.STAFF_AREA, Cap.REVIEW_SHOPS, Cap.VIEW_INSIGHTS, Cap.IMPORT_RESPONSES}
        | {Cap.EXPORT_DATA}
    ),
    Role.CLIENT_MANAGER: frozenset(
        _STAFF_READ
        | {
            Cap.STAFF_AREA,
            Cap.VIEW_INSIGHTS,
            Cap.FILL_SELF_ASSESSMENT,
            Cap.MANAGE_ACTIONS,
            Cap.VIEW_CAMPAIGNS,
            Cap.EXPORT_DATA,
        }
    ),
    Role.SHOPPER: frozenset({Cap.VIEW_ORG, Cap.SHOP}),
}


def role_has(role: str, capability: str) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())
