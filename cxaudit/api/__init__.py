"""The REST API (`/api/v1/`, docs/api.md) and the per-user API tokens that open it.

It sits on top of every other app (like cxaudit/urls.py): it reads through their querysets and
writes through their services, and nothing imports it."""
