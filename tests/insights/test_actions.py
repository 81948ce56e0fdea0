"""Action plans: the verification rule on hand-computed figures, the services, evaluation by a
later closed wave, reminders and their emails."""

from __future__ import annotations

import datetime as dt
import math
import threading

import pytest
from django.db import connection
from django.utils import timezone

from cxaudit.accounts.models import Membership, Role
from cxaudit.errors import DomainError, InvalidTransition, ValidationFailed
from cxaudit.insights.actions import services
from cxaudit.insights.actions.models import ActionItem, Status, Verdict
from cxaudit.insights.actions.verification import Figure, evaluate, suggest_priority
from cxaudit.journeys.services import close_wave
from cxaudit.messaging.models import Message
from cxaudit.messaging.services import deliver_due
from tests.conftest import make_user

from . import action_data

Z = 1.959963984540054


def fig(diff, low, high, small=False):
    return Figure(diff=diff, ci=(low, high), small_sample=small)


# --- the rule, by hand ----------------------------------------------------------------------


def test_a_gap_that_narrowed_significantly_is_verified():
    # before -30 (-36 to -24): se = 12 / (2 * 1.96) = 3.0613; after -10 (-16 to -4): 3.0613.
    # narrowing = 30 - 10 = 20; threshold = 1.96 * sqrt(2) * 3.0613 = 8.485: 20 > 8.485.
    result = evaluate(fig(-30, -36, -24), fig(-10, -16, -4))
    assert result.verdict == Verdict.NARROWED and result.verified
    assert result.narrowing == pytest.approx(20.0)
    assert result.threshold == pytest.approx(Z * math.sqrt(2) * 12 / (2 * Z))  # 8.485
    assert result.threshold == pytest.approx(8.4853, abs=1e-4)


def test_a_gap_that_narrowed_within_noise_is_not_verified():
    # before -30 (-45 to -15), after -25 (-40 to -10): se 7.653 each; threshold 21.21 > 5.
    result = evaluate(fig(-30, -45, -15), fig(-25, -40, -10))
    assert result.verdict == Verdict.NOT_NARROWED and not result.verified
    assert result.narrowing == pytest.approx(5.0)
    assert result.threshold == pytest.approx(21.2132, abs=1e-4)


def test_a_gap_that_widened_is_not_verified():
    result = evaluate(fig(-10, -14, -6), fig(-20, -24, -16))
    assert result.verdict == Verdict.NOT_NARROWED and result.narrowing == pytest.approx(-10.0)


@pytest.mark.parametrize(
    "before, after",
    [
        (fig(-30, -36, -24), fig(-10, -16, -4, small=True)),
        (fig(-30, -36, -24, small=True), fig(-10, -16, -4)),
        (fig(-30, -36, -24), Figure(diff=None, ci=None, small_sample=True)),
        (Figure.from_gap({}), fig(-10, -16, -4)),
    ],
)
def test_too_little_data_decides_nothing(before, after):
    result = evaluate(before, after)
    assert result.verdict == Verdict.NOT_ENOUGH_DATA and not result.verified


def test_a_target_on_the_item_verifies_a_small_remaining_gap():
    # Narrowed within noise, but |after| = 4 is within the item's target of 5 points.
    result = evaluate(fig(-8, -20, 4), fig(-4, -16, 8), target_gap=5)
    assert result.verdict == Verdict.MET_TARGET and result.verified
    assert evaluate(fig(-8, -20, 4), fig(-6, -18, 6), target_gap=5).verified is False


@pytest.mark.parametrize(
    "diff, importance, mtm, expected",
    [
        (40, 5, False, 4),
        (20, 3, False, 3),
        (10, 2, False, 2),
        (10, 4, True, 3),
        (3, 2, False, 1),
        (None, 3, False, 2),
    ],
)
def test_priority_is_suggested_from_gap_size_importance_and_moment(diff, importance, mtm, expected):
    assert suggest_priority(diff, importance, mtm) == expected


# --- services -------------------------------------------------------------------------------


@pytest.fixture
def setting(org, location, manager, sent_tasks):
    return action_data.build(org, location, after="better")


