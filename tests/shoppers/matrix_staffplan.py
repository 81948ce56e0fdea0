"""Permission matrix rows of the staff's planning pages (Cap.MANAGE_ASSIGNMENTS): the panel of
shoppers and its decisions, the programme's settings, scenarios, shops one by one or in bulk,
and a shop's page and actions. A shop is tied to a location (Row.located); client managers lack
the capability, so limited or not they get 403 (the capability is checked first)."""

from __future__ import annotations

from django.utils import timezone

from cxaudit.accounts.models import Membership, Role, User
from cxaudit.accounts.permissions import Cap
from shoppers.models import Assignment, JobRequest, ShopperProfile
from tests.matrix_row import Row
from tests.shoppers.matrix_shopper_pages import _job, _scenario

M = Cap.MANAGE_ASSIGNMENTS


def _profile(org) -> ShopperProfile:
    user, _ = User.objects.get_or_create(email="matrix-panel@shoppers.test")
    Membership.objects.get_or_create(user=user, organization=org, defaults={"role": Role.SHOPPER})
    profile, _ = ShopperProfile.objects.get_or_create(
        organization=org, user=user, defaults={"terms_accepted_at": timezone.now()}
    )
    return profile


def profile(org):
    return {"pk": _profile(org).pk}


def scenario(org):
    return {"pk": _scenario(org).pk}


def shop(org):
    return {"pk": _job(org).pk}


def shop_at(org, location, user):
    job = _job(org)
    job.location = location
    job.save(update_fields=["location"])
    return {"pk": job.pk}


def job_request(org):
    job = _job(org)
    req = JobRequest.objects.create(organization=org, assignment=job, shopper=_profile(org).user)
    return {"pk": job.pk, "request_pk": req.pk}


def job_request_at(org, location, user):
    kwargs = job_request(org)
    Assignment.objects.filter(pk=kwargs["pk"]).update(location=location)
    return kwargs


ROWS: list[Row] = [
    Row("shoppers:panel", M),
    Row("shoppers:shopper_detail", M, profile),
    Row("shoppers:shopper_approve", M, profile, "post"),
    Row("shoppers:shopper_decline", M, profile, "post"),
    Row("shoppers:shopper_deactivate", M, profile, "post"),
    Row("shoppers:shopper_exclusions", M, profile, "post"),
    Row("shoppers:programme_settings", M),
    Row("shoppers:scenario_list", M),
    Row("shoppers:scenario_create", M),
    Row("shoppers:scenario_edit", M, scenario),
    Row("shoppers:scenario_archive", M, scenario, "post"),
    Row("shoppers:shop_list", M),
    Row("shoppers:shop_create", M),
    Row("shoppers:shop_bulk", M),
    Row("shoppers:shop_detail", M, shop, located=shop_at),
    Row("shoppers:shop_assign", M, shop, "post", located=shop_at),
    Row("shoppers:shop_unassign", M, shop, "post", located=shop_at),
    Row("shoppers:shop_cancel", M, shop, "post", located=shop_at),
    Row("shoppers:shop_offer", M, shop, "post", located=shop_at),
    Row("shoppers:request_accept", M, job_request, "post", located=job_request_at),
    Row("shoppers:request_decline", M, job_request, "post", located=job_request_at),
]
