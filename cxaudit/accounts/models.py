"""Users, the audited organisations, their locations, and who belongs where in which role."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .capabilities import role_has
from .roles import Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str) -> User:
        # Log-in is case-insensitive on the email address.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in, by email. Customers never do: they answer through a token link."""

    # Stored lower-cased (the manager and forms normalise); the Lower() constraint guards the rest.
    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to the Django admin site.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split() or [self.email])[0]


slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    "Use 1–50 lower-case letters, digits and hyphens, not starting or ending with a hyphen.",
)


class OrganizationQuerySet(models.QuerySet):
    def for_user(self, user) -> OrganizationQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.filter(is_active=True)
        return self.filter(
            is_active=True, memberships__user=user, memberships__is_active=True
        ).distinct()


class Organization(models.Model):
    """An audited client brand. Every business object belongs to exactly one."""

    slug = models.SlugField(max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrgQuerySet(models.QuerySet):
    """Base for every organisation-owned model: the one way to scope a read."""

    org_field = "organization"

    def for_org(self, org: Organization) -> OrgQuerySet:
        return self.filter(**{self.org_field: org})


class Location(models.Model):
    class Kind(models.TextChoices):
        BRANCH = "branch", "Branch / station"
        STORE = "store", "Store"
        CONTACT_CENTRE = "contact_centre", "Contact centre"
        DIGITAL = "digital", "Digital channel"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="locations"
    )
    code = models.CharField(
        max_length=40,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                "Use letters, digits, '-', '_' or '.', starting with a letter or digit.",
            )
        ],
        help_text="Short stable code, unique in the organisation (used in imports).",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BRANCH)
    region = models.CharField(max_length=100, blank=True)
    address = models.CharField(max_length=300, blank=True)
    # Where it is (WGS 84 degrees), when known: a mystery shop's photo position is checked
    # against it (shoppers.review.integrity).
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    is_active = models.BooleanField(default=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="location_code_unique"),
            models.CheckConstraint(
                condition=(
                    models.Q(latitude__isnull=True, longitude__isnull=True)
                    | models.Q(
                        latitude__gte=-90,
                        latitude__lte=90,
                        longitude__gte=-180,
                        longitude__lte=180,
                    )
                ),
                name="location_coordinates_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class MembershipQuerySet(OrgQuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    """A user's role in one organisation; client managers may be limited to some locations."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    locations = models.ManyToManyField(
        Location,
        blank=True,
        related_name="+",
        help_text="Client managers only: limit to these locations (none = all).",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organization}"

    def has(self, capability: str) -> bool:
        return role_has(self.role, capability)

    def visible_locations(self):
        """Locations this member may see: all of the organisation unless limited (the rule
        lives in cxaudit.accounts.scope.LocationScope, which every view uses)."""
        from .scope import LocationScope

        return LocationScope.of(self).locations()


class WorkerHeartbeat(models.Model):
    """Written by the health task, so that the health page can tell whether workers run."""

    name = models.CharField(max_length=100, unique=True)
    beats = models.PositiveIntegerField(default=0)
    last_beat_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.beats}"


class FormSubmission(models.Model):
    """A form post that changed something, by the one-time token its page carried
    (cxaudit.accounts.once): a second post of the same page (a double click, a resend) is sent
    where the first went instead of making the thing again. Only a hash of the token is kept;
    rows older than a day are deleted as new ones come."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64)
    url = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "token_hash"], name="form_submission_once"),
        ]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.url}"