def scope(org, d, location=None, gap="self_vs_perceived"):
    return services.GapScope(
        organization=org, wave=d["w1"], gap=gap, standard=d["standard"], location=location
    )


def new_item(org, d, owner, actor=None, **extra) -> ActionItem:
    where = extra.pop("scope", None) or scope(org, d)
    fields = {
        "title": "Empathy training for the ticket office",
        "due_date": timezone.localdate() + dt.timedelta(days=30),
        "root_cause": "expertise",
        **extra,
    }
    return services.create_action(scope=where, actor=actor, owner=owner, **fields)


@pytest.mark.django_db
def test_an_action_keeps_the_gap_and_its_interval_at_creation(setting, org, manager, program_admin):
    item = new_item(org, setting, manager, actor=program_admin)
    # Managers 87.5, customers 37.5 on 0-100: self - perceived = +50 points.
    assert item.baseline["diff_100"] == pytest.approx(50.0)
    assert item.baseline["ci"][0] < 50 < item.baseline["ci"][1]
    assert item.baseline["n_a"] == 30 and item.baseline["n_b"] == 30
    # 50 points x importance 4 = 200: urgent.
    assert item.priority == 4 and item.status == Status.OPEN
    assert [e.what for e in item.events.all()] == ["created"]
    assert Message.objects.filter(
        purpose="insights.action_assigned", to_email=manager.email
    ).exists()


@pytest.mark.django_db
def test_creating_an_action_for_yourself_sends_no_email(setting, org, manager):
    new_item(org, setting, manager, actor=manager)
    assert not Message.objects.filter(purpose="insights.action_assigned").exists()


@pytest.mark.django_db
def test_the_owner_must_be_a_staff_member_of_the_organisation(setting, org, outsider, shopper):
    for owner in (outsider, shopper):
        with pytest.raises(DomainError) as exc:
            new_item(org, setting, owner)
        assert exc.value.field == "owner"
    assert not ActionItem.objects.exists()


@pytest.mark.django_db
def test_a_due_date_in_the_past_is_refused(setting, org, manager):
    with pytest.raises(DomainError) as exc:
        new_item(org, setting, manager, due_date=timezone.localdate() - dt.timedelta(days=1))
    assert exc.value.field == "due_date"


@pytest.mark.django_db
def test_another_organisations_standard_or_location_is_refused(
    setting, org, other_org, other_location, manager
):
    with pytest.raises(DomainError) as exc:
        new_item(org, setting, manager, scope=scope(org, setting, location=other_location))
    assert exc.value.field == "location"
    with pytest.raises(DomainError):
        new_item(org, setting, manager, scope=scope(org, setting, gap="no_such_gap"))


@pytest.mark.django_db
def test_bad_text_is_refused_with_the_field(setting, org, manager):
    with pytest.raises(ValidationFailed) as exc:
        new_item(org, setting, manager, title="  ", description="x\x00y")
    assert {f for f, _ in exc.value.errors} == {"title", "description"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, ok",
    [
        (["in_progress", "done"], True),
        (["done", "in_progress", "done"], True),
        (["cancelled", "open"], True),
        (["verified"], False),
        (["reopened"], False),
        (["done", "cancelled"], False),
        (["in_progress", "in_progress"], False),
    ],
)
def test_status_changes_legal_and_illegal(setting, org, manager, path, ok):
    item = new_item(org, setting, manager)
    *steps, last = path
    for to in steps:
        services.change_status(item=item, actor=manager, to=to)
    if ok:
        services.change_status(item=item, actor=manager, to=last)
        assert ActionItem.objects.get(pk=item.pk).status == last
    else:
        with pytest.raises((InvalidTransition, DomainError)):
            services.change_status(item=item, actor=manager, to=last)


@pytest.mark.django_db
def test_of_two_concurrent_changes_one_wins_and_the_other_is_told(
    setting, org, manager, program_admin
):
    item = new_item(org, setting, manager)
    stale = ActionItem.objects.get(pk=item.pk)
    services.change_status(item=item, actor=manager, to="in_progress")
    with pytest.raises(InvalidTransition, match="changed by someone else"):
        services.change_status(item=stale, actor=program_admin, to="cancelled")
    assert ActionItem.objects.get(pk=item.pk).status == Status.IN_PROGRESS


