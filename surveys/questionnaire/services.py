"""Building questionnaires: surveys, sections and questions, their order, publishing and versions;
and changing a version's scoring rules.

Only a draft version without responses changes. A published version is frozen: it is returned to
draft first (when nobody has answered it yet) or copied into a new draft version, and old
responses keep pointing to the version they answered. Every change is checked by the same
validator as the definition JSON (surveys.questionnaire.definition), so a draft is always
exportable, and a change that would break another question's show-if condition is refused as a
whole. Scoring rules are the exception: they change in place on any version, and its responses
are re-scored in the background.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from cxaudit.accounts.models import Organization, User
from cxaudit.enqueue import enqueue_on_commit
from cxaudit.errors import DomainError, InvalidTransition, ValidationFailed
from cxaudit.journeys.models import Standard, Wave

from ..responses.models import Response
from .definition import import_definition, next_version, survey_problems
from .definition.checks import Checker, check_question, check_show_if, check_weight
from .definition.export import config_to_json, show_if_to_json
from .models import ASPECTS_BY_KIND, Question, Section, Survey

# -- guards ------------------------------------------------------------------------------------


def editability(survey: Survey, *, has_responses: bool | None = None) -> str | None:
    """Why this version cannot be edited in place, or None when it can."""
    if has_responses is None:
        has_responses = survey.has_responses()
    if has_responses:
        return (
            f"Version {survey.version} has responses, so it is never changed: start a new "
            "version to edit it (the responses keep pointing to this one)."
        )
    if survey.status == Survey.Status.PUBLISHED:
        return (
            f"Version {survey.version} is published: return it to draft (nobody has answered it "
            "yet) or start a new version to edit it."
        )
    if survey.status == Survey.Status.ARCHIVED:
        return f"Version {survey.version} is archived: start a new version to edit it."
    return None


def _lock_editable(survey: Survey) -> Survey:
    """Lock the survey row (edits of one survey run one at a time) and refuse frozen versions."""
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    reason = editability(locked)
    if reason:
        raise InvalidTransition(reason)
    return locked


def _check_whole(survey: Survey) -> None:
    """Refuse the change (the transaction rolls back) when it leaves the survey invalid."""
    problems = survey_problems(survey)
    if problems:
        raise ValidationFailed(
            "This change would leave the survey invalid; nothing was changed.", problems
        )


def _renumber(rows: Iterable[Section] | Iterable[Question]) -> None:
    changed = []
    for i, row in enumerate(rows):
        if row.position != i:
            row.position = i
            changed.append(row)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["position"])


# -- surveys -------------------------------------------------------------------------------------


@transaction.atomic
def create_survey(
    *, organization: Organization, code: str, title: str, kind: str, description: str = ""
) -> Survey:
    """Create an empty draft survey (version 1) with a new code."""
    if Survey.objects.for_org(organization).filter(code__iexact=code).exists():
        raise DomainError(
            "A survey with this code already exists; start a new version of it instead.",
            field="code",
        )
    return Survey.objects.create(
        organization=organization, code=code, title=title, kind=kind, description=description
    )


SETTING_FIELDS = (
    "title",
    "description",
    "kind",
    "na_policy",
    "bonus_cap",
    "critical_scope",
    "paging",
    "keep_photo_location",
)


@transaction.atomic
def update_survey_settings(*, survey: Survey, **settings: Any) -> Survey:
    """Change the title, kind, scoring rules or paging of a draft version."""
    locked = _lock_editable(survey)
    unknown = set(settings) - set(SETTING_FIELDS)
    if unknown:
        raise DomainError(f"Unknown survey settings: {', '.join(sorted(unknown))}.")
    for name, value in settings.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["organization", "code"])
    locked.save(update_fields=list(settings))
    return locked


@transaction.atomic
@transaction.atomic
def ensure_published(*, organization: Organization, document: Mapping[str, Any]) -> Survey:
    """The published version of a definition's survey code; when the code has none, the
    definition is imported and published (demo seeds: safe to run again)."""
    survey = Survey.objects.for_org(organization).filter(code=document["code"]).published().first()
    if survey is None:
        survey = publish_survey(
            survey=import_definition(organization=organization, data=dict(document))
        )
    return survey


def publish_survey(*, survey: Survey) -> Survey:
    """Publish a draft after checking the whole survey; the code's previously published version
    is archived (its responses stay with it)."""
    # Lock every version of the code: two versions published at once must not both win.
    versions = Survey.objects.select_for_update().filter(
        organization_id=survey.organization_id, code=survey.code
    )
    locked = next(v for v in versions if v.pk == survey.pk)
    if locked.status != Survey.Status.DRAFT:
        raise InvalidTransition(f"Only a draft can be published; this one is {locked.status}.")
    problems = survey_problems(locked)
    if not locked.questions.exists():
        problems.insert(0, ("survey", "has no questions yet"))
    if problems:
        raise ValidationFailed(f"{len(problems)} problem(s) to fix before publishing.", problems)
    Survey.objects.filter(
        organization_id=locked.organization_id, code=locked.code, status=Survey.Status.PUBLISHED
    ).update(status=Survey.Status.ARCHIVED)
    locked.status = Survey.Status.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_at"])
    return locked


@transaction.atomic
def return_to_draft(*, survey: Survey) -> Survey:
    """Unpublish a version nobody has answered yet, so it can be edited in place."""
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if locked.status != Survey.Status.PUBLISHED:
        raise InvalidTransition("Only a published version can be returned to draft.")
    if locked.has_responses():
        raise InvalidTransition(
            "This version has responses, so it stays as it is: start a new version instead."
        )
    other_draft = _draft_of(locked.organization_id, locked.code)
    if other_draft is not None:
        raise InvalidTransition(
            f"Version {other_draft.version} is already a draft of this survey; edit that one."
        )
    locked.status = Survey.Status.DRAFT
    locked.save(update_fields=["status"])
    return locked


@transaction.atomic
def archive_survey(*, survey: Survey) -> Survey:
    """Retire a version: it takes no new responses and its results stay available."""
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if locked.status == Survey.Status.ARCHIVED:
        raise InvalidTransition("This version is already archived.")
    locked.status = Survey.Status.ARCHIVED
    locked.save(update_fields=["status"])
    return locked


def _draft_of(organization_id: int, code: str) -> Survey | None:
    return (
        Survey.objects.filter(organization_id=organization_id, code=code, status="draft")
        .order_by("-version")
        .first()
    )


def draft_of(survey: Survey) -> Survey | None:
    """The draft version of this survey's code, if there is one."""
    return _draft_of(survey.organization_id, survey.code)


