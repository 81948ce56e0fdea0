"""Rows of the permission matrix: each app lists its organisation-scoped views in
`tests/<app>/matrix.py` as `ROWS`; tests/test_permission_matrix.py collects them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cxaudit.accounts.models import Organization
from cxaudit.accounts.permissions import Cap


@dataclass(frozen=True)
class Row:
    name: str
    capability: Cap | None
    kwargs: Callable[..., dict] = lambda org: {}
    method: str = "get"
    # Owner-only pages (a respondent's own draft): `kwargs` is called as kwargs(org, user) with
    # the user making the request (None when anonymous), so each role gets an object of its own.
    per_user: bool = False
    # Statuses that count as "allowed" (an upload endpoint posted without a file answers 400).
    allowed: tuple[int, ...] = (200, 302)
    # A page anybody may open (a programme's sign-up page): every role, outsiders and anonymous
    # visitors get an allowed status; `capability` is None.
    public: bool = False
    # For a URL that reaches something tied to a location (an answer, a draft, evidence, an
    # action item, a report card, a filter by location): located(org, location, user) gives
    # the URL kwargs for such an object at `location` (the user's own when `per_user`); a "?"
    # entry is the query string, a "data" entry what is posted. tests/test_permission_matrix.py
    # checks that a client manager limited to other locations gets 404 and that the same
    # object is reachable within the limit.
    located: Callable[..., dict] | None = None

    def url_kwargs(self, org: Organization, user=None) -> dict:
        return self.kwargs(org, user) if self.per_user else self.kwargs(org)

    def located_request(self, org: Organization, location, user) -> tuple[str, dict]:
        """(URL, posted data) of this row's object at `location`, query string included."""
        from django.urls import reverse

        kwargs = dict(self.located(org, location, user))
        query = kwargs.pop("?", "")
        data = kwargs.pop("data", {})
        url = reverse(self.name, kwargs={"org_slug": org.slug, **kwargs})
        return (f"{url}?{query}" if query else url), data
