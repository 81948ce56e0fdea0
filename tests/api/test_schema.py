"""Schemathesis against the OpenAPI schema the app serves, through the Django WSGI app: for
every operation a few generated requests (valid and invalid), sent with a program admin's
token: no 5xx, every status code documented, every body and content type as the schema says.

A few examples per operation keep it quick (about 20 s); `API_FUZZ_EXAMPLES` asks for more."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import reverse
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import checks

from tests.api.conftest import bearer

load_all_checks()
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))
CHECKS = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


# Loaded once, at collection: the schema view reads no database. The coverage phase (hundreds
# of boundary cases per write) is left to `API_FUZZ_COVERAGE=1` runs; each operation gets a few
# generated examples, valid and invalid.
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": os.environ.get("API_FUZZ_COVERAGE") == "1"}}}
)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application(), config=CONFIG)


@pytest.fixture
def _test_connection_stays_open():
    """The WSGI app's request signals would close the database connection of the test's
    transaction (Django's own test client disconnects them the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_secret(org, world, program_admin):
    return bearer(program_admin, org, "fuzz")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
@pytest.mark.usefixtures("_test_connection_stays_open")
def test_the_api_answers_as_its_schema_says(case, org, admin_secret):
    case.path_parameters = {**(case.path_parameters or {}), "org_slug": org.slug}
    response = case.call(headers={"Authorization": f"Bearer {admin_secret}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    case.validate_response(response, checks=CHECKS)


def test_the_schema_and_its_docs_are_served_by_the_app(client):
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    docs = client.get(reverse("api:docs"))
    html = docs.content.decode()
    assert docs.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<script>" not in html and "<style>" not in html  # the CSP allows neither
    assert "cdn" not in html.lower()
    script = client.get(reverse("api:docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