@transaction.atomic
def start_new_version(*, survey: Survey) -> Survey:
    """Copy a version into a new draft (version + 1, same code) to edit; the original and its
    responses are left as they are."""
    # Lock every version of the code so two clicks cannot both create version N.
    versions = list(
        Survey.objects.select_for_update()
        .filter(organization_id=survey.organization_id, code=survey.code)
        .order_by("-version")
    )
    draft = next((v for v in versions if v.status == Survey.Status.DRAFT), None)
    if draft is not None:
        raise InvalidTransition(
            f"Version {draft.version} is already a draft of this survey; edit that one."
        )
    new = Survey.objects.create(
        organization_id=survey.organization_id,
        code=survey.code,
        version=next_version(survey.organization, survey.code),
        status=Survey.Status.DRAFT,
        **{name: getattr(survey, name) for name in SETTING_FIELDS},
    )
    sections = list(survey.sections.order_by("position", "pk"))
    copies = Section.objects.bulk_create(
        [
            Section(
                survey=new,
                title=s.title,
                description=s.description,
                position=s.position,
                weight=s.weight,
                show_if=s.show_if,
            )
            for s in sections
        ]
    )
    section_map = {old.pk: copy for old, copy in zip(sections, copies, strict=True)}
    Question.objects.bulk_create(
        [
            Question(
                survey=new,
                section=section_map[q.section_id],
                **{name: getattr(q, name) for name in _COPIED},
            )
            for q in survey.questions.order_by("position", "pk")
        ]
    )
    return new


