import pytest
from django.core import mail
from django.core.cache import cache

from cxaudit.messaging import services as outbox
from surveys.outreach import launch, services
from tests.outreach.helpers import campaign, contacts


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """The link throttle counts in the cache: each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sent(org, program_admin, location, settings):
    """A campaign sent to three contacts (the second speaks French): their emails."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    people = contacts(org, 3, location=location)
    people[1].language = "fr"
    people[1].save()
    c = campaign(org, actor=program_admin)
    services.launch_campaign(campaign=c, actor=program_admin)
    launch.write_invitations(campaign_id=c.pk)
    outbox.deliver_due()
    by_to = {m.to[0].split("<")[-1].rstrip(">"): m for m in mail.outbox}
    return c, people, by_to
