"""Contacts CSV import: normalised and validated addresses, duplicates within the file and
against known contacts, every rejected row with its line, unsubscribed and suppressed addresses
never reactivated, the same list twice, and a job resumed after a lost worker."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from surveys.models import Contact, ContactImport, ContactList
from surveys.outreach import contacts as importer

pytestmark = pytest.mark.django_db


def upload(org, text: str, *, list_name: str = "", name: str = "contacts.csv") -> ContactImport:
    imp = importer.create_contact_import(
        organization=org,
        uploaded_by=None,
        file=ContentFile(text.encode("utf-8"), name=name),
        list_name=list_name,
        enqueue=False,
    )
    return importer.run_contact_import(import_id=imp.pk)


def test_addresses_are_normalised_validated_and_deduplicated(org, location):
    imp = upload(
        org,
        "Email,first_name,last_name,location,language,attr.ticket\n"
        "  Pat.Lee@Example.TEST ,Pat,Lee,KGX,fr,season\n"
        "not-an-email,Bad,Row,,,\n"
        "pat.lee@example.test,Second,Copy,,,\n"
        "sam@example.test,Sam,,NOPE,,\n"
        "kim@example.test,Kim,,,de,\n"
        "two@example.test;three@example.test,,,,,\n"
        ",No,Address,,,\n"
        "ok@example.test,Ok,,kgx,,\n",
        list_name="Spring",
    )
    assert imp.status == ContactImport.Status.SUCCEEDED
    assert (imp.created_count, imp.rejected_count) == (2, 6)
    pat = Contact.objects.get(email="pat.lee@example.test")
    assert (pat.first_name, pat.language, pat.location, pat.attributes) == (
        "Pat",
        "fr",
        location,
        {"ticket": "season"},
    )
    reasons = {e["line"]: e["reason"] for e in imp.errors}
    assert reasons[3].startswith("not a valid email address")
    assert reasons[4] == "the same address as line 2"
    assert reasons[5] == "unknown location code 'NOPE'"
    assert reasons[6].startswith("unknown language 'de'")
    assert reasons[7].startswith("not a valid email address")
    assert reasons[8] == "no email address"
    assert set(ContactList.objects.get(name="Spring").contacts.values_list("email", flat=True)) == {
        "pat.lee@example.test",
        "ok@example.test",
    }


def test_the_same_list_imported_twice_creates_nothing_new(org):
    text = "email,first_name\na@example.test,Ann\nB@example.test,Ben\n"
    first = upload(org, text, list_name="L")
    second = upload(org, text, list_name="L")
    assert (first.created_count, second.created_count, second.unchanged_count) == (2, 0, 2)
    assert Contact.objects.for_org(org).count() == 2
    assert ContactList.objects.get(name="L").contacts.count() == 2
    third = upload(org, "email,first_name\nA@EXAMPLE.TEST,Annie\n")
    assert third.updated_count == 1
    assert Contact.objects.get(email="a@example.test").first_name == "Annie"


def test_an_import_never_reactivates_an_unsubscribed_or_suppressed_address(org):
    now = timezone.now()
    Contact.objects.create(organization=org, email="gone@example.test", unsubscribed_at=now)
    Contact.objects.create(
        organization=org, email="bounced@example.test", suppressed_at=now, suppressed_reason="550"
    )
    imp = upload(org, "email\nGone@example.test\nbounced@example.test\n", list_name="L")
    assert imp.rejected_count == 2
    assert all("unsubscribed" in e["reason"] or "suppressed" in e["reason"] for e in imp.errors)
    assert (
        Contact.objects.filter(unsubscribed_at__isnull=True, suppressed_at__isnull=True).count()
        == 0
    )
    assert ContactList.objects.get(name="L").contacts.count() == 0


def test_an_empty_cell_erases_nothing(org):
    upload(org, "email,first_name,language\nx@example.test,Xena,fr\n")
    upload(org, "email,first_name,language\nx@example.test,,\n")
    x = Contact.objects.get(email="x@example.test")
    assert (x.first_name, x.language) == ("Xena", "fr")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfeemail\n", "not UTF-8"),
        (b"email,colour\nx@example.test,red\n", "unknown column 'colour'"),
        (b"name\nx\n", "missing column(s): email"),
        (b"email,email\nx@example.test,y@example.test\n", "appears twice"),
        (b"email\n", "no data rows"),
        (b"email\nx\x00@example.test\n", "NUL"),
    ],
)
def test_a_file_that_cannot_be_read_is_rejected_whole(org, data, reason):
    imp = importer.create_contact_import(
        organization=org, uploaded_by=None, file=ContentFile(data, name="c.csv"), enqueue=False
    )
    imp = importer.run_contact_import(import_id=imp.pk)
    assert imp.status == ContactImport.Status.FAILED
    assert any(reason in e["reason"] for e in imp.errors), imp.errors
    assert Contact.objects.count() == 0


def test_a_job_taken_over_resumes_after_the_rows_written(org, settings, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    rows = "".join(f"p{i}@example.test,P{i}\n" for i in range(5)) + "p0@example.test,Again\n"
    imp = importer.create_contact_import(
        organization=org,
        uploaded_by=None,
        file=ContentFile(("email,first_name\n" + rows).encode(), name="c.csv"),
        enqueue=False,
    )
    calls = {"n": 0}
    real = importer._write_batch

    def dies_on_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "_write_batch", dies_on_second_batch)
    with pytest.raises(SystemExit):
        importer.run_contact_import(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.status, imp.processed_rows, imp.created_count) == ("running", 2, 2)
    # The sweeper finds the stale heartbeat and hands the job back.
    ContactImport.objects.filter(pk=imp.pk).update(
        heartbeat_at=timezone.now() - importer.STALE_AFTER * 2
    )
    monkeypatch.setattr(importer, "_write_batch", real)
    monkeypatch.setattr(importer, "send_now", lambda *a, **k: True)
    assert importer.requeue_stalled_contact_imports() == [imp.pk]
    done = importer.run_contact_import(import_id=imp.pk)
    assert (done.status, done.created_count, done.rejected_count) == ("succeeded", 5, 1)
    assert done.errors == [{"line": 7, "reason": "the same address as line 2"}]
    assert Contact.objects.count() == 5
