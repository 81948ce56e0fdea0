import pytest

from tests.api.conftest import api_client

pytestmark = pytest.mark.django_db


def test_admin_reads_waves(org, tokens):
    r = api_client(tokens["program_admin"]).get(f"/api/v1/o/{org.slug}/waves/")
    assert r.status_code == 200, r.content
    assert r.json() == {"results": [], "next": None}
