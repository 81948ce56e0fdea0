"""The staff questionnaire builder: surveys, sections, questions, versions and definition JSON."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.errors import DomainError, ValidationFailed

from ..question_types import REGISTRY, QuestionType, max_points
from ..responses.models import Response
from . import definition, services
from .forms import (
    DefinitionUploadForm,
    QuestionForm,
    ScoringRulesForm,
    SectionForm,
    SurveyCreateForm,
    SurveySettingsForm,
    condition_text,
    form_field_for,
)
from .models import Question, Section, Survey


def _count(model, **filters):
    rows = model.objects.filter(survey=OuterRef("pk"), **filters).order_by()
    return Coalesce(Subquery(rows.values("survey").annotate(n=Count("pk")).values("n")), 0)


def _to_detail(request, survey: Survey, anchor: str = ""):
    response = redirect("surveys:survey_detail", org_slug=request.org.slug, pk=survey.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _report(request, form, exc: DomainError) -> None:
    """Put a service's refusal next to the fields it names, or at the top of the form."""
    errors = exc.errors if isinstance(exc, ValidationFailed) and exc.errors else []
    if not errors:
        form.add_error(form_field_for(exc.field, form) if exc.field else None, exc.message)
    for where, why in errors:
        field = form_field_for(where, form)
        form.add_error(field, why if field else f"{where}: {why}")


def _survey(request, pk) -> Survey:
    return get_for_org(Survey, request.org, pk=pk)


def _frozen(request, survey: Survey):
    """Send an edit page of a frozen version back to the survey, saying why and what to do."""
    reason = services.editability(survey)
    if reason is None:
        return None
    messages.info(request, reason)
    return _to_detail(request, survey)


# -- surveys -------------------------------------------------------------------------------------


@require_GET
@org_view(Cap.VIEW_SURVEYS)
def survey_list(request):
    surveys = (
        Survey.objects.for_org(request.org)
        .annotate(question_count=_count(Question), response_count=_count(Response))
        .order_by("code", "-version")
    )
    return render(
        request, "surveys/builder/survey_list.html", {"org": request.org, "surveys": surveys}
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_SURVEYS)
@submit_once
def survey_create(request):
    form = SurveyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.create_survey(organization=request.org, **form.cleaned_data)
        except DomainError as exc:
            _report(request, form, exc)
        else:
            messages.success(request, f"Survey “{survey.title}” created. Add its first section.")
            return _to_detail(request, survey)
    return render(request, "surveys/builder/survey_form.html", {"org": request.org, "form": form})


@require_GET
@org_view(Cap.VIEW_SURVEYS)
def survey_detail(request, pk):
    survey = get_for_org(
        Survey.objects.prefetch_related(
            Prefetch(
                "sections",
                queryset=Section.objects.order_by("position", "pk").prefetch_related(
                    Prefetch(
                        "questions",
                        queryset=Question.objects.select_related("standard").order_by(
                            "position", "pk"
                        ),
                    )
                ),
            )
        ),
        request.org,
        pk=pk,
    )
    versions = list(
        Survey.objects.for_org(request.org)
        .filter(code=survey.code)
        .annotate(response_count=_count(Response))
        .order_by("-version")
    )
    response_count = next(v.response_count for v in versions if v.pk == survey.pk)
    locked_reason = services.editability(survey, has_responses=response_count > 0)
    sections = list(survey.sections.all())
    _describe(sections)
    context = {
        "org": request.org,
        "survey": survey,
        "sections": sections,
        "question_count": sum(len(s.questions.all()) for s in sections),
        "versions": versions,
        "response_count": response_count,
        "editable": locked_reason is None,
        "locked_reason": locked_reason,
        "draft": next((v for v in versions if v.status == Survey.Status.DRAFT), None),
    }
    return render(request, "surveys/builder/survey_detail.html", context)