@pytest.mark.django_db(transaction=True)
def test_two_threads_changing_one_item_at_once_leave_one_change(org, location, manager, sent_tasks):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions")
    d = action_data.build(org, location, after="none")
    item = new_item(org, d, manager)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def change(to):
        from django.db import connection as conn

        copy = ActionItem.objects.get(pk=item.pk)
        barrier.wait()
        try:
            services.change_status(item=copy, actor=manager, to=to)
            outcomes.append(to)
        except InvalidTransition:
            outcomes.append("refused")
        finally:
            conn.close()

    threads = [threading.Thread(target=change, args=(to,)) for to in ("in_progress", "cancelled")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[-1] == "refused" or "refused" in outcomes
    assert outcomes.count("refused") == 1
    assert ActionItem.objects.get(pk=item.pk).events.filter(what="status").count() == 1


@pytest.mark.django_db
def test_editing_an_item_records_it_and_tells_a_new_owner(setting, org, manager, program_admin):
    item = new_item(org, setting, manager, actor=manager)
    other = make_user("second@acme.test")
    Membership.objects.create(user=other, organization=org, role=Role.CLIENT_MANAGER)
    services.update_action(item=item, actor=manager, owner=other, priority=1)
    item.refresh_from_db()
    assert item.owner == other and item.priority == 1
    assert item.events.last().note == "Changed: owner, priority"
    assert (
        Message.objects.filter(purpose="insights.action_assigned", to_email=other.email).count()
        == 1
    )


@pytest.mark.django_db
def test_comments(setting, org, manager):
    item = new_item(org, setting, manager)
    services.add_comment(item=item, author=manager, text="  Booked the trainer for May.  ")
    assert item.comments.get().text == "Booked the trainer for May."
    with pytest.raises(DomainError):
        services.add_comment(item=item, author=manager, text="   ")


# --- evaluation by the next wave -------------------------------------------------------------


@pytest.fixture
def _close(django_capture_on_commit_callbacks):
    def close(wave):
        wave.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            close_wave(wave=wave)
        wave.refresh_from_db()
        return wave

    return close


@pytest.mark.django_db
def test_a_done_action_is_verified_when_the_next_closed_wave_shows_the_gap_narrowed(
    org, location, manager, sent_tasks, _close
):
    d = action_data.build(org, location, after="better")
    item = new_item(org, d, manager)
    services.change_status(item=item, actor=manager, to="done")
    w2 = _close(d["w2"])
    assert [t.name for t in sent_tasks][-1] == "insights.evaluate_actions"
    assert services.evaluate_actions(wave=w2) == {
        "verified": 1,
        "reopened": 0,
        "not_enough_data": 0,
    }
    item.refresh_from_db()
    assert item.status == Status.VERIFIED and item.evaluated_wave == w2
    assert item.evaluation["verdict"] == "narrowed"
    assert item.evaluation["after"]["diff_100"] == pytest.approx(0.0)
    # Idempotent: running it again changes nothing.
    assert services.evaluate_actions(wave=w2) == {
        "verified": 0,
        "reopened": 0,
        "not_enough_data": 0,
    }


@pytest.mark.django_db
def test_a_done_action_is_reopened_with_the_evidence_when_the_gap_did_not_narrow(
    org, location, manager, sent_tasks, mailoutbox, _close
):
    d = action_data.build(org, location, after="same")
    item = new_item(org, d, manager)
    services.change_status(item=item, actor=manager, to="done")
    services.evaluate_actions(wave=_close(d["w2"]))
    item.refresh_from_db()
    assert item.status == Status.REOPENED and item.evaluation["verdict"] == "not_narrowed"
    assert item.evaluation["after"]["diff_100"] == pytest.approx(50.0)
    report = deliver_due()
    assert report.failed == 0, list(Message.objects.values_list("purpose", "last_error"))
    assert [m.subject for m in mailoutbox if "Reopened" in m.subject] == [f"Reopened: {item.title}"]


@pytest.mark.django_db
def test_without_enough_answers_in_the_next_wave_the_action_stays_done(
    org, location, manager, sent_tasks, _close
):
    d = action_data.build(org, location, after="none")
    item = new_item(org, d, manager)
    services.change_status(item=item, actor=manager, to="done")
    services.evaluate_actions(wave=_close(d["w2"]))
    item.refresh_from_db()
    assert item.status == Status.DONE and item.evaluation["verdict"] == "not_enough_data"


@pytest.mark.django_db
def test_open_items_and_items_of_the_same_wave_are_not_evaluated(
    org, location, manager, sent_tasks, _close
):
    d = action_data.build(org, location, after="better")
    open_item = new_item(org, d, manager)
    assert services.evaluate_actions(wave=d["w1"])["verified"] == 0
    assert services.evaluate_actions(wave=_close(d["w2"]))["verified"] == 0
    open_item.refresh_from_db()
    assert open_item.status == Status.OPEN and open_item.evaluation is None


@pytest.mark.django_db
def test_the_sweeper_finds_closed_waves_that_done_items_wait_for(
    org, location, manager, sent_tasks, _close
):
    from cxaudit.insights.tasks import evaluate_closed_waves

    d = action_data.build(org, location, after="better")
    item = new_item(org, d, manager)
    _close(d["w2"])
    services.change_status(item=item, actor=manager, to="done")  # done after the wave closed
    assert services.waves_awaiting_evaluation() == [d["w2"]]
    assert evaluate_closed_waves.apply().get() == 1
    assert ActionItem.objects.get(pk=item.pk).status == Status.VERIFIED
    assert services.waves_awaiting_evaluation() == []


# --- reminders -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reminders_due_soon_and_one_overdue_digest_per_owner_per_day(
    setting, org, manager, mailoutbox
):
    today = timezone.localdate()
    soon = new_item(org, setting, manager, actor=manager, due_date=today + dt.timedelta(days=3))
    late = [new_item(org, setting, manager, actor=manager, title=f"Late {i}") for i in range(2)]
    ActionItem.objects.filter(pk__in=[x.pk for x in late]).update(
        due_date=today - dt.timedelta(days=2)
    )
    assert services.remind_owners(today=today) == {"due_soon": 1, "overdue_digests": 1}
    assert services.remind_owners(today=today) == {"due_soon": 1, "overdue_digests": 1}
    assert Message.objects.filter(purpose="insights.action_due_soon").count() == 1  # once
    assert Message.objects.filter(purpose="insights.action_overdue_digest").count() == 1
    deliver_due()
    subjects = sorted(m.subject for m in mailoutbox)
    assert subjects == ["2 overdue actions at Acme Rail", f"Due in 3 days: {soon.title}"]
    digest = next(m for m in mailoutbox if "overdue" in m.subject)
    assert "Late 0" in digest.body and "2 days late" in digest.body


