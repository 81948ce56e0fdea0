"""Each role logs in through the real login page in Chromium and sees its own home page."""

import pytest
from playwright.sync_api import expect

from tests.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("fixture", "heading"),
    [
        ("program_admin", "Acme Rail"),
        ("reviewer", "Acme Rail"),
        ("manager", "Acme Rail"),
        ("shopper", "My shops"),
    ],
)
def test_each_role_logs_in_and_sees_its_home(request, page, fixture, heading):
    user = request.getfixturevalue(fixture)
    login(page, user.email)
    assert page.get_by_role("heading", level=1).inner_text() == heading
    nav = page.get_by_role("navigation", name="Main")
    if fixture == "shopper":
        assert nav.get_by_role("link", name="Members").count() == 0
    if fixture == "program_admin":
        page.get_by_role("button", name="Toggle navigation").click()
        nav.get_by_role("button", name="Administer").click()
        expect(nav.get_by_role("link", name="Members")).to_be_visible()


def test_wrong_password_shows_an_error(page, program_admin):
    login(page, program_admin.email, "not-the-password")
    assert page.get_by_role("alert").count() >= 1
    assert "correct email and password" in page.content()