# -- sections --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionData:
    title: str
    description: str = ""
    weight: Decimal | None = None
    show_if: Mapping[str, Any] | None = None


def _section_checks(survey: Survey, data: SectionData, position: int) -> dict[str, Any]:
    chk = Checker()
    chk.text({"title": data.title}, "title", "", required=True)
    chk.text({"description": data.description}, "description", "")
    if data.weight is not None:
        check_weight(chk, float(data.weight), "weight")
    earlier_sections = survey.sections.filter(position__lt=position)
    earlier = {q.code: q.spec() for q in Question.objects.filter(section__in=earlier_sections)}
    all_codes = set(survey.questions.values_list("code", flat=True))
    show_if = check_show_if(
        chk,
        dict(data.show_if) if data.show_if else None,
        "show_if",
        earlier=earlier,
        all_codes=all_codes,
    )
    if chk.errors:
        raise ValidationFailed("Please correct the section.", chk.errors)
    return {
        "title": data.title.strip(),
        "description": data.description,
        "weight": data.weight,
        "show_if": show_if,
    }


@transaction.atomic
def add_section(*, survey: Survey, data: SectionData) -> Section:
    """Append a section to a draft."""
    locked = _lock_editable(survey)
    position = locked.sections.count()
    fields = _section_checks(locked, data, position)
    return Section.objects.create(survey=locked, position=position, **fields)


@transaction.atomic
def update_section(*, section: Section, data: SectionData) -> Section:
    """Change a section's title, description, weight or condition."""
    _lock_editable(section.survey)
    fields = _section_checks(section.survey, data, section.position)
    for name, value in fields.items():
        setattr(section, name, value)
    section.save(update_fields=list(fields))
    return section


def _dependents(
    survey: Survey, codes: set[str], *, exclude_section: int | None = None
) -> list[str]:
    """Names of the questions and sections whose show-if condition uses one of `codes`."""
    names = []
    for s in survey.sections.exclude(pk=exclude_section).filter(show_if__question__in=codes):
        names.append(f"section “{s.title}”")
    questions = survey.questions.filter(show_if__question__in=codes).exclude(
        section_id=exclude_section
    )
    names += [f"question {q.code}" for q in questions.exclude(code__in=codes)]
    return names


@transaction.atomic
def delete_section(*, section: Section) -> None:
    """Delete a section and its questions; refused while other conditions use them."""
    survey = _lock_editable(section.survey)
    codes = set(section.questions.values_list("code", flat=True))
    users = _dependents(survey, codes, exclude_section=section.pk) if codes else []
    if users:
        raise DomainError(
            f"{', '.join(users)} show only depending on this section's questions; change "
            "those conditions first."
        )
    section.delete()
    _renumber(survey.sections.order_by("position", "pk"))


@transaction.atomic
def move_section(*, section: Section, offset: int) -> None:
    """Move a section up (-1) or down (+1); its show-if conditions must still look back."""
    survey = _lock_editable(section.survey)
    ordered = list(survey.sections.order_by("position", "pk"))
    i = next(i for i, s in enumerate(ordered) if s.pk == section.pk)
    j = i + offset
    if not 0 <= j < len(ordered):
        return
    ordered[i], ordered[j] = ordered[j], ordered[i]
    _renumber(ordered)
    _check_whole(survey)


# -- questions -------------------------------------------------------------------------------------