def _describe(sections: list[Section]) -> None:
    """Attach what the structure page shows of each question (no queries)."""
    questions = [q for s in sections for q in s.questions.all()]
    for s in sections:
        s.condition_text = condition_text(s.show_if)
    for i, q in enumerate(questions):
        spec = q.spec()
        q.type_label = REGISTRY[QuestionType(q.type)].label
        q.possible = max_points(spec)
        q.condition_text = condition_text(q.show_if)
        q.is_first, q.is_last = i == 0, i == len(questions) - 1


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_SURVEYS)
def survey_settings(request, pk):
    survey = _survey(request, pk)
    if frozen := _frozen(request, survey):
        return frozen
    form = SurveySettingsForm(request.POST or None, instance=Survey(**_settings_of(survey)))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_survey_settings(
                survey=survey, **{f: form.cleaned_data[f] for f in SurveySettingsForm.Meta.fields}
            )
        except DomainError as exc:
            _report(request, form, exc)
        else:
            messages.success(request, "Survey settings saved.")
            return _to_detail(request, survey)
    return render(
        request,
        "surveys/builder/survey_settings.html",
        {"org": request.org, "survey": survey, "form": form},
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_SURVEYS)
def survey_scoring(request, pk):
    """Change the scoring rules of a version, published or not, and re-score its responses in
    the background (a rule change applies to every response of the version alike)."""
    survey = _survey(request, pk)
    form = ScoringRulesForm(request.POST or None, instance=Survey(**_settings_of(survey)))
    responses = Response.objects.filter(survey=survey, status=Response.Status.SUBMITTED).count()
    if request.method == "POST" and form.is_valid():
        try:
            result = services.change_scoring_rules(
                survey=survey,
                actor=request.user,
                **{f: form.cleaned_data[f] for f in ScoringRulesForm.Meta.fields},
            )
        except DomainError as exc:
            _report(request, form, exc)
        else:
            if not result.changed:
                messages.info(request, "The scoring rules are unchanged; nothing to re-score.")
            else:
                names = ", ".join(str(form.fields[f].label) for f in result.changed)
                messages.success(
                    request,
                    f"Scoring rules changed ({names}). "
                    + (
                        f"Re-scoring {responses} response{'s' if responses != 1 else ''} in "
                        "the background; their scores change when it finishes."
                        if responses
                        else "No responses to re-score yet."
                    ),
                )
            return _to_detail(request, survey)
    return render(
        request,
        "surveys/builder/survey_scoring.html",
        {"org": request.org, "survey": survey, "form": form, "response_count": responses},
    )


def _settings_of(survey: Survey) -> dict:
    return {name: getattr(survey, name) for name in services.SETTING_FIELDS}


def _transition(request, pk, service, done: str):
    survey = _survey(request, pk)
    try:
        result = service(survey=survey)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        for where, why in exc.errors[:20]:
            messages.error(request, f"{where}: {why}")
        return _to_detail(request, survey)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _to_detail(request, survey)
    messages.success(request, done.format(v=result.version))
    return _to_detail(request, result)


@require_POST
@org_view(Cap.EDIT_SURVEYS)
@submit_once
def survey_publish(request, pk):
    return _transition(
        request,
        pk,
        services.publish_survey,
        "Version {v} is published; the previously published version (if any) is archived.",
    )


@require_POST
@org_view(Cap.EDIT_SURVEYS)
def survey_unpublish(request, pk):
    return _transition(
        request, pk, services.return_to_draft, "Version {v} is a draft again; you can edit it."
    )


@require_POST
@org_view(Cap.EDIT_SURVEYS)
def survey_archive(request, pk):
    return _transition(request, pk, services.archive_survey, "Version {v} is archived.")


@require_POST
@org_view(Cap.EDIT_SURVEYS)
@submit_once
def survey_new_version(request, pk):
    survey = _survey(request, pk)
    draft = services.draft_of(survey)
    if draft is not None:
        messages.info(request, f"Version {draft.version} is already a draft; edit it here.")
        return _to_detail(request, draft)
    return _transition(
        request,
        pk,
        services.start_new_version,
        "Draft version {v} created as a copy; responses keep the version they answered.",
    )


@require_GET
@org_view(Cap.VIEW_SURVEYS)
def survey_export(request, pk):
    survey = _survey(request, pk)
    response = HttpResponse(
        definition.export_json(survey), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{definition.export_filename(survey)}"'
    return response


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_SURVEYS)
@submit_once
def survey_import(request):
    form = DefinitionUploadForm(request.POST or None, request.FILES or None)
    errors: list[tuple[str, str, str]] = []
    error_total = 0
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        try:
            survey = definition.import_definition(organization=request.org, data=raw)
        except ValidationFailed as exc:
            errors = _described(raw, exc.errors)  # listed in the page's error box
            error_total = exc.total
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            note = (
                f" It is version {survey.version} of “{survey.code}”, a draft; the earlier "
                "versions are unchanged."
                if survey.version > 1
                else " It is a draft."
            )
            messages.success(request, f"Survey “{survey.title}” imported.{note}")
            return _to_detail(request, survey)
    return render(
        request,
        "surveys/builder/survey_import.html",
        {"org": request.org, "form": form, "errors": errors, "error_total": error_total},
    )


