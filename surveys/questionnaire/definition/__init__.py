"""The survey definition JSON: export, validation and import (docs/formats.md).

One validator serves the importer, the builder and publishing, so a survey the builder accepts
exports to a file the importer accepts, and the other way round.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from cxaudit.accounts.models import Organization
from cxaudit.errors import DomainError, ValidationFailed

from ...scoring import SectionSpec, survey_errors
from ..models import Question, Section, Survey, show_if_from_json
from .checks import CheckedSurvey, check_definition, describe_path
from .export import (
    FORMAT,
    FORMAT_VERSION,
    export_filename,
    export_json,
    survey_to_definition,
)
from .parsing import MAX_BYTES, parse_json

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_BYTES",
    "definition_errors",
    "describe_path",
    "export_filename",
    "export_json",
    "import_definition",
    "next_version",
    "parse_json",
    "survey_problems",
    "survey_to_definition",
]


def _section_specs(checked: CheckedSurvey) -> list[SectionSpec]:
    return [
        SectionSpec(
            key=str(i + 1),
            weight=None if sfields["weight"] is None else float(sfields["weight"]),
            show_if=show_if_from_json(sfields["show_if"]),
            questions=tuple(Question(**q).spec() for q in questions),
        )
        for i, (sfields, questions) in enumerate(checked.sections)
    ]


def _all_errors(checked: CheckedSurvey) -> list[tuple[str, str]]:
    errors = list(checked.errors)
    if not errors:
        # The scoring engine's own check, a safety net under the path-naming one.
        errors += [("sections", e) for e in survey_errors(_section_specs(checked))]
    return errors


def definition_errors(data: Any, *, organization: Organization) -> list[tuple[str, str]]:
    """Every problem of a definition document, as (path, reason)."""
    return _all_errors(check_definition(data, organization=organization))


def survey_problems(survey: Survey) -> list[tuple[str, str]]:
    """Every problem of a stored survey version, each as (where, why) in words people read."""
    definition = survey_to_definition(survey)
    return [
        (describe_path(path, definition), reason)
        for path, reason in definition_errors(definition, organization=survey.organization)
    ]


def next_version(organization: Organization, code: str) -> int:
    latest = Survey.objects.for_org(organization).filter(code=code).aggregate(v=Max("version"))
    return (latest["v"] or 0) + 1


def import_definition(*, organization: Organization, data: Any) -> Survey:
    """Create a draft survey from a definition (file bytes, text or parsed JSON); when the code
    exists in the organisation it becomes that code's next version. Writes nothing on error."""
    if isinstance(data, bytes | str):
        data = parse_json(data)
    checked = check_definition(data, organization=organization)
    errors = _all_errors(checked)
    if errors:
        raise ValidationFailed(f"{len(errors)} problem(s) found; nothing was imported.", errors)
    try:
        return _create(organization, checked)
    except IntegrityError as exc:
        # Another import of the same code took the version number first.
        raise DomainError("Another version of this survey was just created; try again.") from exc


@transaction.atomic
def _create(organization: Organization, checked: CheckedSurvey) -> Survey:
    fields = checked.fields
    # Lock the code's versions so that two imports of one code cannot both take version N.
    list(
        Survey.objects.for_org(organization)
        .filter(code=fields["code"])
        .select_for_update()
        .values_list("pk", flat=True)
    )
    survey = Survey.objects.create(
        organization=organization,
        version=next_version(organization, fields["code"]),
        status=Survey.Status.DRAFT,
        **fields,
    )
    sections = Section.objects.bulk_create(
        [
            Section(survey=survey, position=i, **sfields)
            for i, (sfields, _) in enumerate(checked.sections)
        ]
    )
    Question.objects.bulk_create(
        [
            Question(survey=survey, section=section, position=j, **q)
            for section, (_, questions) in zip(sections, checked.sections, strict=True)
            for j, q in enumerate(questions)
        ]
    )
    return survey
