"""Reading QuestionnaireResponses from FHIR R4B (Taperline's own export, or another system's)
into instrument answers that Taperline scores again. Pure: JSON in, answers out, or an
InvalidInput that names the resource and the item.

A response is matched to an instrument by its `questionnaire` canonical (Taperline's, or one
ending in the instrument's LOINC panel code) and its items by `linkId` (Taperline's item key,
or the item's LOINC code). Answers may be a Coding (Taperline's option code or the LOINC
answer code), an integer, a time or a string."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.base import ItemScale
from taperline.domain.instruments.sleep_diary import AnswerKind, SleepDiaryInstrument
from taperline.interop.fhir import canonical

Instrument = ItemScale | SleepDiaryInstrument
MAX_RESPONSES = 5000


@dataclass(frozen=True, slots=True)
class ImportedResponse:
    source_id: str  # the resource's id (or its position), for idempotency and errors
    instrument_id: str
    date: dt.date
    answers: dict[str, Any]


def first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "resource"
    return f"{where}: {first.get('msg', 'is not valid')}"


def parse(text: str | bytes) -> list[QuestionnaireResponse]:
    """The QuestionnaireResponses in a Bundle, or the one response given; anything else is
    refused with the reason."""
    try:
        document = json.loads(text)
    except ValueError:
        raise InvalidInput("file", "is not JSON") from None
    if not isinstance(document, dict):
        raise InvalidInput("file", "a FHIR resource is a JSON object")
    kind = document.get("resourceType")
    try:
        if kind == "QuestionnaireResponse":
            return [QuestionnaireResponse.model_validate(document)]
        if kind == "Bundle":
            bundle = Bundle.model_validate(document)
        else:
            raise InvalidInput(
                "resourceType",
                f"'{kind}' cannot be imported: give a Bundle or a QuestionnaireResponse",
            )
    except ValidationError as error:
        raise InvalidInput(
            str(kind or "resource"), f"is not valid FHIR R4B ({first_error(error)})"
        ) from None
    responses = [
        entry.resource
        for entry in bundle.entry or []
        if entry.resource is not None
        and entry.resource.get_resource_type() == "QuestionnaireResponse"
    ]
    if len(responses) > MAX_RESPONSES:
        raise InvalidInput(
            "Bundle", f"holds {len(responses)} responses; import at most {MAX_RESPONSES}"
        )
    return responses  # type: ignore[return-value]


def _instrument_for(reference: str, instruments: dict[str, Instrument]) -> Instrument | None:
    url = reference.split("|", 1)[0].rstrip("/")
    for instrument in instruments.values():
        if url == canonical(instrument.id):
            return instrument
        if instrument.loinc_panel and url.endswith(instrument.loinc_panel):
            return instrument
    return None


def _value(answer: Any, item: Any, where: str) -> Any:
    if answer.valueCoding is not None:
        code = answer.valueCoding.code
        for option in item.options:
            if code in (str(option.value), option.loinc):
                return option.value
        raise InvalidInput(where, f"answer code '{code}' is not one of this item's options")
    if answer.valueInteger is not None:
        return answer.valueInteger
    if answer.valueTime is not None:
        return answer.valueTime.strftime("%H:%M")
    if answer.valueString is not None:
        return answer.valueString
    if answer.valueDecimal is not None and float(answer.valueDecimal).is_integer():
        return int(answer.valueDecimal)
    raise InvalidInput(where, "has an answer of a type Taperline cannot read")


def read(
    responses: list[QuestionnaireResponse], instruments: dict[str, Instrument]
) -> list[ImportedResponse]:
    found = []
    for index, response in enumerate(responses):
        name = f"QuestionnaireResponse/{response.id or index}"
        if response.status not in ("completed", "amended"):
            raise InvalidInput(
                name, f"is '{response.status}'; only completed responses are imported"
            )
        instrument = _instrument_for(str(response.questionnaire or ""), instruments)
        if instrument is None:
            raise InvalidInput(
                f"{name}.questionnaire",
                f"'{response.questionnaire}' is not an instrument Taperline supports",
            )
        if response.authored is None:
            raise InvalidInput(f"{name}.authored", "is missing: when was it answered?")
        by_link = {item.key: item for item in instrument.items}
        by_link |= {item.loinc: item for item in instrument.items if item.loinc}
        answers: dict[str, Any] = {}
        for entry in response.item or []:
            item = by_link.get(str(entry.linkId)) or by_link.get(str(entry.linkId).lstrip("/"))
            where = f"{name}.item[{entry.linkId}]"
            if item is None:
                raise InvalidInput(where, f"is not an item of {instrument.name}")
            given = entry.answer or []
            if len(given) > 1:
                raise InvalidInput(where, "has more than one answer")
            if given:
                value = _value(given[0], item, where)
                if isinstance(instrument, SleepDiaryInstrument):
                    kind = getattr(item, "kind", None)
                    if kind is AnswerKind.CLOCK and not isinstance(value, str):
                        raise InvalidInput(where, "needs a time of day")
                answers[item.key] = value
        authored = response.authored
        day = authored.date() if isinstance(authored, dt.datetime) else authored
        found.append(ImportedResponse(str(response.id or index), instrument.id, day, answers))
    return found
