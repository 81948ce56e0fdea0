"""Property tests of the form engine's validation: whatever is posted for each question type,
reading and cleaning it gives answers or a ValidationFailed listing messages, never a crash; and
values the widgets can produce are accepted."""

import datetime as dt

from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from cxaudit.errors import ValidationFailed
from surveys.models import Question, Section, Survey
from surveys.questionnaire.structure import Structure
from surveys.responses.forms import raw_from_post
from surveys.responses.services import clean_submission
from surveys.scoring import SectionSpec, SurveyScoringRules

QUESTIONS = [
    ("yn", "yes_no", {}),
    ("yna", "yes_no_na", {}),
    ("rate", "rating", {"scale_min": 1, "scale_max": 7}),
    ("nps", "nps", {}),
    ("csat", "csat", {}),
    ("ces", "ces", {}),
    (
        "one",
        "single_choice",
        {"options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
    ),
    (
        "many",
        "multi_choice",
        {"options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}]},
    ),
    ("num", "number", {"allow_na": True}),
    ("dur", "duration", {}),
    ("when", "datetime", {}),
    ("short", "short_text", {}),
    ("long", "long_text", {}),
]


def _structure() -> Structure:
    survey = Survey(pk=1, organization_id=1, code="p", title="P", kind="customer")
    section = Section(pk=1, survey=survey, title="S")
    questions = {
        code: Question(
            survey=survey,
            section=section,
            code=code,
            type=qtype,
            text=code,
            config=config,
            required=True,
        )
        for code, qtype, config in QUESTIONS
    }
    specs = (SectionSpec(key="1", questions=tuple(q.spec() for q in questions.values())),)
    return Structure(survey=survey, sections=specs, questions=questions, rules=SurveyScoringRules())


STRUCTURE = _structure()
junk = st.text(max_size=300) | st.sampled_from(["NA", "n/a", "1e999", "nan", "-0", "١", "\x00"])


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([f"q-{c}" for c, _, _ in QUESTIONS] + ["q-zz", "x"]),
        st.lists(junk, max_size=3),
        max_size=15,
    )
)
def test_any_posted_values_clean_or_fail_with_messages(posted):
    data = QueryDict(mutable=True)
    for name, values in posted.items():
        data.setlist(name, values)
    raw = raw_from_post(data, STRUCTURE)
    try:
        clean_submission(STRUCTURE, raw)
    except ValidationFailed as exc:
        assert exc.errors and all(isinstance(m, str) and m for _, m in exc.errors)
    # The form can always be rendered again with what was typed.
    for section in _render(raw):
        assert section


def _render(raw):
    fields = []
    from surveys.responses.forms import build_field

    for code, q in STRUCTURE.questions.items():
        fields.append(build_field(q, raw.get(code), "err"))
    return fields


valid = st.fixed_dictionaries(
    {
        "q-yn": st.sampled_from(["yes", "no"]),
        "q-yna": st.sampled_from(["yes", "no", "NA"]),
        "q-rate": st.integers(1, 7).map(str),
        "q-nps": st.integers(0, 10).map(str),
        "q-csat": st.integers(1, 5).map(str),
        "q-ces": st.integers(1, 7).map(str),
        "q-one": st.sampled_from(["a", "b"]),
        "q-many": st.lists(st.sampled_from(["x", "y"]), min_size=1, unique=True),
        "q-num": st.one_of(
            st.floats(-1e9, 1e9, allow_nan=False).map(lambda f: f"{f:.4f}"), st.just("NA")
        ),
        "q-dur": st.one_of(
            st.integers(0, 10**6).map(str),
            st.tuples(st.integers(0, 500), st.integers(0, 59)).map(lambda t: f"{t[0]}:{t[1]:02d}"),
        ),
        "q-when": st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)).map(
            lambda d: d.isoformat(timespec="minutes")
        ),
        "q-short": st.text(
            st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=255
        ).filter(lambda s: s.strip()),
        # Line breaks and tabs, but no other control character (cxaudit.textinput's rules).
        "q-long": st.text(
            st.characters(blacklist_categories=["Cs", "Cc"], whitelist_characters="\n\t"),
            min_size=1,
            max_size=2000,
        ).filter(lambda s: s.strip()),
    }
)


@settings(max_examples=200, deadline=None)
@given(valid)
def test_values_the_widgets_produce_are_accepted(posted):
    data = QueryDict(mutable=True)
    for name, value in posted.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    submission = clean_submission(STRUCTURE, raw_from_post(data, STRUCTURE))
    assert set(submission.answers) == {c for c, _, _ in QUESTIONS}
