"""Recording and scoring responses: the one path by which answers enter cxaudit, whether typed
into the form engine, imported from CSV or re-scored after a rule change."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from cxaudit.accounts.models import Location, User
from cxaudit.errors import DomainError, ValidationFailed
from cxaudit.journeys.models import Wave
from cxaudit.textinput import text_problem
from cxaudit.webhooks.events import RESPONSE_SUBMITTED
from cxaudit.webhooks.services import emit

from ..cleaning import clean_answer
from ..question_types import UNANSWERED, AnswerError, CleanValue, agrees, native, normalise
from ..questionnaire.models import Aspect, Question, Survey
from ..questionnaire.structure import Structure, load_structure
from ..scoring import ResponseScore, score_response, visible_codes
from .evidence import EvidenceRejected, clean_upload
from .models import Answer, Evidence, Response, Source


@dataclass(frozen=True)
class CleanSubmission:
    answers: dict[str, CleanValue]  # visible questions only
    visible: set[str]


def clean_submission(
    structure: Structure, raw: Mapping[str, Any], *, partial: bool = False
) -> CleanSubmission:
    """Clean every raw answer, apply skip logic and discard answers to hidden questions.

    Raises ValidationFailed listing (question code, reason) for every problem: unknown
    questions (a forged form), malformed values and, unless `partial`, missing required answers.
    """
    errors: list[tuple[str, str]] = []
    unknown = sorted(set(raw) - set(structure.questions))
    if unknown:
        # One line however many were forged (a post may carry up to 2,000 fields).
        shown = ", ".join(repr(code[:40]) for code in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        errors.append(("", f"{len(unknown)} field(s) not a question of this survey: {shown}{more}"))
    cleaned: dict[str, CleanValue] = {}
    for code, question in structure.questions.items():
        try:
            cleaned[code] = clean_answer(question.spec(), raw.get(code), enforce_required=False)
        except AnswerError as exc:
            errors.append((code, exc.message))
            cleaned[code] = UNANSWERED
    visible = visible_codes(structure.sections, cleaned)
    if not partial:
        for code in visible:
            q = structure.questions[code]
            if q.required and not cleaned[code].answered:
                errors.append((code, "an answer is required"))
    if errors:
        order = {code: i for i, code in enumerate(structure.questions)}
        errors.sort(key=lambda e: order.get(e[0], -1))
        raise ValidationFailed(f"{len(errors)} answer(s) need attention.", errors)
    return CleanSubmission(
        answers={code: v for code, v in cleaned.items() if code in visible and v.answered},
        visible=visible,
    )


def answer_rows(
    response: Response, structure: Structure, submission: CleanSubmission
) -> list[Answer]:
    """The Answer rows (not saved) of a cleaned submission, with the copies from the response
    and question and the derived values (0-100, agreement, SERVQUAL pairs); submission, the CSV
    import and the demo seed all store answers through it."""
    rows = []
    for code, value in submission.answers.items():
        q = structure.questions[code]
        spec = q.spec()
        rows.append(
            Answer(
                response=response,
                question=q,
                organization_id=response.organization_id,
                standard_id=q.standard_id,
                aspect=q.aspect,
                source=response.source,
                wave_id=response.wave_id,
                location_id=response.location_id,
                submitted_at=response.submitted_at,
                value=value.to_json(),
                is_na=value.is_na,
                value_num=native(spec, value),
                value_100=normalise(spec, value),
                agrees=agrees(spec, value),
                counted=response.counted,
            )
        )
    mark_pairs(rows)
    return rows


def mark_pairs(answers: Iterable[Answer]) -> None:
    """Set ``pair_diff_100`` on answers about to be stored: per customer response and standard
    answered in both aspects, the first expectation answer with a 0-100 value carries the mean
    perception minus the mean expectation (a blank aspect is a perception); the others keep
    None. Run by answer_rows, so submission, CSV import and the demo seed all store it."""
    # (response, standard) -> [carrier, perception sum, count, expectation sum, count]
    groups: dict[tuple[int, int], list[Any]] = {}
    for a in answers:
        a.pair_diff_100 = None
        if a.source != Source.CUSTOMER or a.standard_id is None or a.value_100 is None:
            continue
        group = groups.setdefault((a.response_id, a.standard_id), [None, 0.0, 0, 0.0, 0])
        if a.aspect == Aspect.EXPECTATION:
            group[0] = group[0] or a
            group[3] += a.value_100
            group[4] += 1
        else:
            group[1] += a.value_100
            group[2] += 1
    for carrier, sp, np, se, ne in groups.values():
        if np and ne:
            carrier.pair_diff_100 = sp / np - se / ne


def stored_score(score: ResponseScore) -> dict[str, Any]:
    """The Response fields that hold a score (all but scored_at); surveys.responses.rescoring
    writes the same values in bulk."""
    return {
        "score_earned": score.earned,
        "score_possible": score.possible,
        "score_percent": score.percent,
        "knocked_out": score.knocked_out or any(s.knocked_out for s in score.sections),
        # Section level only: items are derived on demand by explain_response().
        "score_detail": {
            "method": score.method,
            "knocked_out": score.knocked_out,
            "sections": [
                {k: v for k, v in section.to_dict().items() if k != "items"}
                for section in score.sections
            ],
        },
    }


def store_score(response: Response, score: ResponseScore) -> None:
    """Set a score's stored fields and scored_at on `response` (not saved)."""
    for field, value in stored_score(score).items():
        setattr(response, field, value)
    response.scored_at = timezone.now()


