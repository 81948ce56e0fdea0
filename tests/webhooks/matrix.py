"""Permission matrix rows of the webhook pages (program admins only)."""

from cxaudit.accounts.permissions import Cap
from cxaudit.webhooks.models import Delivery, Endpoint
from cxaudit.webhooks.services import emit
from tests.matrix_row import Row
from tests.webhooks.helpers import endpoint


def _endpoint(org) -> dict:
    ep = Endpoint.objects.filter(organization=org).first() or endpoint(
        org, "https://hooks.example.com/matrix"
    )
    return {"pk": ep.pk}


def _delivery(org) -> dict:
    ep = Endpoint.objects.get(pk=_endpoint(org)["pk"])
    if not ep.is_active:
        Endpoint.objects.filter(pk=ep.pk).update(is_active=True)
    d = Delivery.objects.filter(endpoint=ep).first()
    if d is None:
        emit(org, "wave.closed", {"wave": {"id": 0}})
        d = Delivery.objects.filter(endpoint=ep).first()
    return {"pk": d.pk}


ROWS: list[Row] = [
    Row("webhooks:endpoint_list", Cap.MANAGE_WEBHOOKS),
    Row("webhooks:endpoint_create", Cap.MANAGE_WEBHOOKS),
    Row("webhooks:endpoint_detail", Cap.MANAGE_WEBHOOKS, _endpoint),
    Row("webhooks:endpoint_edit", Cap.MANAGE_WEBHOOKS, _endpoint),
    Row("webhooks:endpoint_disable", Cap.MANAGE_WEBHOOKS, _endpoint, "post"),
    Row("webhooks:endpoint_rotate_secret", Cap.MANAGE_WEBHOOKS, _endpoint, "post"),
    Row("webhooks:delivery_detail", Cap.MANAGE_WEBHOOKS, _delivery),
    Row("webhooks:delivery_replay", Cap.MANAGE_WEBHOOKS, _delivery, "post"),
]
