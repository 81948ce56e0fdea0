"""Demo data of the accounts app: Northline Rail, its locations and one user per role."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Location, Membership, Organization, Role, User

DEMO_SLUG = "northline-rail"
DEMO_PASSWORD = "northline-demo-2026"  # noqa: S105 - printed on purpose: demo only

LOCATIONS = [
    ("KGX", "Kingsbridge Central station", Location.Kind.BRANCH, "North", "1 Station Approach"),
    ("HBS", "Harbour Street station", Location.Kind.BRANCH, "Coast", "Harbour Street"),
    ("MFP", "Millford Parkway station", Location.Kind.BRANCH, "Midlands", "Parkway Road"),
    ("CC-LDS", "Leeds contact centre", Location.Kind.CONTACT_CENTRE, "North", "Wellington Place"),
    ("WEB-CHAT", "Web chat", Location.Kind.DIGITAL, "", ""),
    ("APP", "Northline app", Location.Kind.DIGITAL, "", ""),
]
# Where the stations are (fictional places, real-looking coordinates): mystery shoppers' photo
# positions are checked against them.
COORDINATES = {
    "KGX": (53.7950, -1.5476),
    "HBS": (54.9701, -1.6011),
    "MFP": (52.4862, -1.8904),
    "CC-LDS": (53.7968, -1.5526),
}

USERS = [
    ("admin@northline.example", "Ada Admin", Role.PROGRAM_ADMIN, True),
    ("reviewer@northline.example", "Rui Reviewer", Role.REVIEWER, False),
    ("manager@northline.example", "Maya Manager", Role.CLIENT_MANAGER, False),
    ("shopper@northline.example", "Sam Shopper", Role.SHOPPER, False),
]


@dataclass
class DemoLogin:
    email: str
    password: str
    role: str


def seed() -> tuple[Organization, list[DemoLogin]]:
    """Create or refresh the demo organisation; safe to run again (nothing is duplicated)."""
    org, _ = Organization.objects.update_or_create(
        slug=DEMO_SLUG, defaults={"name": "Northline Rail", "is_active": True}
    )
    for code, name, kind, region, address in LOCATIONS:
        Location.objects.update_or_create(
            organization=org,
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "region": region,
                "address": address,
                "latitude": COORDINATES.get(code, (None, None))[0],
                "longitude": COORDINATES.get(code, (None, None))[1],
            },
        )
    logins = []
    for email, full_name, role, is_superuser in USERS:
        user = User.objects.filter(email__iexact=email).first() or User(email=email)
        user.full_name = full_name
        user.is_staff = user.is_superuser = is_superuser
        user.set_password(DEMO_PASSWORD)
        user.save()
        Membership.objects.update_or_create(
            user=user, organization=org, defaults={"role": role, "is_active": True}
        )
        logins.append(DemoLogin(email, DEMO_PASSWORD, Role(role).label))
    # A second organisation, so that isolation can be seen by hand too.
    other, _ = Organization.objects.update_or_create(
        slug="harbour-bank", defaults={"name": "Harbour Bank (other client)"}
    )
    outsider = User.objects.filter(email__iexact="manager@harbour.example").first() or User(
        email="manager@harbour.example"
    )
    outsider.full_name = "Otto Outsider"
    outsider.set_password(DEMO_PASSWORD)
    outsider.save()
    Membership.objects.update_or_create(
        user=outsider, organization=other, defaults={"role": Role.CLIENT_MANAGER}
    )
    logins.append(DemoLogin(outsider.email, DEMO_PASSWORD, "Client manager of another org"))
    return org, logins