def answer_values(response: Response, structure: Structure) -> dict[str, CleanValue]:
    """The stored answers of a submitted response, cleaned back into values."""
    by_pk = {q.pk: q for q in structure.questions.values()}
    values = {}
    for question_id, value in response.answers.values_list("question_id", "value"):
        q = by_pk[question_id]
        values[q.code] = clean_answer(q.spec(), value, enforce_required=False)
    return values


def explain_response(response: Response, structure: Structure | None = None) -> ResponseScore:
    """The full, item-by-item score of a submitted response (for the report card)."""
    structure = structure or load_structure(response.survey)
    values = answer_values(response, structure)
    visible = visible_codes(structure.sections, values)
    return score_response(structure.rules, structure.sections, values, visible)


def _check_context(survey: Survey, location: Location | None, wave: Wave | None) -> None:
    org_id = survey.organization_id
    if location is not None and location.organization_id != org_id:
        raise DomainError("The location belongs to another organisation.", field="location")
    if wave is not None and wave.organization_id != org_id:
        raise DomainError("The wave belongs to another organisation.", field="wave")


def submit_response(
    *,
    response: Response,
    raw_answers: Mapping[str, Any],
    submitted_at: datetime | None = None,
    structure: Structure | None = None,
) -> Response:
    """Turn a draft into a submitted, scored response with its answers; a replay of an already
    submitted response returns it unchanged (idempotent). Invalid answers raise ValidationFailed
    and the typed values stay saved in the draft, so nothing typed is lost."""
    structure = structure or load_structure(response.survey)
    try:
        submission = clean_submission(structure, raw_answers)
    except ValidationFailed:
        Response.objects.filter(pk=response.pk, status=Response.Status.DRAFT).update(
            draft=draft_answers(structure, raw_answers), updated_at=timezone.now()
        )
        raise
    with transaction.atomic():
        locked = Response.objects.select_for_update().get(pk=response.pk)
        if locked.status == Response.Status.SUBMITTED:
            return locked
        _check_context(structure.survey, locked.location, locked.wave)
        locked.status = Response.Status.SUBMITTED
        locked.submitted_at = submitted_at or timezone.now()
        locked.draft = {}
        score = score_response(
            structure.rules, structure.sections, submission.answers, submission.visible
        )
        store_score(locked, score)
        locked.save()
        Answer.objects.bulk_create(answer_rows(locked, structure, submission))
        emit(locked.organization_id, RESPONSE_SUBMITTED, {"response": webhook_payload(locked)})
    return locked