@pytest.mark.django_db
def test_a_reminder_for_an_item_finished_meanwhile_is_not_sent(setting, org, manager, mailoutbox):
    today = timezone.localdate()
    item = new_item(org, setting, manager, actor=manager, due_date=today + dt.timedelta(days=3))
    services.remind_owners(today=today)
    services.change_status(item=item, actor=manager, to="done")
    assert deliver_due().cancelled == 1 and mailoutbox == []


# --- review additions: a touchpoint's gap, and each notification once -----------------------


@pytest.mark.django_db
def test_an_action_on_a_touchpoints_gap_keeps_its_roll_up_and_is_verified_by_the_next_wave(
    org, location, manager, sent_tasks, _close
):
    d = action_data.build(org, location, after="better")
    tp = d["standard"].touchpoint
    item = services.create_action(
        scope=services.GapScope(
            organization=org, wave=d["w1"], gap="self_vs_perceived", touchpoint=tp
        ),
        actor=manager,
        owner=manager,
        title="Coach the call team",
        due_date=timezone.localdate() + dt.timedelta(days=30),
        root_cause="expertise",
    )
    # The touchpoint holds the one standard: its roll-up is the standard's +50 points.
    assert item.standard is None and item.baseline["diff_100"] == pytest.approx(50.0)
    services.change_status(item=item, actor=manager, to="done")
    assert services.evaluate_actions(wave=_close(d["w2"]))["verified"] == 1
    item.refresh_from_db()
    assert item.status == Status.VERIFIED
    assert item.evaluation["after"]["diff_100"] == pytest.approx(0.0)


