"""API tokens: long, random, hashed at rest, named, revocable, last use recorded at most once a
minute; the tokens page shows a new secret once, on the answer to the post that made it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cxaudit.accounts.once import FIELD
from cxaudit.api.models import ApiToken
from cxaudit.api.services import create_token, find_token, revoke_token
from cxaudit.errors import DomainError
from tests.api.conftest import api_client

pytestmark = pytest.mark.django_db


def test_a_token_is_long_random_and_only_its_hash_is_stored(org, manager):
    new = create_token(organization=org, user=manager, name="BI sync")
    assert re.fullmatch(r"cxa_[a-z0-9]{8}_[A-Za-z0-9_-]{43}", new.secret)
    row = ApiToken.objects.get()
    assert row.secret_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    assert new.secret not in str(ApiToken.objects.values().get())
    assert row.prefix == new.secret[4:12]
    assert find_token(new.secret) == row
    other = create_token(organization=org, user=manager, name="BI sync 2")
    assert other.secret[13:] != new.secret[13:]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "Give the token a name (what will use it)."),
        ("x" * 101, "At most 100 characters."),
        ("a\x00b", "contains a NUL character"),
    ],
)
def test_a_token_needs_a_proper_name(org, manager, name, reason):
    with pytest.raises(DomainError) as exc:
        create_token(organization=org, user=manager, name=name)
    assert (exc.value.field, exc.value.message) == ("name", reason)


def test_a_guessed_or_altered_token_finds_nothing(org, manager):
    secret = create_token(organization=org, user=manager, name="x").secret
    assert find_token(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert find_token(secret + "x") is None
    assert find_token("") is None


def test_a_revoked_token_finds_nothing(org, manager):
    new = create_token(organization=org, user=manager, name="x")
    assert revoke_token(token=new.token) is True
    assert revoke_token(token=new.token) is False
    assert find_token(new.secret) is None


def test_last_use_is_written_at_most_once_a_minute(org, manager, django_assert_num_queries):
    new = create_token(organization=org, user=manager, name="x")
    client = api_client(new.secret)
    url = reverse("api:waves", args=[org.slug])
    client.get(url)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    client.get(url)
    assert ApiToken.objects.get().last_used_at == first  # no write within the minute
    ApiToken.objects.update(last_used_at=timezone.now() - dt.timedelta(seconds=61))
    client.get(url)
    assert ApiToken.objects.get().last_used_at > first


# -- the tokens page -----------------------------------------------------------------------------


def _page(client, org):
    return client.get(reverse("api_tokens:list", args=[org.slug]))


def _once(html: str) -> str:
    return re.search(rf'name="{FIELD}" value="([^"]+)"', html).group(1)


def test_the_page_shows_a_new_secret_once_and_never_again(org, manager):
    client = Client()
    client.force_login(manager)
    page = _page(client, org)
    assert page.status_code == 200
    assert "No tokens yet." in page.content.decode()
    response = client.post(
        reverse("api_tokens:create", args=[org.slug]),
        {"name": "Nightly export", FIELD: _once(page.content.decode())},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    secret = re.search(r'value="(cxa_[^"]+)"', html).group(1)
    assert find_token(secret).name == "Nightly export"
    # Not in the session, not on the list page afterwards.
    assert secret not in str(dict(client.session))
    later = _page(client, org).content.decode()
    assert secret not in later and f"cxa_{secret[4:12]}" in later and "Nightly export" in later
    # And it works.
    assert api_client(secret).get(reverse("api:waves", args=[org.slug])).status_code == 200


def test_a_double_click_makes_one_token(org, manager):
    client = Client()
    client.force_login(manager)
    token = _once(_page(client, org).content.decode())
    create = reverse("api_tokens:create", args=[org.slug])
    client.post(create, {"name": "Twice", FIELD: token})
    second = client.post(create, {"name": "Twice", FIELD: token})
    assert second.status_code == 302
    assert second["Location"] == reverse("api_tokens:list", args=[org.slug])
    assert ApiToken.objects.count() == 1


def test_a_nameless_token_is_refused_with_the_reason(org, manager):
    client = Client()
    client.force_login(manager)
    response = client.post(reverse("api_tokens:create", args=[org.slug]), {"name": "  "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode() or "Give the token a name" in (
        response.content.decode()
    )
    assert ApiToken.objects.count() == 0


def test_revoking_from_the_page(org, manager):
    new = create_token(organization=org, user=manager, name="Old script")
    client = Client()
    client.force_login(manager)
    response = client.post(reverse("api_tokens:revoke", args=[org.slug, new.token.pk]))
    assert response.status_code == 302
    assert find_token(new.secret) is None
    assert "revoked" in _page(client, org).content.decode()


def test_nobody_sees_or_revokes_anothers_token(org, manager, program_admin):
    new = create_token(organization=org, user=manager, name="Mine")
    client = Client()
    client.force_login(program_admin)
    assert "Mine" not in _page(client, org).content.decode()
    response = client.post(reverse("api_tokens:revoke", args=[org.slug, new.token.pk]))
    assert response.status_code == 404
    assert find_token(new.secret) is not None


def test_the_user_menu_links_to_the_tokens_page(org, shopper, manager):
    for user in (manager, shopper):
        client = Client()
        client.force_login(user)
        html = _page(client, org).content.decode()
        assert f'href="{reverse("api_tokens:list", args=[org.slug])}"' in html