def webhook_payload(response: Response) -> dict[str, Any]:
    """What the response.submitted webhook says about a response (no answers: ids to fetch
    them by, and the score)."""
    return {
        "id": response.pk,
        "client_id": response.client_id,
        "survey_id": response.survey_id,
        "source": response.source,
        "location_id": response.location_id,
        "wave_id": response.wave_id,
        "submitted_at": response.submitted_at,
        "score_percent": response.score_percent,
        "knocked_out": response.knocked_out,
    }


def record_many(
    items: Iterable[tuple[uuid.UUID, dict[str, Any]]],
    structure: Structure,
    *,
    source: str,
    counted: bool = True,
) -> list[Response]:
    """Write many submitted responses of one survey version in bulk, cleaned, scored and turned
    into answer rows by the same functions as record_response (for seeds and generators: one
    record_response per response costs most of their time). `items` are (client id, fields)
    with the raw answers under "raw_answers" and Response fields (location, wave, respondent,
    respondent_ref, submitted_at) beside them; a client id already stored is skipped. Raises
    ValidationFailed on an invalid response. Returns the responses written, with their keys."""
    survey = structure.survey
    items = list(items)
    taken = set(
        Response.objects.filter(client_id__in=[cid for cid, _ in items]).values_list(
            "client_id", flat=True
        )
    )
    batch: list[tuple[Response, CleanSubmission]] = []
    for client_id, fields in items:
        if client_id in taken:
            continue
        fields = dict(fields)
        submission = clean_submission(structure, fields.pop("raw_answers"))
        response = Response(
            organization_id=survey.organization_id,
            survey=survey,
            source=source,
            status=Response.Status.SUBMITTED,
            client_id=client_id,
            draft={},
            counted=counted,
            **fields,
        )
        score = score_response(
            structure.rules, structure.sections, submission.answers, submission.visible
        )
        store_score(response, score)
        batch.append((response, submission))
    Response.objects.bulk_create([response for response, _ in batch])
    Answer.objects.bulk_create(
        [a for response, sub in batch for a in answer_rows(response, structure, sub)],
        batch_size=5000,
    )
    return [response for response, _ in batch]


def record_response(
    *,
    survey: Survey,
    source: str,
    raw_answers: Mapping[str, Any],
    client_id: uuid.UUID | None = None,
    location: Location | None = None,
    wave: Wave | None = None,
    respondent: User | None = None,
    respondent_ref: str = "",
    submitted_at: datetime | None = None,
    structure: Structure | None = None,
) -> Response:
    """Create and submit a response in one step (imports, API); idempotent on `client_id`."""
    if source not in Source.values:
        raise DomainError(f"Unknown source {source!r}.", field="source")
    client_id = client_id or uuid.uuid4()
    existing = Response.objects.filter(client_id=client_id).first()
    if existing is not None:
        return _replay(existing, survey)
    try:
        with transaction.atomic():
            response = Response.objects.create(
                organization_id=survey.organization_id,
                survey=survey,
                source=source,
                client_id=client_id,
                location=location,
                wave=wave,
                respondent=respondent,
                respondent_ref=respondent_ref,
            )
            return submit_response(
                response=response,
                raw_answers=raw_answers,
                submitted_at=submitted_at,
                structure=structure,
            )
    except IntegrityError:
        # The same client id won a race in another request: return that one.
        existing = Response.objects.filter(client_id=client_id).first()
        if existing is None:
            raise
        return _replay(existing, survey)


def _replay(existing: Response, survey: Survey) -> Response:
    if existing.survey_id != survey.pk:
        raise DomainError("This submission id was already used for another survey.")
    return existing


