"""API tokens and the answers kept for idempotent writes."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from cxaudit.accounts.models import Organization, OrgQuerySet

# A token's last use is written at most this often, so that a busy client does not cost a write
# per request (the page shows the time to the minute).
LAST_USED_EVERY = timedelta(minutes=1)


class ApiTokenQuerySet(OrgQuerySet):
    def live(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)

    def of_user(self, user) -> ApiTokenQuerySet:
        return self.filter(user=user)


class ApiToken(models.Model):
    """A user's named key to the API of one organisation.

    The secret is shown once, when the token is made; only its SHA-256 is kept. `prefix` (the
    first characters after `cxa_`, also shown on the token page) finds the row without a scan;
    the hash is then compared in constant time. The role is the user's membership at the time of
    each request, so a change of role or a removed member takes effect at once."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                # a hash's pattern, not a password
                condition=models.Q(secret_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106
                name="api_token_hash_is_sha256",
            ),
        ]
        indexes = [models.Index(fields=["organization", "user"], name="api_token_owner_idx")]

    def __str__(self) -> str:
        return f"{self.name} (cxa_{self.prefix}…)"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None

    def touch(self, *, now=None) -> bool:
        """Record a use, unless one was recorded less than LAST_USED_EVERY ago (a conditional
        update, so concurrent requests write once)."""
        now = now or timezone.now()
        if self.last_used_at is not None and now - self.last_used_at < LAST_USED_EVERY:
            return False
        stale = models.Q(last_used_at__isnull=True) | models.Q(
            last_used_at__lt=now - LAST_USED_EVERY
        )
        changed = ApiToken.objects.filter(stale, pk=self.pk).update(last_used_at=now)
        self.last_used_at = now
        return changed == 1


class IdempotentRequest(models.Model):
    """A write sent with an `Idempotency-Key`: the first answer is kept, and the same key sent
    again by the same token gets that answer back without doing the write twice (the same key
    with another body is refused). Kept for a day."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="api_idempotency_age_idx")]

    def __str__(self) -> str:
        return f"{self.key} → {self.status_code}"
