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
    capability: Cap
    kwargs: Callable[[Organization], dict] = lambda org: {}
    method: str = "get"
