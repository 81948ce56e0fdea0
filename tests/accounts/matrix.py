from cxaudit.accounts.models import Location, Membership
from cxaudit.accounts.permissions import Cap
from tests.matrix_row import Row


def _location(org):
    return {"pk": Location.objects.get_or_create(organization=org, code="M1", name="M")[0].pk}


def _shopper_membership(org):
    return {"pk": Membership.objects.filter(organization=org, role="shopper").get().pk}


ROWS: list[Row] = [
    Row("accounts:org_home", Cap.VIEW_ORG),
    Row("accounts:org_settings", Cap.MANAGE_ORG),
    Row("accounts:location_list", Cap.VIEW_LOCATIONS),
    Row("accounts:location_create", Cap.MANAGE_LOCATIONS),
    Row("accounts:location_import", Cap.MANAGE_LOCATIONS),
    Row(
        "accounts:location_edit",
        Cap.MANAGE_LOCATIONS,
        _location,
        located=lambda org, location, user: {"pk": location.pk},
    ),
    Row("accounts:member_list", Cap.MANAGE_MEMBERS),
    Row("accounts:member_add", Cap.MANAGE_MEMBERS),
    Row("accounts:member_edit", Cap.MANAGE_MEMBERS, _shopper_membership),
    Row("accounts:member_remove", Cap.MANAGE_MEMBERS, _shopper_membership, "post"),
]
