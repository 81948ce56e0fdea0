"""The emails of accounts, as outbox purposes. Links with tokens are made when the message is
sent (never stored in the outbox row), from the ids the row keeps."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cxaudit.messaging import registry
from cxaudit.messaging.registry import Extra, Skip

from .models import Membership, User

WELCOME = "accounts.welcome"
PASSWORD_RESET = "accounts.password_reset"  # noqa: S105 - a purpose name, not a password


def _reset_path(user: User) -> str:
    return reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def _build_welcome(message) -> Extra:
    membership = (
        Membership.objects.select_related("user", "organization")
        .filter(pk=message.context.get("membership_id"))
        .first()
    )
    if membership is None:
        raise Skip("The person is no longer a member of the organisation.")
    user = membership.user
    if not user.is_active:
        raise Skip("The person's account is deactivated.")
    if user.has_usable_password():
        raise Skip("The person has chosen a password since (nothing to welcome them to).")
    return Extra(
        context={
            "user": user,
            "organization": membership.organization,
            "url": settings.SITE_URL.rstrip("/") + _reset_path(user),
        }
    )


def _build_password_reset(message) -> Extra:
    user = User.objects.filter(pk=message.context.get("user_id"), is_active=True).first()
    if user is None:
        raise Skip("The account no longer exists or is deactivated.")
    base = message.context.get("base_url") or settings.SITE_URL
    return Extra(
        context={"user": user, "email": user.email, "url": base.rstrip("/") + _reset_path(user)}
    )


def register() -> None:
    registry.register(
        WELCOME,
        label="Welcome (choose a password)",
        template="emails/welcome",
        build=_build_welcome,
    )
    registry.register(
        PASSWORD_RESET,
        label="Password reset",
        template="emails/password_reset",
        build=_build_password_reset,
    )
