"""Permission matrix rows of the action plan."""

import datetime as dt

from cxaudit.accounts.models import Location, Membership
from cxaudit.accounts.permissions import Cap
from cxaudit.insights.actions.models import ActionItem
from cxaudit.journeys.models import Standard, Wave
from tests.factories import make_standard, make_wave
from tests.matrix_row import Row


def _item(org) -> dict:
    item = ActionItem.objects.filter(organization=org).first()
    if item is None:
        owner = Membership.objects.filter(organization=org, role="client_manager").first().user
        item = ActionItem.objects.create(
            organization=org,
            standard=make_standard(org, "MX-ACT"),
            wave=make_wave(org, "MX wave"),
            gap="self_vs_perceived",
            title="Matrix action",
            root_cause="process",
            owner=owner,
            due_date=dt.date(2030, 1, 1),
        )
    return {"pk": item.pk}


def _item_at(org, location, user) -> dict:
    owner = Membership.objects.filter(organization=org, role="client_manager").first().user
    standard = Standard.objects.filter(organization=org, code="MX-ACT-AT").first()
    wave = Wave.objects.filter(organization=org, name="MX wave at").first()
    item = ActionItem.objects.create(
        organization=org,
        standard=standard or make_standard(org, "MX-ACT-AT"),
        location=location,
        wave=wave or make_wave(org, "MX wave at"),
        gap="self_vs_perceived",
        title=f"Action at {location.code}",
        root_cause="process",
        owner=owner,
        due_date=dt.date(2030, 1, 1),
    )
    return {"pk": item.pk}


def _summary_at(org, location, user) -> dict:
    return {"location_pk": location.pk}


def _location(org) -> dict:
    loc, _ = Location.objects.get_or_create(organization=org, code="MXA", name="Matrix")
    return {"location_pk": loc.pk}


ROWS: list[Row] = [
    Row("insights:action_list", Cap.VIEW_INSIGHTS),
    Row("insights:action_board", Cap.VIEW_INSIGHTS),
    Row("insights:action_create", Cap.MANAGE_ACTIONS),
    Row("insights:action_export_csv", Cap.VIEW_INSIGHTS),
    Row("insights:action_export_xlsx", Cap.VIEW_INSIGHTS),
    Row("insights:action_summary", Cap.VIEW_INSIGHTS, _location, located=_summary_at),
    Row("insights:action_detail", Cap.VIEW_INSIGHTS, _item, located=_item_at),
    Row("insights:action_edit", Cap.MANAGE_ACTIONS, _item, located=_item_at),
    Row("insights:action_status", Cap.MANAGE_ACTIONS, _item, "post", located=_item_at),
    Row("insights:action_comment", Cap.MANAGE_ACTIONS, _item, "post", located=_item_at),
]