QUESTION_FIELDS = (
    "code",
    "type",
    "text",
    "help_text",
    "required",
    "points",
    "bonus",
    "critical",
    "standard",
    "aspect",
    "config",
)
# What start_new_version copies; the standard by id, so that a long survey copies in one query.
_COPIED = (*(f for f in QUESTION_FIELDS if f != "standard"), "standard_id", "show_if", "position")


@dataclass(frozen=True)
class QuestionData:
    code: str
    type: str
    text: str
    help_text: str = ""
    required: bool = False
    points: float = 1.0
    bonus: bool = False
    critical: bool = False
    standard: Standard | None = None
    aspect: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)
    show_if: Mapping[str, Any] | None = None


def _question_checks(
    survey: Survey, data: QuestionData, *, section: Section, position: int, own_pk: int | None
) -> dict[str, Any]:
    """Validate one question exactly as the definition importer does, with errors named by
    field (`config.scale_max`, `show_if.value`)."""
    if data.standard is not None and data.standard.organization_id != survey.organization_id:
        raise ValidationFailed("Please correct the question.", [("standard", "not found")])
    chk = Checker()
    document = {
        "code": data.code,
        "type": data.type,
        "text": data.text,
        "help_text": data.help_text,
        "required": data.required,
        "points": data.points,
        "bonus": data.bonus,
        "critical": data.critical,
        "standard": data.standard.code if data.standard else None,
        "aspect": data.aspect or None,
        "config": config_to_json(data.config),
    }
    standards = {data.standard.code: data.standard} if data.standard else {}
    checked = check_question(chk, document, "", standards=standards)
    others = list(
        survey.questions.exclude(pk=own_pk).select_related("section").order_by("position", "pk")
    )
    if data.aspect and data.aspect not in ASPECTS_BY_KIND.get(survey.kind, {data.aspect: ""}):
        chk.add(
            "aspect",
            f"a {survey.get_kind_display().lower()} has no {data.aspect} aspect: "
            "a mystery shopper's answers are observations",
        )
    if any(q.code.casefold() == data.code.casefold() for q in others):
        chk.add("code", f"another question of this survey already has the code {data.code!r}")
    earlier = {
        q.code: q.spec()
        for q in others
        if (q.section.position, q.position) < (section.position, position)
    }
    show_if = check_show_if(
        chk,
        show_if_to_json(data.show_if),
        "show_if",
        earlier=earlier,
        all_codes={q.code for q in others},
        own_code=data.code,
    )
    if chk.errors:
        raise ValidationFailed("Please correct the question.", chk.errors)
    assert checked is not None
    fields = checked.fields
    fields["standard"] = data.standard
    fields["show_if"] = show_if
    return fields


@transaction.atomic
def add_question(*, section: Section, data: QuestionData) -> Question:
    """Append a question to a section of a draft."""
    survey = _lock_editable(section.survey)
    position = section.questions.count()
    fields = _question_checks(survey, data, section=section, position=position, own_pk=None)
    question = Question.objects.create(survey=survey, section=section, position=position, **fields)
    _check_whole(survey)
    return question


@transaction.atomic
def update_question(*, question: Question, data: QuestionData) -> Question:
    """Change a question; a new code is carried into the conditions that use the old one."""
    survey = _lock_editable(question.survey)
    fields = _question_checks(
        survey, data, section=question.section, position=question.position, own_pk=question.pk
    )
    old_code = question.code
    for name, value in fields.items():
        setattr(question, name, value)
    question.save()
    if fields["code"] != old_code:
        _rename_references(survey, old_code, fields["code"])
    _check_whole(survey)
    return question


def _rename_references(survey: Survey, old: str, new: str) -> None:
    for model, qs in (
        (Section, survey.sections.filter(show_if__question=old)),
        (Question, survey.questions.filter(show_if__question=old)),
    ):
        rows = list(qs)
        for row in rows:
            row.show_if = {**row.show_if, "question": new}
        model.objects.bulk_update(rows, ["show_if"])