@pytest.mark.django_db
def test_assigned_and_reopened_are_each_sent_once(
    org, location, manager, program_admin, sent_tasks, mailoutbox, _close
):
    d = action_data.build(org, location, after="same")
    item = new_item(org, d, manager, actor=program_admin)
    # Saving the same owner again is no new assignment.
    services.update_action(item=item, actor=program_admin, owner=manager)
    services.change_status(item=item, actor=manager, to="done")
    w2 = _close(d["w2"])
    services.evaluate_actions(wave=w2)
    services.evaluate_actions(wave=w2)  # the task delivered twice, or the sweeper as well
    from cxaudit.insights.tasks import evaluate_closed_waves

    assert evaluate_closed_waves.apply().get() == 0
    assert Message.objects.filter(purpose="insights.action_assigned").count() == 1
    assert Message.objects.filter(purpose="insights.action_reopened").count() == 1
    assert deliver_due().sent == 2
    assert sorted(m.subject for m in mailoutbox) == [
        f"Action for you: {item.title}",
        f"Reopened: {item.title}",
    ]
    assert all(manager.email in m.to[0] for m in mailoutbox)


@pytest.mark.django_db
def test_the_overdue_digest_is_one_email_per_owner_per_day(setting, org, manager, program_admin):
    today = timezone.localdate()
    for owner in (manager, manager, program_admin):
        item = new_item(org, setting, owner, actor=owner)
        ActionItem.objects.filter(pk=item.pk).update(due_date=today - dt.timedelta(days=1))
    assert services.remind_owners(today=today)["overdue_digests"] == 2  # two owners
    assert services.remind_owners(today=today)["overdue_digests"] == 2
    assert Message.objects.filter(purpose="insights.action_overdue_digest").count() == 2
    services.remind_owners(today=today + dt.timedelta(days=1))  # the next day: one more each
    assert Message.objects.filter(purpose="insights.action_overdue_digest").count() == 4
    # The periodic task is scheduled.
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"insights.remind_action_owners", "insights.evaluate_closed_waves"} <= tasks


@pytest.mark.django_db
def test_every_status_pair_is_allowed_or_refused_as_the_table_says(setting, org, manager):
    """The whole machine, every from-state x every to-state (docs/state-changes.md): a move the
    table allows claims the row; any other is refused and changes nothing. By hand, only open,
    in progress and done may be chosen, and cancelled from an unfinished item."""
    from cxaudit.insights.actions.models import TRANSITIONS

    item = new_item(org, setting, manager, actor=manager)
    expected = {
        "open": {"in_progress", "done", "cancelled"},
        "in_progress": {"open", "done", "cancelled"},
        "reopened": {"in_progress", "done", "cancelled"},
        "done": {"in_progress", "verified", "reopened"},
        "verified": set(),
        "cancelled": {"open"},
    }
    assert {k: set(v) for k, v in TRANSITIONS.items()} == expected
    for before in Status.values:
        for after in Status.values:
            ActionItem.objects.filter(pk=item.pk).update(status=before)
            item.refresh_from_db()
            if after in expected[before]:
                assert item.move(after) == before
                assert ActionItem.objects.get(pk=item.pk).status == after
            else:
                with pytest.raises(InvalidTransition):
                    item.move(after)
                assert ActionItem.objects.get(pk=item.pk).status == before
            ActionItem.objects.filter(pk=item.pk).update(status=before)
            item.refresh_from_db()
            manual_ok = after in expected[before] and after in services.MANUAL
            if manual_ok:
                services.change_status(item=item, actor=manager, to=after)
            else:
                with pytest.raises(DomainError):
                    services.change_status(item=item, actor=manager, to=after)
                assert ActionItem.objects.get(pk=item.pk).status == before
