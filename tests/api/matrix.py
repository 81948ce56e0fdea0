"""Permission matrix rows of the API tokens page (the API itself: test_permissions.py)."""

from cxaudit.accounts.models import Organization
from cxaudit.accounts.permissions import Cap
from cxaudit.api.services import create_token
from tests.matrix_row import Row


def _own_token(org: Organization, user) -> dict:
    if user is None:
        return {"pk": 999999}
    owner_org = org if user.memberships.filter(organization=org).exists() else None
    token = create_token(
        organization=owner_org or user.memberships.first().organization, user=user, name="matrix"
    )
    return {"pk": token.token.pk}


ROWS: list[Row] = [
    Row("api_tokens:list", Cap.VIEW_ORG),
    Row("api_tokens:create", Cap.VIEW_ORG, method="post", allowed=(200, 400)),
    Row("api_tokens:revoke", Cap.VIEW_ORG, method="post", per_user=True, kwargs=_own_token),
]
