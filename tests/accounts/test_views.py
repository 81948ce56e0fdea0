import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cxaudit.accounts.models import Location, Membership, Organization
from cxaudit.messaging.models import Message
from cxaudit.messaging.services import deliver_due
from tests.conftest import PASSWORD, SentTask


def login_post(client: Client, email: str, password: str, **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


@pytest.mark.django_db
def test_login_by_email_lands_on_the_organisation(program_admin, org):
    client = Client()
    response = login_post(client, "ADMIN@acme.test", PASSWORD)
    assert response.status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:org_home", args=[org.slug])


@pytest.mark.django_db
def test_shopper_home_is_the_shopper_page(roles, org):
    client = roles.client("shopper")
    response = client.get(reverse("accounts:org_home", args=[org.slug]))
    assert response.status_code == 302
    assert response["Location"] == reverse("shoppers:home", args=[org.slug])
    response = client.get(response["Location"])
    assert b"My shops" in response.content
    assert b"Members" not in response.content


@pytest.mark.django_db
def test_lockout_after_failed_attempts_with_a_clear_message(program_admin, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login_post(client, program_admin.email, "wrong")
        assert response.status_code == 200
        assert b"correct email and password" in response.content
    assert login_post(client, program_admin.email, "wrong").status_code == 429
    # Locked: even the right password is refused until the cool-off ends.
    response = login_post(client, program_admin.email, PASSWORD)
    assert response.status_code == 429
    assert b"Too many failed log-in attempts" in response.content


@pytest.mark.django_db
def test_forged_forwarded_for_does_not_escape_the_lockout(program_admin, settings):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        login_post(client, program_admin.email, "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    response = login_post(client, program_admin.email, PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429


@pytest.mark.django_db
def test_trusted_proxy_count_takes_the_address_the_proxy_saw(rf, settings):
    from cxaudit.accounts.security import client_ip

    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "203.0.113.7"
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"


@pytest.mark.django_db
def test_security_headers_are_set(client):
    response = client.get(reverse("login"))
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_location_create_and_edit(admin_client_org, org):
    url = reverse("accounts:location_create", args=[org.slug])
    response = admin_client_org.post(
        url, {"code": "HB1", "name": "Harbour", "kind": "branch", "is_active": "on"}
    )
    assert response.status_code == 302
    loc = Location.objects.get(organization=org, code="HB1")
    edit = reverse("accounts:location_edit", args=[org.slug, loc.pk])
    response = admin_client_org.post(edit, {"code": "HB1", "name": "Harbour St", "kind": "branch"})
    assert response.status_code == 302
    loc.refresh_from_db()
    assert loc.name == "Harbour St" and not loc.is_active


@pytest.mark.django_db
def test_location_duplicate_code_is_a_field_error(admin_client_org, org, location):
    url = reverse("accounts:location_create", args=[org.slug])
    response = admin_client_org.post(url, {"code": location.code, "name": "X", "kind": "branch"})
    assert response.status_code == 200
    assert "Another location already uses this code." in response.content.decode()


@pytest.mark.django_db
def test_other_organisations_location_is_404(admin_client_org, org, other_location):
    url = reverse("accounts:location_edit", args=[org.slug, other_location.pk])
    assert admin_client_org.get(url).status_code == 404


@pytest.mark.django_db
def test_location_import_page_lists_bad_rows_and_keeps_nothing(admin_client_org, org):
    data = b"code,name,kind\nA1,Fine,branch\nA2,<script>alert(1)</script>,castle\n"
    response = admin_client_org.post(
        reverse("accounts:location_import", args=[org.slug]),
        {"file": SimpleUploadedFile("l.csv", data, content_type="text/csv")},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported" in body and "line 3, kind" in body
    assert "<script>alert" not in body
    assert not Location.objects.for_org(org).exists()


@pytest.mark.django_db
def test_location_import_success_redirects_with_counts(admin_client_org, org):
    response = admin_client_org.post(
        reverse("accounts:location_import", args=[org.slug]),
        {"file": SimpleUploadedFile("l.csv", b"code,name\nA1,One\nA2,Two\n")},
        follow=True,
    )
    assert "2 created, 0 updated" in response.content.decode()


@pytest.mark.django_db
def test_user_written_text_is_escaped(admin_client_org, org):
    Location.objects.create(organization=org, code="X1", name="<img src=x onerror=alert(1)>")
    body = admin_client_org.get(reverse("accounts:location_list", args=[org.slug])).content
    assert b"<img src=x" not in body and b"&lt;img src=x" in body


@pytest.mark.django_db
def test_member_add_edit_remove(admin_client_org, org, location):
    response = admin_client_org.post(
        reverse("accounts:member_add", args=[org.slug]),
        {"email": "m2@acme.test", "role": "client_manager", "locations": [location.pk]},
    )
    assert response.status_code == 302
    m = Membership.objects.get(user__email="m2@acme.test")
    assert list(m.locations.all()) == [location]
    response = admin_client_org.post(
        reverse("accounts:member_edit", args=[org.slug, m.pk]), {"role": "reviewer"}
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.role == "reviewer" and not m.locations.exists()
    admin_client_org.post(reverse("accounts:member_remove", args=[org.slug, m.pk]))
    assert not Membership.objects.filter(pk=m.pk).exists()


@pytest.mark.django_db
def test_member_of_another_organisation_cannot_be_removed(admin_client_org, org, outsider):
    m = Membership.objects.get(user=outsider)
    response = admin_client_org.post(reverse("accounts:member_remove", args=[org.slug, m.pk]))
    assert response.status_code == 404
    assert Membership.objects.filter(pk=m.pk).exists()


@pytest.mark.django_db
def test_program_admin_creates_an_organisation(admin_client_org):
    response = admin_client_org.post(
        reverse("accounts:org_create"), {"name": "Third", "slug": "third-co"}
    )
    assert response.status_code == 302
    assert Organization.objects.filter(slug="third-co").exists()


@pytest.mark.django_db
def test_shopper_cannot_create_organisations(roles):
    assert roles.client("shopper").get(reverse("accounts:org_create")).status_code == 403


@pytest.mark.django_db
def test_person_in_two_organisations_chooses(program_admin, org, other_org):
    Membership.objects.create(user=program_admin, organization=other_org, role="reviewer")
    client = Client()
    client.force_login(program_admin)
    body = client.get(reverse("home")).content.decode()
    assert "Acme Rail" in body and "Other Bank" in body


@pytest.mark.django_db
def test_healthz_answers(client):
    assert client.get(reverse("healthz")).json()["status"] == "ok"


@pytest.mark.django_db
def test_password_reset_is_delivered_over_smtp(
    program_admin, smtp_sink, sent_tasks, django_capture_on_commit_callbacks
):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": program_admin.email.upper()})
    assert response.status_code == 302
    # Queued in the outbox (no token stored), sent by the outbox's sender.
    message = Message.objects.get(purpose="accounts.password_reset")
    assert "token" not in str(message.context) and message.organization is None
    assert sent_tasks == [SentTask("messaging.send_message", [message.pk], {})]
    assert deliver_due().sent == 1
    (mail,) = smtp_sink.wait(1)
    assert mail["to"] == [program_admin.email]
    body = mail["message"].get_body(("plain",)).get_content()
    link = next(line for line in body.splitlines() if "/accounts/reset/" in line).strip()
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    assert b"Choose a new password" in response.content
    new = "another-long-passphrase-42"
    client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    program_admin.refresh_from_db()
    assert program_admin.check_password(new)


def test_the_site_has_a_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
