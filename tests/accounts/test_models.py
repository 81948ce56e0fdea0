import pytest
from django.db import IntegrityError

from cxaudit.accounts.models import Location, Membership, Organization, Role, User


@pytest.mark.django_db
def test_email_is_unique_ignoring_case():
    User.objects.create_user(email="Ann@Example.com", password="x")
    with pytest.raises(IntegrityError):
        User.objects.create(email="ann@example.COM")


@pytest.mark.django_db
def test_create_user_normalises_email_and_hashes_password():
    user = User.objects.create_user(email="Bob@Example.COM", password="s3cret-pass")
    assert user.email == "bob@example.com"
    assert user.check_password("s3cret-pass") and user.password != "s3cret-pass"


@pytest.mark.django_db
def test_user_without_password_cannot_log_in():
    assert not User.objects.create_user(email="c@example.com").has_usable_password()


@pytest.mark.django_db
def test_location_code_is_unique_within_an_organisation_only(org, other_org):
    Location.objects.create(organization=org, code="A1", name="A")
    Location.objects.create(organization=other_org, code="A1", name="A elsewhere")
    with pytest.raises(IntegrityError):
        Location.objects.create(organization=org, code="A1", name="again")


@pytest.mark.django_db
def test_membership_role_is_constrained_in_the_database(org, manager):
    with pytest.raises(IntegrityError):
        Membership.objects.filter(user=manager).update(role="emperor")


@pytest.mark.django_db
def test_client_manager_limited_to_locations_sees_only_those(org, manager):
    a = Location.objects.create(organization=org, code="A", name="A")
    Location.objects.create(organization=org, code="B", name="B")
    membership = Membership.objects.get(user=manager)
    assert membership.visible_locations().count() == 2
    membership.locations.set([a])
    assert list(membership.visible_locations()) == [a]


@pytest.mark.django_db
def test_organisations_for_user_lists_only_memberships(org, other_org, manager):
    assert list(Organization.objects.for_user(manager)) == [org]


@pytest.mark.django_db
def test_membership_has_capability_by_role(org, shopper):
    m = Membership.objects.get(user=shopper)
    assert m.role == Role.SHOPPER
    assert m.has("shops.do") and not m.has("insights.view")


@pytest.mark.django_db
def test_location_coordinates_are_both_or_neither_and_in_range(org):
    from cxaudit.accounts.forms import LocationForm

    base = {"code": "LDS", "name": "Leeds", "kind": "branch", "is_active": True}
    assert LocationForm({**base, "latitude": "53.796", "longitude": "-1.548"}, organization=org)
    assert LocationForm(
        {**base, "latitude": "53.796", "longitude": "-1.548"}, organization=org
    ).is_valid()
    half = LocationForm({**base, "latitude": "53.796"}, organization=org)
    assert not half.is_valid() and "both latitude and longitude" in str(half.errors)
    far = LocationForm({**base, "latitude": "91", "longitude": "0"}, organization=org)
    assert not far.is_valid() and "latitude" in far.errors
    nan = LocationForm({**base, "latitude": "nan", "longitude": "0"}, organization=org)
    assert not nan.is_valid() and "latitude" in nan.errors
