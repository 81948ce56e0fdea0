"""The scoring rules page: change a published version's rules, its responses are re-scored."""

from __future__ import annotations

import pytest
from django.urls import reverse

from surveys.models import Survey
from surveys.responses.tasks import rescore_survey
from tests.conftest import SentTask
from tests.surveys.test_tasks import build, reference, snapshot

pytestmark = pytest.mark.django_db


def url(name, org, **kw):
    return reverse(f"surveys:{name}", kwargs={"org_slug": org.slug, **kw})


def test_published_survey_links_to_its_scoring_rules(org, admin_client_org):
    survey, _ = build(org)
    page = admin_client_org.get(url("survey_detail", org, pk=survey.pk)).content.decode()
    assert url("survey_scoring", org, pk=survey.pk) in page
    page = admin_client_org.get(url("survey_scoring", org, pk=survey.pk)).content.decode()
    assert "3 submitted responses" in page
    assert 'name="na_policy"' in page and 'name="critical_scope"' in page


def test_changing_a_rule_queues_a_rescore_that_applies_it(
    org, admin_client_org, django_capture_on_commit_callbacks, sent_tasks
):
    survey, responses = build(org)
    before = [fields for fields, _ in snapshot(responses)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = admin_client_org.post(
            url("survey_scoring", org, pk=survey.pk),
            {"na_policy": "count_as_pass", "critical_scope": "form", "bonus_cap": "on"},
            follow=True,
        )
    assert r.redirect_chain[-1][0] == url("survey_detail", org, pk=survey.pk)
    assert "Re-scoring 3 responses in the background" in r.content.decode()
    assert len(callbacks) == 1  # the task goes to the queue once the change is committed
    callbacks[0]()
    assert sent_tasks == [SentTask("surveys.rescore_survey", [survey.pk, None], {})]
    survey.refresh_from_db()
    assert (survey.na_policy, survey.critical_scope) == ("count_as_pass", "form")
    # What the queued task does (a real worker runs it in test_tasks).
    assert rescore_survey.apply(args=[survey.pk]).get() == 3
    after = [fields for fields, _ in snapshot(responses)]
    assert after == reference(survey, responses) and after != before


def test_unchanged_rules_say_so_and_queue_nothing(
    org, admin_client_org, django_capture_on_commit_callbacks, sent_tasks
):
    survey, _ = build(org)
    data = {"na_policy": survey.na_policy, "critical_scope": survey.critical_scope}
    if survey.bonus_cap:
        data["bonus_cap"] = "on"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = admin_client_org.post(url("survey_scoring", org, pk=survey.pk), data, follow=True)
    assert "unchanged" in r.content.decode() and callbacks == [] and sent_tasks == []


def test_an_invalid_rule_is_named_and_nothing_changes(org, admin_client_org):
    survey, _ = build(org)
    rules = (survey.na_policy, survey.critical_scope)
    r = admin_client_org.post(
        url("survey_scoring", org, pk=survey.pk), {"na_policy": "maybe", "critical_scope": "form"}
    )
    assert r.status_code == 200
    assert "Select a valid choice" in r.content.decode()
    survey = Survey.objects.get(pk=survey.pk)
    assert (survey.na_policy, survey.critical_scope) == rules


def test_another_organisations_survey_is_not_found(org, other_org, admin_client_org):
    survey, _ = build(other_org)
    r = admin_client_org.get(url("survey_scoring", org, pk=survey.pk))
    assert r.status_code == 404