@transaction.atomic
def save_draft(*, response: Response, raw_answers: Mapping[str, Any]) -> Response:
    """Store what the respondent has typed so far (no validation); a submitted response is
    left untouched."""
    updated = Response.objects.filter(pk=response.pk, status=Response.Status.DRAFT).update(
        draft=dict(raw_answers), updated_at=timezone.now()
    )
    if not updated:
        raise DomainError("This form was already submitted.")
    response.refresh_from_db(fields=["draft", "updated_at"])
    return response


def rescore_responses(*, responses: Iterable[Response], structure: Structure) -> int:
    """Re-score submitted responses of one survey version from their stored answers (after a
    rule change); returns how many were re-scored. One response at a time: the bulk path for a
    whole wave is surveys.responses.rescoring."""
    count = 0
    for response in responses:
        store_score(response, explain_response(response, structure))
        response.save(
            update_fields=[
                "score_earned",
                "score_possible",
                "score_percent",
                "knocked_out",
                "score_detail",
                "scored_at",
            ]
        )
        count += 1
    return count


# -- the form engine: starting drafts, saving what is typed, evidence ------------------------------
# (Used by surveys.responses.views; assignments, invitations and self-assessment rounds start
# their drafts with start_response and hand them to the engine.)


@transaction.atomic
def start_response(
    *,
    survey: Survey,
    source: str,
    respondent: User | None = None,
    location: Location | None = None,
    wave: Wave | None = None,
    respondent_ref: str = "",
    client_id: uuid.UUID | None = None,
    counted: bool = True,
) -> Response:
    """Create a draft response of a published survey (idempotent on `client_id`); `counted`
    False for a response that needs approval before it counts (a mystery shop's visit)."""
    if source not in Source.values:
        raise DomainError(f"Unknown source {source!r}.", field="source")
    if not survey.is_published:
        raise DomainError("Only a published survey can be answered.", field="survey")
    _check_context(survey, location, wave)
    if client_id is not None:
        existing = Response.objects.filter(client_id=client_id).first()
        if existing is not None:
            if existing.survey_id != survey.pk or existing.respondent_id != (
                respondent.pk if respondent else None
            ):
                raise DomainError("This form id is already in use.")
            return existing
    return Response.objects.create(
        organization_id=survey.organization_id,
        survey=survey,
        source=source,
        respondent=respondent,
        respondent_ref=respondent_ref,
        location=location,
        wave=wave,
        client_id=client_id or uuid.uuid4(),
        counted=counted,
    )


# What a draft may hold per question: enough for the longest text answer, nothing unbounded.
DRAFT_VALUE_MAX = 6000
DRAFT_LIST_MAX = 200
# Files uploaded for one file question of one draft (replacing a photo uploads a new one).
EVIDENCE_PER_QUESTION_MAX = 20


