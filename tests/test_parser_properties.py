"""Property tests for every parser of user input: whatever arrives, a parser gives a value or
an InvalidInput naming the field, never another exception; and what it accepts, it reads back
the same. Instrument answers are covered per instrument in tests/domain/test_instrument_answers.py.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taperline.cli.base import parse_date
from taperline.domain.errors import InvalidInput
from taperline.domain.evidence.match import LexicalMatcher, check_text
from taperline.domain.units import MAX_AMOUNT, Unit, parse_decimal, parse_unit
from taperline.interop import fhir_import
from taperline.schemas import parse
from taperline.schemas.checkins import CheckinCreate
from taperline.schemas.plans import PlanInput, to_content
from taperline.schemas.safety import SafetyCheckInput
from taperline.services import evidence
from taperline.services.notifications import parse_clock_time
from taperline.services.safety import check_situation

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def _named(error: InvalidInput) -> None:
    assert error.field, "an error must name its field"
    assert error.problem, "an error must say what is wrong"


# -- dose amounts and units ---------------------------------------------------------------


@SETTINGS
@given(st.one_of(st.text(max_size=20), st.integers(), st.floats(), st.booleans(), st.none()))
def test_an_amount_is_a_bounded_number_or_a_named_refusal(value: object) -> None:
    try:
        number = parse_decimal(value, field="amount")
    except InvalidInput as error:
        _named(error)
        assert error.field == "amount"
        return
    assert number.is_finite() and Decimal(0) <= number <= MAX_AMOUNT


@SETTINGS
@given(st.decimals(min_value=0, max_value=MAX_AMOUNT, places=3, allow_nan=False), st.booleans())
def test_an_amount_written_as_text_reads_back_the_same(number: Decimal, padded: bool) -> None:
    text = f"  {number}  " if padded else str(number)
    assert parse_decimal(text, field="amount") == number


@SETTINGS
@given(st.text(max_size=16))
def test_a_unit_is_known_or_refused_by_name(text: str) -> None:
    try:
        unit = parse_unit(text)
    except InvalidInput as error:
        assert error.field == "unit" and "is not a unit" in error.problem
        return
    assert isinstance(unit, Unit)


@SETTINGS
@given(
    st.sampled_from(list(Unit)),
    st.sampled_from([str.upper, str.lower, str.title]),
    st.text(" \t", max_size=3),
)
def test_every_unit_reads_in_any_case_and_spacing(unit: Unit, case: Any, space: str) -> None:
    assert parse_unit(space + case(unit.value) + space) is unit


# -- times and dates ----------------------------------------------------------------------


@SETTINGS
@given(st.text(max_size=24))
def test_a_date_is_a_date_or_a_named_refusal(text: str) -> None:
    try:
        parsed = parse_date(text, "--today")
    except InvalidInput as error:
        assert error.field == "--today"
        return
    assert isinstance(parsed, dt.date)


@SETTINGS
@given(st.dates())
def test_a_date_reads_back_the_same(day: dt.date) -> None:
    assert parse_date(f" {day.isoformat()} ", "date") == day


@SETTINGS
@given(st.one_of(st.text(max_size=16), st.none()))
def test_a_clock_time_is_a_time_nothing_or_a_named_refusal(text: str | None) -> None:
    try:
        parsed = parse_clock_time(text, "quiet_start")
    except InvalidInput as error:
        assert error.field == "quiet_start"
        return
    assert parsed is None or (parsed.tzinfo is None and parsed.second == 0)


@SETTINGS
@given(st.times())
def test_a_clock_time_reads_back_to_the_minute(moment: dt.time) -> None:
    assert parse_clock_time(moment.strftime("%H:%M"), "t") == moment.replace(
        second=0, microsecond=0
    )


# -- plan items, check-ins and situation files (JSON documents) ---------------------------

_times = st.one_of(
    st.times().map(lambda t: t.strftime("%H:%M")), st.text(max_size=6), st.integers(0, 3000)
)
_amounts = st.one_of(
    st.decimals(0, 100, places=2).map(str),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.integers(-5, 10**8),
)
regimen_items = st.fixed_dictionaries(
    {
        "category": st.sampled_from(["kratom", "melatonin", "magnesium", "buprenorphine", "", "x"]),
        "amount": _amounts,
        "unit": st.sampled_from(["g", "mg", "capsule", "ml", "", "stone"]),
        "times": st.lists(_times, max_size=3),
    },
    optional={
        "form": st.sampled_from(["powder", "capsule", "extract", None, "leaf?"]),
        "product": st.text(max_size=10),
    },
)
plans = st.fixed_dictionaries(
    {"regimen": st.lists(regimen_items, max_size=3)},
    optional={
        "goals": st.lists(st.text(max_size=10), max_size=2),
        "activities": st.dictionaries(
            st.sampled_from(["wake_time", "exercise_minutes_per_week", "sleep_goals"]),
            json_values,
            max_size=2,
        ),
        "monitoring": st.dictionaries(
            st.sampled_from(["daily_checkin_time", "weekly_questionnaires_day", "visits"]),
            json_values,
            max_size=2,
        ),
        "extra": json_values,
    },
)


@SETTINGS
@given(plans)
def test_a_plan_document_becomes_domain_values_or_a_named_refusal(document: dict[str, Any]) -> None:
    try:
        content = to_content(parse(PlanInput, document))
    except InvalidInput as error:
        _named(error)
        return
    assert len(content.items) == len(document["regimen"])
    for item, given_item in zip(content.items, document["regimen"], strict=True):
        assert item.amount_per_dose.value == Decimal(str(given_item["amount"]).strip())


@SETTINGS
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "date": st.one_of(st.dates().map(str), json_values),
            "doses": st.lists(regimen_items, max_size=2),
            "responses": st.dictionaries(st.sampled_from(["sows", "craving", "phq9"]), json_values),
            "used_non_prescribed_opioids": json_values,
            "note": json_values,
        },
    )
)
def test_a_checkin_document_is_read_or_refused_by_name(document: dict[str, Any]) -> None:
    try:
        parse(CheckinCreate, document)
    except InvalidInput as error:
        _named(error)


@SETTINGS
@given(
    st.fixed_dictionaries(
        {"today": st.one_of(st.dates().map(str), json_values)},
        optional={
            "country": st.sampled_from(["US", "GB", "ZZ", ""]),
            "plan": st.one_of(
                st.none(), st.fixed_dictionaries({"items": st.lists(regimen_items, max_size=2)})
            ),
            "profile": st.dictionaries(st.sampled_from(["conditions", "medications"]), json_values),
            "history": st.lists(
                st.dictionaries(
                    st.sampled_from(["date", "sows", "craving", "checked_in"]), json_values
                ),
                max_size=3,
            ),
            "event": json_values,
        },
    )
)
def test_a_situation_file_is_checked_or_refused_by_name(document: dict[str, Any]) -> None:
    """`taperline safety check FILE` and POST /api/v1/safety/check read these."""
    try:
        findings = check_situation(parse(SafetyCheckInput, document))
    except InvalidInput as error:
        _named(error)
        return
    for finding in findings:
        assert finding.rule and finding.person_message


# -- claim-checker input: HTML, Markdown and text -----------------------------------------

_words = st.sampled_from(
    [
        "Kratom",
        "cures",
        "withdrawal",
        "melatonin",
        "sleep",
        "safe",
        "natural",
        "magnesium",
        "anxiety",
        "100%",
        "no",
        "high",
        ".",
        "!",
        "<b>",
        "</b>",
        "*",
        "#",
        "\n",
        "<p>",
        "&amp;",
    ]
)
documents = st.one_of(st.text(max_size=200), st.lists(_words, max_size=40).map(" ".join))


@SETTINGS
@given(documents, st.sampled_from(list(evidence.Format)))
def test_the_claim_checker_reads_any_document(content: str, kind: evidence.Format) -> None:
    text = evidence.to_text(content, kind)
    report = check_text(text, evidence.library(), evidence.lexical_matcher())
    for result in report.results:
        sentence = result.sentence
        # the sentence is its stretch of the text (with its whitespace made single spaces)
        assert " ".join(text[sentence.start : sentence.end].split()) == " ".join(
            sentence.text.split()
        )


@SETTINGS
@given(st.text(max_size=60), st.text(max_size=60))
def test_script_and_style_never_reach_the_checker(visible: str, hidden: str) -> None:
    marker = "HIDDENMARKER"
    html = f"<p>{visible.replace('<', ' ')}</p><script>{marker}{hidden.replace('<', ' ')}</script>"
    html += f"<style>{marker}</style>"
    assert marker not in evidence.html_to_text(html)


def test_the_lexical_matcher_type_is_the_one_the_service_uses() -> None:
    assert isinstance(evidence.lexical_matcher(), LexicalMatcher)


# -- imports: FHIR documents --------------------------------------------------------------

_resources = st.fixed_dictionaries(
    {"resourceType": st.sampled_from(["Bundle", "QuestionnaireResponse", "Patient", "", "x"])},
    optional={
        "status": st.sampled_from(["completed", "in-progress", "", "nonsense"]),
        "questionnaire": st.text(max_size=30),
        "item": st.lists(
            st.dictionaries(st.sampled_from(["linkId", "answer"]), json_values), max_size=3
        ),
        "entry": st.lists(
            st.dictionaries(st.sampled_from(["resource", "fullUrl"]), json_values), max_size=2
        ),
        "type": st.sampled_from(["collection", "transaction", "", 3]),
    },
)


@SETTINGS
@given(
    st.one_of(
        _resources.map(json.dumps),
        json_values.map(json.dumps),
        st.text(max_size=40),
        st.binary(max_size=40),
    )
)
def test_a_fhir_file_gives_responses_or_a_named_refusal(text: str | bytes) -> None:
    try:
        responses = fhir_import.parse(text)
    except InvalidInput as error:
        _named(error)
        return
    assert all(r.get_resource_type() == "QuestionnaireResponse" for r in responses)
