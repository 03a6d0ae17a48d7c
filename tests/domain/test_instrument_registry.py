"""The registry: every instrument, its citation, bands, LOINC codes and wording status."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.base import Instrument, ItemScale, WordingStatus
from taperline.domain.instruments.registry import INSTRUMENTS, get
from taperline.domain.instruments.sleep_diary import SleepDiaryInstrument

DOCS = Path(__file__).resolve().parents[2] / "docs" / "instruments.md"

ANSWERS_0_TO_3 = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")
DIFFICULTY_ANSWERS = ("LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3")


class Codes(NamedTuple):
    panel: str | None
    total: str | None
    items: tuple[str | None, ...]  # in item order; None where no code is used
    answers: tuple[str, ...]


# shared/clinical/instruments.md §7, exactly.
EXPECTED_LOINC: dict[str, Codes] = {
    "phq9": Codes(
        panel="44249-1",
        total="44261-6",
        items=(
            "44250-9",
            "44255-8",
            "44259-0",
            "44254-1",
            "44251-7",
            "44258-2",
            "44252-5",
            "44253-3",
            "44260-8",
            "69722-7",
        ),
        answers=ANSWERS_0_TO_3 + DIFFICULTY_ANSWERS,
    ),
    "phq2": Codes(
        panel="55757-9",
        total="55758-7",
        items=("44250-9", "44255-8"),
        answers=ANSWERS_0_TO_3,
    ),
    "gad7": Codes(
        panel="69737-5",
        total="70274-6",
        items=(
            "69725-0",
            "68509-9",
            "69733-4",
            "69734-2",
            "69735-9",
            "69689-8",
            "69736-7",
            None,
        ),
        answers=(*ANSWERS_0_TO_3, "LA18938-3"),
    ),
    "gad2": Codes(
        panel=None,
        total=None,
        items=("69725-0", "68509-9"),
        answers=(*ANSWERS_0_TO_3, "LA18938-3"),
    ),
}
NO_LOINC = ("sows", "cows", "craving", "sleep_diary")
NEVER_USED = ("72514-3", "70272-0", "58148-8")

EXPECTED_UNVERIFIED_ITEMS = {
    "phq9": set(),
    "phq2": set(),
    "gad7": {8},
    "gad2": set(),
    "sows": set(range(1, 16)),
    "cows": set(),
    "craving": set(),
    "sleep_diary": {5, 6, 7, 8, 9},
}


def item_scales() -> list[ItemScale]:
    return [i for i in INSTRUMENTS.values() if isinstance(i, ItemScale)]


def all_codes(instrument: Instrument) -> list[str]:
    codes: list[str | None] = [
        getattr(instrument, "loinc_panel", None),
        getattr(instrument, "loinc_total", None),
    ]
    for item in getattr(instrument, "items", ()):
        codes.append(item.loinc)
        codes.extend(option.loinc for option in item.options)
    return [code for code in codes if code is not None]


def test_it_registers_the_eight_instruments_in_order() -> None:
    assert list(INSTRUMENTS) == [
        "phq9",
        "phq2",
        "gad7",
        "gad2",
        "sows",
        "cows",
        "craving",
        "sleep_diary",
    ]


def test_get_finds_an_instrument_whatever_the_case_and_spacing() -> None:
    assert get(" COWS ").id == "cows"


def test_get_rejects_an_unknown_instrument_listing_the_known_ones() -> None:
    with pytest.raises(InvalidInput) as error:
        get("kds")
    assert error.value.field == "instrument"
    assert "sleep_diary" in error.value.problem


def test_only_the_sleep_diary_is_structured() -> None:
    structured = [i.id for i in INSTRUMENTS.values() if i.structured]
    assert structured == ["sleep_diary"]
    assert isinstance(INSTRUMENTS["sleep_diary"], SleepDiaryInstrument)


@pytest.mark.parametrize("instrument", INSTRUMENTS.values(), ids=list(INSTRUMENTS))
def test_every_instrument_has_a_citation_with_text(instrument: Instrument) -> None:
    assert instrument.citation.text.strip()
    assert instrument.name.strip()
    assert instrument.version.strip()


@pytest.mark.parametrize("scale", item_scales(), ids=lambda s: s.id)
def test_every_item_scales_bands_cover_min_to_max_exactly_once(scale: ItemScale) -> None:
    if not scale.bands:
        assert scale.has_bands is False
        return
    for total in range(scale.min_total, scale.max_total + 1):
        assert sum(band.contains(total) for band in scale.bands) == 1, total
    assert scale.bands[0].low == scale.min_total
    assert scale.bands[-1].high == scale.max_total


def test_only_sows_craving_and_the_sleep_diary_have_no_bands() -> None:
    assert [i.id for i in INSTRUMENTS.values() if not i.has_bands] == [
        "sows",
        "craving",
        "sleep_diary",
    ]


@pytest.mark.parametrize("instrument_id", list(EXPECTED_LOINC))
def test_loinc_codes_match_the_verified_table_exactly(instrument_id: str) -> None:
    scale = INSTRUMENTS[instrument_id]
    assert isinstance(scale, ItemScale)
    expected = EXPECTED_LOINC[instrument_id]
    assert scale.loinc_panel == expected.panel
    assert scale.loinc_total == expected.total
    assert tuple(item.loinc for item in scale.items) == expected.items
    answer_codes = {option.loinc for item in scale.items for option in item.options} - {None}
    assert answer_codes == set(expected.answers)


def test_answer_codes_follow_the_display_order_except_where_loinc_does_not() -> None:
    phq9 = INSTRUMENTS["phq9"]
    assert isinstance(phq9, ItemScale)
    assert tuple(option.loinc for option in phq9.items[0].options) == ANSWERS_0_TO_3
    assert tuple(option.loinc for option in phq9.items[9].options) == DIFFICULTY_ANSWERS


@pytest.mark.parametrize("instrument_id", NO_LOINC)
def test_cows_sows_craving_and_the_sleep_diary_carry_no_loinc_code(instrument_id: str) -> None:
    assert all_codes(INSTRUMENTS[instrument_id]) == []


@pytest.mark.parametrize("code", NEVER_USED)
def test_wrong_or_unverified_codes_appear_nowhere_as_a_code(code: str) -> None:
    for instrument in INSTRUMENTS.values():
        assert code not in all_codes(instrument), instrument.id


@pytest.mark.parametrize("instrument", INSTRUMENTS.values(), ids=list(INSTRUMENTS))
def test_every_item_with_unverified_wording_is_marked_and_says_so(
    instrument: Instrument,
) -> None:
    items = getattr(instrument, "items", ())
    unverified = {item.number for item in items if item.wording is WordingStatus.UNVERIFIED}
    assert unverified == EXPECTED_UNVERIFIED_ITEMS[instrument.id]
    for item in items:
        if item.wording is WordingStatus.UNVERIFIED:
            assert "UNVERIFIED" in item.note, f"{instrument.id} item {item.number}"
    has_unverified_text = unverified or any(
        option.wording is WordingStatus.UNVERIFIED for item in items for option in item.options
    )
    if has_unverified_text:
        assert any("UNVERIFIED" in note for note in getattr(instrument, "notes", ()))


@pytest.mark.parametrize("instrument", INSTRUMENTS.values(), ids=list(INSTRUMENTS))
def test_every_locally_worded_item_says_so(instrument: Instrument) -> None:
    for item in getattr(instrument, "items", ()):
        if item.wording is WordingStatus.LOCAL:
            assert item.note, f"{instrument.id} item {item.number}"


def test_every_registry_id_appears_in_the_instruments_doc() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for instrument_id in INSTRUMENTS:
        assert f"`{instrument_id}`" in text, instrument_id
