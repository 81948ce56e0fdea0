"""The exports pages: happy paths, who may export what, and links that must answer 404."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cxaudit.downloads.models import ExportJob
from tests.factories import make_wave

from .conftest import read_back
from .matrix import ready_job
from .test_services import simple

pytestmark = pytest.mark.django_db


def url(org, name: str, **kwargs) -> str:
    return reverse(f"downloads:{name}", kwargs={"org_slug": org.slug, **kwargs})


def test_a_small_export_downloads_at_once(roles, org, location):
    simple(org, location, n=2)
    response = roles.client("program_admin").post(
        url(org, "export_start"), {"kind": "responses", "format": "csv", "survey": "simple"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="acme-rail-responses-simple'
    )
    rows = read_back(b"".join(response.streaming_content), "csv")
    assert len(rows) == 3
    assert not ExportJob.objects.exists()


def test_a_small_xlsx_export_downloads_at_once(roles, org, location):
    simple(org, location, n=1)
    response = roles.client("manager").post(
        url(org, "export_start"), {"kind": "shops", "format": "xlsx"}
    )
    assert response.status_code == 200
    rows = read_back(b"".join(response.streaming_content), "xlsx")
    assert rows[0][0] == "shop"


def test_a_large_export_is_queued_and_listed_with_an_accessible_progress_bar(
    roles, org, location, settings, sent_tasks, django_capture_on_commit_callbacks
):
    settings.CXAUDIT_EXPORT_INLINE_ROWS = 1
    simple(org, location, n=3)
    client = roles.client("program_admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(org, "export_start"), {"kind": "responses", "format": "xlsx", "survey": "simple"}
        )
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert sent_tasks[-1].name == "downloads.run_export" and sent_tasks[-1].args == [job.pk]
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "being built" in html
    assert 'role="progressbar"' in html and 'aria-valuenow="0"' in html
    assert 'aria-valuetext="Waiting to start"' in html and "Counting the rows" in html
    ExportJob.objects.filter(pk=job.pk).update(state="running", rows_done=2, rows_total=3)
    status = client.get(url(org, "export_status")).json()["exports"]
    assert status == [
        {
            "id": str(job.public_id),
            "state": "running",
            "state_label": "Building",
            "rows_done": 2,
            "rows_total": 3,
            "percent": 67,
            "finished": False,
            "download": None,
        }
    ]


def test_a_ready_export_downloads_and_shows_its_link(roles, org, program_admin):
    job = ready_job(org, program_admin)
    client = roles.client("program_admin")
    html = client.get(url(org, "export_list")).content.decode()
    link = url(org, "export_download", public_id=job.public_id)
    assert link in html
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="shops.csv"'
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbfshop")


def test_an_expired_link_says_so(roles, org, program_admin):
    job = ready_job(org, program_admin)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client = roles.client("program_admin")
    response = client.get(url(org, "export_download", public_id=job.public_id), follow=True)
    assert response.redirect_chain[-1][0] == url(org, "export_list")
    assert "expired" in response.content.decode()


def test_a_guessed_link_answers_404(roles, org, other_org, outsider):
    theirs = ready_job(other_org, outsider)
    client = roles.client("program_admin")
    # Another organisation's export through our organisation's address, and a made-up id.
    assert client.get(url(org, "export_download", public_id=theirs.public_id)).status_code == 404
    assert client.get(url(org, "export_download", public_id=uuid.uuid4())).status_code == 404
    # Their export through their own address: we are not members there.
    theirs_url = reverse(
        "downloads:export_download",
        kwargs={"org_slug": other_org.slug, "public_id": theirs.public_id},
    )
    assert client.get(theirs_url).status_code == 404


def test_an_outsider_gets_404_everywhere(roles, org, program_admin):
    job = ready_job(org, program_admin)
    client = roles.client("outsider")
    for address in (
        url(org, "export_list"),
        url(org, "export_status"),
        url(org, "export_download", public_id=job.public_id),
    ):
        assert client.get(address).status_code == 404
    assert client.post(url(org, "export_start"), {"kind": "shops"}).status_code == 404


def test_a_limited_manager_sees_only_their_own_exports(roles, org, program_admin, limited_manager):
    admins = ready_job(org, program_admin)
    own = ready_job(org, limited_manager)
    client = roles.client("limited_manager")
    assert client.get(url(org, "export_download", public_id=admins.public_id)).status_code == 404
    assert client.get(url(org, "export_download", public_id=own.public_id)).status_code == 200
    ids = [e["id"] for e in client.get(url(org, "export_status")).json()["exports"]]
    assert ids == [str(own.public_id)]


@pytest.mark.parametrize(
    ("role", "kind", "status"),
    [
        ("reviewer", "payouts", 403),
        ("manager", "payouts", 403),
        ("manager", "contacts", 403),
        ("reviewer", "campaign", 403),
        ("shopper", "shops", 403),
        ("program_admin", "payouts", 200),
        ("program_admin", "contacts", 200),
    ],
)
def test_each_kind_needs_its_own_capability(roles, org, role, kind, status):
    response = roles.client(role).post(url(org, "export_start"), {"kind": kind, "format": "csv"})
    assert response.status_code == status


def test_an_export_of_a_kind_one_may_not_make_is_not_listed(roles, org, program_admin):
    payouts = ready_job(org, program_admin, kind="payouts")
    client = roles.client("reviewer")
    assert client.get(url(org, "export_download", public_id=payouts.public_id)).status_code == 404
    assert client.get(url(org, "export_status")).json()["exports"] == []


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "responses", "format": "csv"},
        {"kind": "responses", "format": "pdf", "survey": "simple"},
        {"kind": "nope", "format": "csv"},
        {"kind": "shops", "format": "csv", "wave": "abc"},
        {"kind": "shops", "format": "csv", "location": "999999"},
        {"kind": "shops", "format": "csv", "wave": "1 OR 1=1"},
        {"kind": "responses", "format": "csv", "survey": "=cmd|' /C calc'!A0"},
        {"kind": "campaign", "format": "csv", "campaign": "\x00"},
    ],
)
def test_bad_input_is_refused_with_the_form_not_a_500(roles, org, location, data):
    simple(org, location, n=1)
    response = roles.client("program_admin").post(url(org, "export_start"), data)
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode() or "alert" in response.content.decode()


def test_a_wave_of_another_organisation_is_not_a_choice(roles, org, other_org):
    other = make_wave(other_org, "Theirs")
    response = roles.client("program_admin").post(
        url(org, "export_start"), {"kind": "shops", "format": "csv", "wave": other.pk}
    )
    assert response.status_code == 400


def test_the_list_shows_an_empty_state_and_the_kinds_of_the_role(roles, org):
    html = roles.client("manager").get(url(org, "export_list")).content.decode()
    assert "No exports in the background yet" in html
    assert "Responses (one row per response)" in html
    assert "Payouts" not in html and "Contacts" not in html


def test_the_list_runs_a_constant_number_of_queries(
    roles, org, program_admin, django_assert_max_num_queries
):
    client = roles.client("program_admin")
    ready_job(org, program_admin)
    with django_assert_max_num_queries(20) as few:
        client.get(url(org, "export_list"))
    for _ in range(10):
        ready_job(org, program_admin)
    with django_assert_max_num_queries(len(few)):
        client.get(url(org, "export_list"))