@transaction.atomic
def delete_question(*, question: Question) -> None:
    """Delete a question; refused while other conditions use its answer."""
    survey = _lock_editable(question.survey)
    users = _dependents(survey, {question.code})
    if users:
        raise DomainError(
            f"{', '.join(users)} show only depending on {question.code}; change those "
            "conditions first."
        )
    section = question.section
    question.delete()
    _renumber(section.questions.order_by("position", "pk"))


@transaction.atomic
def move_question(*, question: Question, offset: int) -> None:
    """Move a question up (-1) or down (+1); past the edge of its section it moves to the end
    of the previous (or the start of the next) section. Conditions must still look back."""
    survey = _lock_editable(question.survey)
    sections = list(survey.sections.order_by("position", "pk"))
    s_index = next(i for i, s in enumerate(sections) if s.pk == question.section_id)
    siblings = list(sections[s_index].questions.order_by("position", "pk"))
    i = next(i for i, q in enumerate(siblings) if q.pk == question.pk)
    j = i + offset
    if 0 <= j < len(siblings):
        siblings[i], siblings[j] = siblings[j], siblings[i]
        _renumber(siblings)
    else:
        target_index = s_index + (1 if offset > 0 else -1)
        if not 0 <= target_index < len(sections):
            return
        target = sections[target_index]
        siblings.pop(i)
        others = list(target.questions.order_by("position", "pk"))
        moved = [*others, question] if offset < 0 else [question, *others]
        question.section = target
        question.save(update_fields=["section"])
        _renumber(siblings)
        _renumber(moved)
    _check_whole(survey)


def survey_has_responses(survey_ids: Iterable[int]) -> set[int]:
    """Which of these survey versions have responses (one query)."""
    return set(
        Response.objects.filter(survey_id__in=list(survey_ids))
        .values_list("survey_id", flat=True)
        .distinct()
    )


# -- scoring rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RescoreRequest:
    """What change_scoring_rules queued: a re-score of the survey (or one wave of it)."""

    survey_id: int
    wave_id: int | None
    changed: tuple[str, ...]  # the rule fields that changed; empty = nothing queued


_RULE_CHOICES = {
    "na_policy": Survey.NaPolicy.values,
    "critical_scope": Survey.CriticalScope.values,
    "bonus_cap": [True, False],
}


@transaction.atomic
def change_scoring_rules(
    *,
    survey: Survey,
    actor: User | None,
    na_policy: str | None = None,
    bonus_cap: bool | None = None,
    critical_scope: str | None = None,
    wave: Wave | None = None,
) -> RescoreRequest:
    """Change a survey version's scoring rules in place and, after commit, queue the Celery
    task that re-scores its stored responses (all of them, or those of `wave`); rules left
    None stay as they are, and an unchanged rule queues nothing."""
    del actor  # the view checks the capability; there is no audit log to write to yet
    wanted = {"na_policy": na_policy, "bonus_cap": bonus_cap, "critical_scope": critical_scope}
    errors = [
        (name, f"must be one of {', '.join(map(str, _RULE_CHOICES[name]))}")
        for name, value in wanted.items()
        if value is not None and value not in _RULE_CHOICES[name]
    ]
    if errors:
        raise ValidationFailed("The scoring rules are not valid.", errors)
    if wave is not None and wave.organization_id != survey.organization_id:
        raise DomainError("The wave belongs to another organisation.", field="wave")
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    changed = tuple(
        name
        for name, value in wanted.items()
        if value is not None and getattr(locked, name) != value
    )
    if not changed:
        return RescoreRequest(survey.pk, wave.pk if wave else None, ())
    for name in changed:
        setattr(locked, name, wanted[name])
    locked.save(update_fields=list(changed))
    for name in changed:
        setattr(survey, name, wanted[name])
    enqueue_on_commit("surveys.rescore_survey", survey.pk, wave.pk if wave else None)
    return RescoreRequest(survey.pk, wave.pk if wave else None, changed)
