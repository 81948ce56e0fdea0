"""Joining a programme, the shopper's profile and certification quizzes through the views: the
sign-up page answers the same whether or not the address has an account, is throttled per
normalised email and per client address, and says when the programme is closed."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from cxaudit.accounts.models import Membership, Role, User
from cxaudit.messaging.models import Message
from shoppers import emails
from shoppers.models import Certification, ShopperProfile, ShopperProgramme
from surveys.models import Response, Survey
from tests.factories import make_survey
from tests.shoppers.conftest import add_shopper

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def join_url(org) -> str:
    return reverse("shoppers:join", args=[org.slug])


def url(name: str, org, *args) -> str:
    return reverse(f"shoppers:{name}", args=[org.slug, *args])


def application(email="new.shopper@example.test", **extra) -> dict:
    return {
        "full_name": "New Shopper",
        "email": email,
        "password1": "a-long-pass-phrase-42",
        "password2": "a-long-pass-phrase-42",
        "home_region": "North",
        "languages": "EN, fr",
        "age_band": "25-34",
        "gender": "",
        "phone": "+44 20 7946 0000",
        "consent": "on",
        **extra,
    }


def test_the_sign_up_page_shows_the_terms_escaped(org, programme):
    programme.terms = "Be <b>honest</b>.\nNever reveal yourself."
    programme.save()
    page = Client().get(join_url(org))
    assert page.status_code == 200
    assert b"Be &lt;b&gt;honest&lt;/b&gt;." in page.content
    assert b"Become a mystery shopper for Acme Rail" in page.content


def test_a_new_applicant_gets_an_account_waiting_for_approval(org):
    response = Client().post(join_url(org), application())
    assert response.status_code == 302 and response["Location"] == join_url(org) + "?sent=1"
    user = User.objects.get(email="new.shopper@example.test")
    assert user.check_password("a-long-pass-phrase-42")
    assert Membership.objects.get(user=user, organization=org).role == Role.SHOPPER
    profile = ShopperProfile.objects.get(user=user)
    assert profile.status == ShopperProfile.Status.PENDING and profile.terms_accepted_at
    assert profile.languages == ["en", "fr"] and profile.home_region == "North"
    page = Client().get(response["Location"])
    assert b"Your application to Acme Rail" in page.content
    # Logging in leads to the page saying the application is being reviewed.
    client = Client()
    client.post(reverse("login"), {"username": user.email, "password": "a-long-pass-phrase-42"})
    assert b"Your application is being reviewed" in client.get(reverse("home"), follow=True).content


def test_a_known_address_gets_the_same_answer_and_an_email(org, manager, monkeypatch):
    hashed = []
    from shoppers.panel import services as panel

    real = panel.make_password
    monkeypatch.setattr(panel, "make_password", lambda p: hashed.append(p) or real(p))
    fresh = Client().post(join_url(org), application())
    known = Client().post(join_url(org), application(email=" MANAGER@acme.test "))
    assert known.status_code == fresh.status_code == 302
    assert known["Location"] == fresh["Location"]
    assert hashed == ["a-long-pass-phrase-42"]  # the known address costs a hash too
    assert not ShopperProfile.objects.filter(user=manager).exists()
    assert not manager.check_password("a-long-pass-phrase-42")
    message = Message.objects.get(purpose=emails.ALREADY_REGISTERED)
    assert message.to_email == manager.email


def test_consent_and_matching_passwords_are_required(org):
    response = Client().post(join_url(org), application(consent="", password2="something-else-42"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["consent"] == ["Accept the programme terms to apply."]
    assert errors["password2"] == ["The two passwords differ."]
    assert not User.objects.filter(email="new.shopper@example.test").exists()
    weak = Client().post(join_url(org), application(password1="12345678", password2="12345678"))
    assert "password1" in weak.context["form"].errors


def test_applications_are_throttled_per_normalised_email(org, settings):
    settings.CXAUDIT_SIGNUP_PER_EMAIL = 2
    spellings = ["x@example.test", "X@Example.test", " x@EXAMPLE.TEST "]
    answers = [
        Client(REMOTE_ADDR=f"10.0.0.{i}").post(join_url(org), application(email=email))
        for i, email in enumerate(spellings)
    ]
    assert [a.status_code for a in answers] == [302, 302, 429]
    assert "Too many applications" in answers[-1].content.decode()


def test_applications_are_throttled_per_client_address(org, settings):
    settings.CXAUDIT_SIGNUP_PER_IP = 2
    client = Client(REMOTE_ADDR="192.0.2.7")
    codes = [
        client.post(join_url(org), application(email=f"p{i}@example.test")).status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]
    assert not User.objects.filter(email="p2@example.test").exists()
    other = Client(REMOTE_ADDR="192.0.2.8")
    assert other.post(join_url(org), application(email="p3@example.test")).status_code == 302


def test_a_closed_programme_says_so(org, programme):
    programme.accepting_applications = False
    programme.save()
    page = Client().get(join_url(org))
    assert b"not taking new shoppers at the moment" in page.content
    Client().post(join_url(org), application())
    assert not User.objects.filter(email="new.shopper@example.test").exists()


def test_an_unknown_or_inactive_organisation_is_not_found(org):
    assert Client().get(reverse("shoppers:join", args=["no-such-org"])).status_code == 404
    org.is_active = False
    org.save()
    assert Client().get(join_url(org)).status_code == 404


def test_the_public_page_does_not_create_the_programme_row(org):
    assert Client().get(join_url(org)).status_code == 200
    assert not ShopperProgramme.objects.filter(organization=org).exists()


def test_a_logged_in_person_applies_as_themselves(org, outsider):
    client = client_of(outsider)
    page = client.get(join_url(org))
    assert b"your application uses this account" in page.content
    assert "email" not in page.context["form"].fields
    response = client.post(join_url(org), {"home_region": "South", "consent": "on"})
    assert response["Location"] == url("home", org)
    assert ShopperProfile.objects.get(user=outsider, organization=org).status == "pending"
    assert b"being reviewed" in client.get(response["Location"]).content
    # Applying again leads home.
    assert client.get(join_url(org))["Location"] == url("home", org)


def test_staff_of_the_organisation_cannot_apply(org, manager):
    client = client_of(manager)
    page = client.get(join_url(org))
    assert b"Staff cannot also be shoppers" in page.content
    client.post(join_url(org), {"consent": "on"})
    assert not ShopperProfile.objects.filter(user=manager).exists()


# -- the profile ---------------------------------------------------------------------------------


def test_profile_is_updated_and_checked(org, ann, location):
    location.region = "East"
    location.save()
    client = client_of(ann)
    page = client.get(url("profile", org))
    assert page.status_code == 200 and b'<option value="East">' in page.content
    bad = client.post(url("profile", org), {"languages": "english!!"})
    assert "is not a language code" in bad.context["form"].errors["languages"][0]
    client.post(
        url("profile", org),
        {"phone": "0700", "home_region": " East ", "languages": "fr de", "age_band": "35-49"},
    )
    profile = ann.shopper_profiles.get()
    assert (profile.phone, profile.home_region, profile.languages, profile.age_band) == (
        "0700",
        "East",
        ["de", "fr"],
        "35-49",
    )
    assert profile.status == ShopperProfile.Status.ACTIVE  # not the shopper's to change


def test_profile_without_a_panel_place(org, shopper):
    page = client_of(shopper).get(url("profile", org))
    assert b"not in the shopper panel" in page.content


# -- certification quizzes -----------------------------------------------------------------------


@pytest.fixture
def quiz_scenario(org, scenario):
    quiz = make_survey(
        org,
        [
            {
                "questions": [
                    {"code": "reveal", "type": "yes_no", "points": 1, "required": True},
                    {"code": "receipt", "type": "yes_no", "points": 1, "required": True},
                ]
            }
        ],
        code="quiz",
        kind=Survey.Kind.CERTIFICATION,
    )
    scenario.certification_survey = quiz
    scenario.pass_percent = 100
    scenario.save()
    return scenario


def test_a_quiz_failed_then_passed(org, quiz_scenario, ann, bob):
    client = client_of(ann)
    page = client.get(url("certification", org, quiz_scenario.pk))
    assert b"Start the quiz" in page.content and b"100%" in page.content
    response = client.post(url("certification_start", org, quiz_scenario.pk))
    attempt = Certification.objects.get()
    assert response["Location"] == url("quiz_respond", org, attempt.pk)
    form = client.get(response["Location"])
    assert form.status_code == 200
    assert form.context["engine"]["urls"]["submit"] == url("quiz_submit", org, attempt.pk)

    # Someone else's attempt, and the generic form pages, are closed to others.
    assert client_of(bob).get(url("quiz_respond", org, attempt.pk)).status_code == 404
    generic = reverse(
        "surveys:respond", kwargs={"org_slug": org.slug, "client_id": attempt.response.client_id}
    )
    assert client.get(generic).status_code == 404

    missing = client.post(url("quiz_submit", org, attempt.pk), {"q-reveal": "no"})
    assert [e["anchor"] for e in missing.context["error_list"]] == ["q-receipt"]
    response = client.post(
        url("quiz_submit", org, attempt.pk), {"q-reveal": "no", "q-receipt": "yes"}
    )
    assert response["Location"] == url("quiz_receipt", org, attempt.pk)
    result = client.get(response["Location"])
    assert b"Not passed" in result.content and b"2 attempts left" in result.content
    # Sent twice: the graded attempt, nothing more.
    again = client.post(url("quiz_submit", org, attempt.pk), {"q-reveal": "yes"})
    assert again["Location"] == url("quiz_receipt", org, attempt.pk)
    assert Certification.objects.count() == 1

    response = client.post(url("certification_start", org, quiz_scenario.pk))
    second = Certification.objects.exclude(pk=attempt.pk).get()
    client.post(url("quiz_submit", org, second.pk), {"q-reveal": "yes", "q-receipt": "yes"})
    result = client.get(url("quiz_receipt", org, second.pk))
    assert b"Passed" in result.content
    assert Response.objects.get(pk=second.response_id).counted is False
    page = client.get(url("certification", org, quiz_scenario.pk))
    assert b"Passed." in page.content and b"Start the quiz" not in page.content
    refused = client.post(url("certification_start", org, quiz_scenario.pk), follow=True)
    assert "already passed" in " ".join(str(m) for m in refused.context["messages"])


def test_a_scenario_without_a_quiz_has_no_quiz_page(org, scenario, ann):
    assert client_of(ann).get(url("certification", org, scenario.pk)).status_code == 404


def test_the_attempts_run_out(org, quiz_scenario, ann):
    client = client_of(ann)
    for _ in range(Certification.MAX_ATTEMPTS):
        client.post(url("certification_start", org, quiz_scenario.pk))
        attempt = Certification.objects.filter(taken_at__isnull=True).get()
        client.post(url("quiz_submit", org, attempt.pk), {"q-reveal": "no", "q-receipt": "no"})
    page = client.get(url("certification", org, quiz_scenario.pk))
    assert b"You have used all 3 attempts" in page.content
    response = client.post(url("certification_start", org, quiz_scenario.pk), follow=True)
    assert "used all 3 attempts" in " ".join(str(m) for m in response.context["messages"])


def test_a_pending_shopper_profile_page_works(org):
    pending = add_shopper(org, "wait@shoppers.test", status=ShopperProfile.Status.PENDING)
    assert client_of(pending).get(url("profile", org)).status_code == 200


def test_a_removed_shopper_is_told_so_and_not_re_added(org, ann):
    Membership.objects.filter(user=ann, organization=org).update(is_active=False)
    client = client_of(ann)
    assert b"Your access to Acme Rail was removed" in client.get(join_url(org)).content
    client.post(join_url(org), {"consent": "on"})
    assert not Membership.objects.get(user=ann, organization=org).is_active
