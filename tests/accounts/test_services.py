import pytest
from django.db import transaction

from cxaudit.accounts import services
from cxaudit.accounts.models import Location, Membership, Organization, Role, User
from cxaudit.errors import DomainError, ValidationFailed
from cxaudit.messaging.models import Message, State
from cxaudit.messaging.services import deliver_due
from tests.conftest import SentTask

GOOD_CSV = """code,name,kind,region,address
KGX,Kingsbridge Central,branch,North,1 Station Approach
CC1,Contact centre,contact_centre,North,
"""


@pytest.mark.django_db
def test_create_organization_makes_creator_program_admin(program_admin):
    org = services.create_organization(slug="new-client", name="New", creator=program_admin)
    assert Membership.objects.get(user=program_admin, organization=org).role == Role.PROGRAM_ADMIN


@pytest.mark.django_db
def test_create_organization_rejects_bad_slug_naming_the_field():
    with pytest.raises(DomainError) as exc:
        services.create_organization(slug="Bad Slug!", name="X")
    assert exc.value.field == "slug"


@pytest.mark.django_db
def test_import_locations_creates_and_updates(org):
    Location.objects.create(organization=org, code="KGX", name="Old name")
    result = services.import_locations(organization=org, data=GOOD_CSV.encode())
    assert (result.created, result.updated) == (1, 1)
    assert Location.objects.get(organization=org, code="KGX").name == "Kingsbridge Central"


@pytest.mark.django_db
def test_import_locations_lists_every_bad_row_and_imports_nothing(org):
    data = (
        "code,name,kind\n"
        "OK1,Fine,branch\n"
        "BAD 1,Space in code,branch\n"
        "OK2,,branch\n"
        "OK1,Duplicate,branch\n"
        "OK3,Unknown kind,spaceship\n"
    )
    with pytest.raises(ValidationFailed) as exc:
        services.import_locations(organization=org, data=data)
    where = [w for w, _ in exc.value.errors]
    assert where == ["line 3, code", "line 4, name", "line 5, code", "line 6, kind"]
    assert "duplicate code 'OK1' (also on line 2)" in exc.value.errors[2][1]
    assert not Location.objects.for_org(org).exists()


@pytest.mark.django_db
def test_import_locations_rejects_missing_columns_and_non_utf8(org):
    with pytest.raises(ValidationFailed, match="Missing columns"):
        services.import_locations(organization=org, data="name\nX\n")
    with pytest.raises(ValidationFailed, match="UTF-8"):
        services.import_locations(organization=org, data=b"code,name\n\xff\xfe,x\n")
    with pytest.raises(ValidationFailed):
        services.import_locations(organization=org, data="code,name\n")


@pytest.mark.django_db
def test_add_member_creates_user_and_emails_a_password_link(
    org, mailoutbox, sent_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        m = services.add_member(organization=org, email="New@Person.test", role=Role.SHOPPER)
        # The outbox row is part of the membership's transaction; nothing is sent yet.
        message = Message.objects.get(purpose="accounts.welcome", organization=org)
        assert sent_tasks == [] and mailoutbox == []
    assert m.user.email == "new@person.test" and not m.user.has_usable_password()
    assert message.to_email == "new@person.test" and "token" not in str(message.context)
    assert sent_tasks == [SentTask("messaging.send_message", [message.pk], {})]
    assert deliver_due().sent == 1
    assert len(mailoutbox) == 1 and "/accounts/reset/" in mailoutbox[0].body
    assert mailoutbox[0].subject == "You have been added to Acme Rail on cxaudit"


@pytest.mark.django_db
def test_the_welcome_email_is_not_sent_once_the_person_chose_a_password(
    org, mailoutbox, sent_tasks
):
    m = services.add_member(organization=org, email="new@person.test", role=Role.SHOPPER)
    m.user.set_password("a-long-passphrase-77")
    m.user.save()
    assert deliver_due().cancelled == 1
    assert mailoutbox == []
    message = Message.objects.get(purpose="accounts.welcome")
    assert message.state == State.CANCELLED and "chosen a password" in message.last_error


@pytest.mark.django_db
def test_the_welcome_subject_is_plain_text(mailoutbox, sent_tasks):
    org = Organization.objects.create(slug="smith-sons", name="Smith & Sons <Rail>")
    services.add_member(organization=org, email="new@person.test", role=Role.SHOPPER)
    deliver_due()
    assert mailoutbox[0].subject == "You have been added to Smith & Sons <Rail> on cxaudit"


@pytest.mark.django_db
def test_add_member_twice_is_refused(org, manager):
    with pytest.raises(DomainError, match="already a member"):
        services.add_member(organization=org, email=manager.email, role=Role.REVIEWER)


@pytest.mark.django_db
def test_only_client_managers_can_be_limited_to_locations(org, location):
    with pytest.raises(DomainError) as exc:
        services.add_member(
            organization=org, email="s@x.test", role=Role.SHOPPER, locations=[location]
        )
    assert exc.value.field == "locations"


@pytest.mark.django_db
def test_locations_of_another_organisation_are_refused(org, other_location):
    with pytest.raises(DomainError):
        services.add_member(
            organization=org,
            email="m@x.test",
            role=Role.CLIENT_MANAGER,
            locations=[other_location],
        )


@pytest.mark.django_db
def test_last_program_admin_cannot_be_demoted_or_removed(org, program_admin):
    m = Membership.objects.get(user=program_admin)
    with pytest.raises(DomainError, match="at least one program admin"):
        services.update_member(membership=m, role=Role.REVIEWER)
    with pytest.raises(DomainError):
        services.remove_member(membership=m)
    other = User.objects.create_user(email="second@acme.test")
    Membership.objects.create(user=other, organization=org, role=Role.PROGRAM_ADMIN)
    services.remove_member(membership=m)
    assert not Membership.objects.filter(pk=m.pk).exists()


@pytest.mark.django_db
def test_record_heartbeat_counts(db):
    assert services.record_heartbeat(name="t") == 1
    assert services.record_heartbeat(name="t") == 2
