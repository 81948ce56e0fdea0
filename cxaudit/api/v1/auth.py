"""`Authorization: Bearer cxa_…`: a live API token of an active user, else 401."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from ..services import find_token


class TokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None  # no credentials: the permission check answers 401
        if len(parts) != 2:
            raise AuthenticationFailed("Send `Authorization: Bearer <token>`, one token.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed("The token is not valid.") from exc
        token = find_token(raw)
        if token is None or not token.user.is_active:
            raise AuthenticationFailed("The token is not valid or was revoked.")
        token.touch()
        return (token.user, token)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="cxaudit"'


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token made on your API tokens page (`cxa_…`).",
        }
