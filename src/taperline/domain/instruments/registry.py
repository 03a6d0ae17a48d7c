"""Every instrument Taperline ships, by stable id. Tests and docs iterate over this."""

from __future__ import annotations

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.base import Instrument
from taperline.domain.instruments.cows import COWS
from taperline.domain.instruments.craving import CRAVING
from taperline.domain.instruments.gad2 import GAD2
from taperline.domain.instruments.gad7 import GAD7
from taperline.domain.instruments.phq2 import PHQ2
from taperline.domain.instruments.phq9 import PHQ9
from taperline.domain.instruments.sleep_diary import SLEEP_DIARY
from taperline.domain.instruments.sows import SOWS

INSTRUMENTS: dict[str, Instrument] = {
    instrument.id: instrument
    for instrument in (PHQ9, PHQ2, GAD7, GAD2, SOWS, COWS, CRAVING, SLEEP_DIARY)
}


def get(instrument_id: str) -> Instrument:
    try:
        return INSTRUMENTS[instrument_id.strip().lower()]
    except KeyError:
        known = ", ".join(INSTRUMENTS)
        raise InvalidInput(
            "instrument", f"'{instrument_id}' is not an instrument Taperline knows ({known})"
        ) from None