def _described(raw: bytes, errors: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    try:
        document = definition.parse_json(raw)
    except ValidationFailed:
        document = None
    return [(path, definition.describe_path(path, document), why) for path, why in errors]


# -- sections ------------------------------------------------------------------------------------


def _earlier_questions(survey: Survey, *, before_section: int, before_question: int | None):
    qs = survey.questions.select_related("section").order_by("section__position", "position")
    return [
        q
        for q in qs
        if q.section.position < before_section
        or (
            before_question is not None
            and q.section.position == before_section
            and q.position < before_question
        )
    ]


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_SURVEYS)
@submit_once
def section_edit(request, pk, section_pk=None):
    survey = _survey(request, pk)
    if frozen := _frozen(request, survey):
        return frozen
    section = (
        get_for_org(Section.objects.filter(survey=survey), request.org, pk=section_pk)
        if section_pk
        else None
    )
    position = section.position if section else survey.sections.count()
    earlier = _earlier_questions(survey, before_section=position, before_question=None)
    form = SectionForm(request.POST or None, earlier=earlier, section=section)
    if request.method == "POST" and form.is_valid():
        try:
            if section is None:
                section = services.add_section(survey=survey, data=form.to_data())
            else:
                services.update_section(section=section, data=form.to_data())
        except DomainError as exc:
            _report(request, form, exc)
        else:
            messages.success(request, f"Section “{section.title}” saved.")
            return _to_detail(request, survey, f"section-{section.pk}")
    return render(
        request,
        "surveys/builder/section_form.html",
        {"org": request.org, "survey": survey, "section": section, "form": form},
    )


@require_POST
@org_view(Cap.EDIT_SURVEYS)
def section_delete(request, pk, section_pk):
    survey = _survey(request, pk)
    section = get_for_org(Section.objects.filter(survey=survey), request.org, pk=section_pk)
    try:
        services.delete_section(section=section)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Section “{section.title}” deleted.")
    return _to_detail(request, survey)


@require_POST
@org_view(Cap.EDIT_SURVEYS)
@submit_once
def section_move(request, pk, section_pk):
    survey = _survey(request, pk)
    section = get_for_org(Section.objects.filter(survey=survey), request.org, pk=section_pk)
    _move(request, services.move_section, section=section)
    return _to_detail(request, survey, f"section-{section.pk}")


def _move(request, service, **target) -> None:
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, "Choose up or down.")
        return
    try:
        service(offset=offset, **target)
    except ValidationFailed as exc:
        messages.error(request, "That move would break a show-if condition; nothing was moved.")
        for where, why in exc.errors[:5]:
            messages.error(request, f"{where}: {why}")
    except DomainError as exc:
        messages.error(request, exc.message)


# -- questions -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_SURVEYS)
@submit_once
def question_edit(request, pk, section_pk=None, question_pk=None):
    survey = _survey(request, pk)
    if frozen := _frozen(request, survey):
        return frozen
    question = None
    if question_pk is not None:
        question = get_for_org(
            Question.objects.filter(survey=survey).select_related("section"),
            request.org,
            pk=question_pk,
        )
        section = question.section
        position = question.position
    else:
        section = get_for_org(Section.objects.filter(survey=survey), request.org, pk=section_pk)
        position = section.questions.count()
    earlier = _earlier_questions(survey, before_section=section.position, before_question=position)
    form = QuestionForm(
        request.POST or None,
        organization=request.org,
        earlier=earlier,
        question=question,
        kind=survey.kind,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if question is None:
                question = services.add_question(section=section, data=form.to_data())
            else:
                services.update_question(question=question, data=form.to_data())
        except DomainError as exc:
            _report(request, form, exc)
        else:
            messages.success(request, f"Question {question.code} saved.")
            if "save_add" in request.POST:
                return redirect(
                    "surveys:question_create",
                    org_slug=request.org.slug,
                    pk=survey.pk,
                    section_pk=section.pk,
                )
            return _to_detail(request, survey, f"question-{question.pk}")
    return render(
        request,
        "surveys/builder/question_form.html",
        {
            "org": request.org,
            "survey": survey,
            "section": section,
            "question": question,
            "form": form,
        },
    )


def _question(request, survey: Survey, question_pk) -> Question:
    return get_for_org(Question.objects.filter(survey=survey), request.org, pk=question_pk)


@require_POST
@org_view(Cap.EDIT_SURVEYS)
def question_delete(request, pk, question_pk):
    survey = _survey(request, pk)
    question = _question(request, survey, question_pk)
    try:
        services.delete_question(question=question)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Question {question.code} deleted.")
    return _to_detail(request, survey)


@require_POST
@org_view(Cap.EDIT_SURVEYS)
@submit_once
def question_move(request, pk, question_pk):
    survey = _survey(request, pk)
    question = _question(request, survey, question_pk)
    _move(request, services.move_question, question=question)
    return _to_detail(request, survey, f"question-{question.pk}")