def draft_refusals(structure: Structure, raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(question code, reason) of each typed value a draft cannot keep: text that breaks
    cxaudit.textinput's rules (a NUL or another control character), as every input does."""
    refused = []
    for code in structure.questions:
        value = raw.get(code)
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if v is not None and (problem := text_problem(str(v))):
                refused.append((code, problem))
                break
    return refused


def draft_answers(structure: Structure, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The part of typed answers worth keeping as a draft: known questions shown by skip logic
    (evaluated on the server), values bounded in size, invalid values kept as typed, except
    text that breaks cxaudit.textinput's rules (see draft_refusals), which is left out."""
    refused = {code for code, _ in draft_refusals(structure, raw)}
    kept: dict[str, Any] = {}
    for code in structure.questions:
        value = raw.get(code)
        if code in refused:
            continue
        if isinstance(value, list | tuple):
            value = [str(v)[:DRAFT_VALUE_MAX] for v in value[:DRAFT_LIST_MAX]]
        elif value is not None:
            value = str(value)[:DRAFT_VALUE_MAX]
        if value not in (None, "", []):
            kept[code] = value
    cleaned: dict[str, CleanValue] = {}
    for code, value in kept.items():
        try:
            cleaned[code] = clean_answer(
                structure.questions[code].spec(), value, enforce_required=False
            )
        except AnswerError:
            cleaned[code] = UNANSWERED
    try:
        visible = visible_codes(structure.sections, cleaned)
    except ValueError:  # a broken condition in the definition: keep everything typed
        return kept
    return {code: value for code, value in kept.items() if code in visible}


def save_form_draft(*, response: Response, raw_answers: Mapping[str, Any]) -> Response:
    """Autosave: store the visible, size-bounded part of what was typed (see draft_answers)."""
    structure = load_structure(response.survey)
    return save_draft(response=response, raw_answers=draft_answers(structure, raw_answers))


def evidence_errors(
    *, response: Response, structure: Structure, raw_answers: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """File answers must name evidence uploaded to this response for that very question."""
    wanted = {
        code: str(raw_answers[code]).strip()
        for code, q in structure.questions.items()
        if q.type == "file" and isinstance(raw_answers.get(code), str) and raw_answers[code].strip()
    }
    if not wanted:
        return []
    found = {
        (code, str(key))
        for code, key in Evidence.objects.filter(
            response=response, question__code__in=list(wanted)
        ).values_list("question__code", "key")
    }
    return [
        (code, "the uploaded file was not found; upload it again")
        for code, key in wanted.items()
        if (code, key) not in found
    ]


def check_form_submission(*, response: Response, raw_answers: Mapping[str, Any]) -> Structure:
    """Check a form engine submission without submitting it: file answers name evidence of this
    response, every answer is valid and every visible required one is given. On a problem the
    typed answers are kept in the draft and ValidationFailed lists them; otherwise the survey's
    structure is returned for submit_response. (A caller that must change other rows in the
    submission's transaction, such as a mystery shop's assignment, checks first with this.)"""
    structure = load_structure(response.survey)
    raw = dict(raw_answers)
    problems = evidence_errors(response=response, structure=structure, raw_answers=raw)
    try:
        submission_errors = []
        clean_submission(structure, raw)
    except ValidationFailed as exc:
        submission_errors = exc.errors
    if problems or submission_errors:
        Response.objects.filter(pk=response.pk, status=Response.Status.DRAFT).update(
            draft=draft_answers(structure, raw), updated_at=timezone.now()
        )
        order = {code: i for i, code in enumerate(structure.questions)}
        errors = sorted([*submission_errors, *problems], key=lambda e: order.get(e[0], -1))
        raise ValidationFailed(f"{len(errors)} answer(s) need attention.", errors)
    return structure


def submit_form(*, response: Response, raw_answers: Mapping[str, Any]) -> Response:
    """Submit from the form engine: checks file answers, then submit_response (idempotent; on
    invalid answers ValidationFailed is raised and the typed answers stay in the draft)."""
    if response.status == Response.Status.SUBMITTED:
        return response
    structure = check_form_submission(response=response, raw_answers=raw_answers)
    return submit_response(response=response, raw_answers=dict(raw_answers), structure=structure)


def stored_raw_answers(response: Response) -> dict[str, Any]:
    """A submitted response's answers in the form a draft holds (their canonical JSON values,
    which the form engine shows and clean_answer reads back)."""
    return {
        code: value
        for code, value in response.answers.values_list("question__code", "value")
        if value is not None
    }


def reopen_response(*, response: Response) -> Response:
    """Turn a submitted response back into a draft holding its answers (a mystery shop returned
    to its shopper for edits): its answers and score are removed until it is submitted again,
    its evidence stays. Only for responses that do not count (an uncounted shop); runs in the
    caller's transaction."""
    if response.counted:
        raise DomainError("A response that counts in the analysis cannot be reopened.")
    raw = stored_raw_answers(response)
    response.answers.all().delete()
    fields = {
        "status": Response.Status.DRAFT,
        "draft": raw,
        "submitted_at": None,
        "score_earned": None,
        "score_possible": None,
        "score_percent": None,
        "knocked_out": False,
        "score_detail": None,
        "scored_at": None,
    }
    Response.objects.filter(pk=response.pk).update(**fields, updated_at=timezone.now())
    for name, value in fields.items():
        setattr(response, name, value)
    return response


def rewrite_answers(*, response: Response, raw_answers: Mapping[str, Any]) -> Response:
    """Replace a submitted response's answers with `raw_answers` and re-score it (a reviewer
    correcting a mystery shop before it counts): cleaned, skip logic applied and derived values
    recomputed exactly as on submission. Raises ValidationFailed naming every problem and
    changes nothing then; only for responses that do not count. Runs in the caller's
    transaction."""
    if response.counted:
        raise DomainError("A response that counts in the analysis cannot be edited.")
    if response.status != Response.Status.SUBMITTED:
        raise DomainError("Only a submitted response can be corrected.")
    structure = load_structure(response.survey)
    raw = dict(raw_answers)
    problems = evidence_errors(response=response, structure=structure, raw_answers=raw)
    if problems:
        raise ValidationFailed(f"{len(problems)} answer(s) need attention.", problems)
    submission = clean_submission(structure, raw)
    response.answers.all().delete()
    Answer.objects.bulk_create(answer_rows(response, structure, submission))
    store_score(
        response,
        score_response(structure.rules, structure.sections, submission.answers, submission.visible),
    )
    response.save(
        update_fields=[
            "score_earned",
            "score_possible",
            "score_percent",
            "knocked_out",
            "score_detail",
            "scored_at",
            "updated_at",
        ]
    )
    return response


def count_response(*, response: Response) -> None:
    """Make a submitted response count in the analysis (a mystery shop being approved): the
    response and its answers' copy of the flag, in the caller's transaction."""
    if response.status != Response.Status.SUBMITTED:
        raise DomainError("Only a submitted response can count.")
    # updated_at moves: the API's "updated since" sync must see that it now counts.
    Response.objects.filter(pk=response.pk).update(counted=True, updated_at=timezone.now())
    Answer.objects.filter(response=response).update(counted=True)
    response.counted = True


@transaction.atomic
def attach_evidence(*, response: Response, question: Question, upload: Any) -> Any:
    """Check and store an uploaded file as evidence for a file question of a draft response
    (images re-encoded, see surveys.responses.evidence); raises EvidenceRejected or DomainError."""
    if question.survey_id != response.survey_id or question.type != "file":
        raise DomainError("This question does not take a file.", field="question")
    if response.status != Response.Status.DRAFT:
        raise DomainError("This form was already submitted.")
    if (
        Evidence.objects.filter(response=response, question=question).count()
        >= EVIDENCE_PER_QUESTION_MAX
    ):
        # Each upload is kept until the form is submitted; a bound keeps one draft from
        # filling the disk with a loop of uploads.
        raise EvidenceRejected(
            f"This question already has {EVIDENCE_PER_QUESTION_MAX} uploaded files; "
            "submit the form or start again to upload another."
        )
    clean = clean_upload(
        upload,
        int(getattr(upload, "size", 0) or 0),
        keep_location=response.survey.keep_photo_location,
    )
    evidence = Evidence(
        organization_id=response.organization_id,
        response=response,
        question=question,
        content_type=clean.content_type,
        size=len(clean.content),
        original_name=str(getattr(upload, "name", "") or "")[:255],
        width=clean.width,
        height=clean.height,
        gps_lat=clean.gps_lat,
        gps_lon=clean.gps_lon,
        content_hash=clean.content_hash,
        taken_at=clean.taken_at,
    )
    evidence.file.save(f"upload.{clean.extension}", ContentFile(clean.content), save=False)
    evidence.save()
    return evidence
